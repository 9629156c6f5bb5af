from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from appointments import calendar_cache
from appointments.models import Practitioner

register = template.Library()


@register.simple_tag(takes_context=True)
def practitioner_colours(context):
    """One stylesheet rule per practitioner, so no element needs a style attribute
    (a strict Content Security Policy forbids them). Colours are validated #rrggbb."""
    rules = calendar_cache.set_up(
        "practitioner-colours",
        lambda: format_html_join(
            "\n",
            ".practitioner-{} {{ --practitioner-colour: {}; }}",
            Practitioner.objects.values_list("pk", "colour"),
        ),
        # Read by the view already, when it was (calendar_day).
        at=context.get("setup_version"),
    )
    nonce = getattr(context.get("request"), "csp_nonce", "")
    return format_html('<style nonce="{}">\n{}\n</style>', nonce, rules)


@register.simple_tag
def calendar_body(calendar, here: str):
    """The grid's rows. Built here rather than in the template because a day of seven
    practitioners is hundreds of cells, and the template language took ten times as
    long (bench/RESULTS.md). Text from the database goes through `escape`; the rest
    is numbers, times and URLs quoted here."""
    zone = calendar.location.zone
    location_id = calendar.location.pk
    book = reverse("appointment_new")
    next_url = quote(here, safe="/")
    booking_urls = {
        column.practitioner.pk: escape(
            f"{book}?practitioner={column.practitioner.pk}&location={location_id}"
            f"&next={next_url}&start="
        )
        for column in calendar.columns
    }
    html = []
    for at, cells in calendar.table:
        html.append(
            f'<tr>\n<th scope="row" class="time small fw-normal">{at:%H:%M}</th>'
        )
        for cell, column in cells:
            span = f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
            if cell.kind == "free":
                url = booking_urls[column.practitioner.pk] + quote(
                    cell.starts_at.isoformat()
                )
                html.append(
                    f'<td class="cal-free"{span}><a href="{url}" hx-get="{url}" '
                    f'hx-target="#dialog-body">'
                    f"Book {cell.starts_at.astimezone(zone):%H:%M}</a></td>"
                )
            elif cell.kind == "busy":
                entries = "".join(
                    _entry(entry, zone, location_id, cell.outside_hours)
                    for entry in cell.entries
                )
                html.append(
                    f'<td class="cal-busy" rowspan="{cell.rowspan}"{span} hx-disable>'
                    f"{entries}</td>"
                )
            elif cell.kind == "past":
                html.append(
                    f'<td class="cal-past"{span}>'
                    '<span class="visually-hidden">Past</span></td>'
                )
            elif cell.kind == "beside":
                html.append(f'<td class="cal-beside"{span}></td>')
            else:
                html.append(
                    f'<td class="cal-off"{span}>'
                    '<span class="visually-hidden">Not working</span></td>'
                )
        html.append("</tr>")
    return mark_safe("\n".join(html))  # noqa: S308 - escaped as it was built


def _entry(entry, zone, location_id, outside_hours=False) -> str:
    appointment = entry.appointment
    if appointment is None:
        return format_html(
            '<span class="cal-entry time-off"><span class="status">Time off</span> '
            "{}</span>",
            entry.time_off.reason,
        )
    details = []
    if appointment.room:
        details.append(format_html(" · {}", appointment.room.name))
    if appointment.location_id != location_id:
        details.append(format_html(" · at {}", appointment.location))
    if appointment.overlap_approved_by_id:
        details.append(mark_safe(" · <em>approved overlap</em>"))
    if outside_hours:
        details.append(mark_safe(' · <em class="cal-outside">outside hours</em>'))
    return format_html(
        '<a class="cal-entry practitioner-{} status-{}" href="{}">'
        '<span class="status">{}</span> {}–{} <strong class="d-block">{}</strong>'
        "{}{}</a>",
        appointment.practitioner_id,
        appointment.status,
        reverse("appointment_detail", args=[appointment.pk]),
        appointment.get_status_display(),
        appointment.starts_at.astimezone(zone).strftime("%H:%M"),
        appointment.ends_at.astimezone(zone).strftime("%H:%M"),
        appointment.client,
        appointment.service,
        mark_safe("".join(details)),  # noqa: S308 - parts built by format_html
    )
