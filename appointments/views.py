"""Front-desk pages: calendars, booking, the appointment workflow, today, next free."""

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from appointments import calendar_cache, feeds, selectors, services, slots
from appointments.forms import (
    BookingForm,
    CalendarDayForm,
    CalendarWeekForm,
    CancelForm,
    FeedForm,
    NextFreeForm,
    RescheduleForm,
    WaitlistForm,
)
from appointments.models import Appointment, Location, Practitioner
from clients import selectors as client_selectors
from clients.models import Client
from core import date_input
from core.htmx import is_htmx
from core.pagination import peek_page
from core.redirects import safe_next
from core.roles import Capability, Role, primary_role, require


def day_url(location: Location, day) -> str:
    query = urlencode({"location": location.pk, "date": day.isoformat()})
    return f"{reverse('calendar_day')}?{query}"


def week_url(practitioner: Practitioner, location: Location, day) -> str:
    query = {"practitioner": practitioner.pk, "location": location.pk, "date": day}
    return f"{reverse('calendar_week')}?{urlencode(query)}"


def default_location(user, locations) -> Location | None:
    practitioner = Practitioner.objects.filter(user=user).first()
    if practitioner is not None:
        mine = locations.filter(practitioners=practitioner).first()
        if mine is not None:
            return mine
    return locations.first()


def calendar_choice(request, form_class, practitioner=None, setup_version=None):
    """The bound calendar form, or defaults (with a message) when the query is bad:
    the practitioner's (or the user's) first location, today in its zone. The view
    passes the set-up version it read, so that its page reads it once."""
    locations = selectors.calendar_locations(request.user)
    kept = selectors.calendar_locations_kept(request.user, setup_version)
    form = form_class(request.GET or None, locations=locations, kept=kept)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data
    date_input.refuse_out_of_range(form)
    if form.is_bound:
        messages.error(request, "That calendar does not exist; showing today instead.")
    location = None
    if practitioner is not None:
        location = locations.filter(practitioners=practitioner).first()
    location = location or default_location(request.user, locations)
    if location is None:
        return None, None
    chosen = {
        "location": location,
        "date": timezone.now().astimezone(location.zone).date(),
        "practitioner": practitioner,
    }
    return form_class(initial=chosen, locations=locations, kept=kept), chosen


@require(Capability.BOOKING)
def calendar_day(request):
    setup_version = calendar_cache.setup_version()
    form, chosen = calendar_choice(
        request, CalendarDayForm, setup_version=setup_version
    )
    if chosen is None:
        return render(request, "appointments/no_locations.html")
    location, day = chosen["location"], chosen["date"]
    now = timezone.now()
    return render(
        request,
        "appointments/calendar_day.html",
        {
            "form": form,
            # Read only when the cached grid is missing or stale (the template's
            # {% cache %} key: the calendar's version and which rows are past).
            "calendar": SimpleLazyObject(
                partial(selectors.calendar_day, location=location, day=day, now=now)
            ),
            "location": location,
            "calendar_version": calendar_cache.day_version(day, location.zone),
            "grid_moment": slots.grid_moment(
                now + selectors.min_notice(), day, location.zone, selectors.slot_step()
            ),
            "cache_seconds": calendar_cache.seconds(),
            "setup_version": setup_version,
            "day": day,
            "previous_url": day_url(location, day - timedelta(days=1)),
            "next_url": day_url(location, day + timedelta(days=1)),
            "here": day_url(location, day),
        },
    )


@require(Capability.BOOKING)
def calendar_week(request):
    practitioner = Practitioner.objects.filter(user=request.user).first()
    practitioner = practitioner or selectors.practitioner_list_active().first()
    setup_version = calendar_cache.setup_version()
    form, chosen = calendar_choice(
        request, CalendarWeekForm, practitioner, setup_version=setup_version
    )
    if chosen is None or chosen["practitioner"] is None:
        return render(request, "appointments/no_locations.html")
    week_start = chosen["date"] - timedelta(days=chosen["date"].weekday())
    week = partial(week_url, chosen["practitioner"], chosen["location"])
    return render(
        request,
        "appointments/calendar_week.html",
        {
            "form": form,
            "practitioner": chosen["practitioner"],
            "calendar": selectors.calendar_week(
                location=chosen["location"],
                practitioner=chosen["practitioner"],
                first_day=week_start,
            ),
            "setup_version": setup_version,
            "previous_url": week(week_start - timedelta(days=7)),
            "next_url": week(week_start + timedelta(days=7)),
            "here": week(week_start),
        },
    )


def booking_initial(request) -> dict:
    """Prefill the booking form from a calendar cell: practitioner, location, start."""
    initial = {}
    for name in ("client", "service", "practitioner", "location", "room"):
        value = request.GET.get(name, "")
        if value.isdigit():
            initial[name] = int(value)
    location = Location.objects.filter(pk=initial.get("location")).first()
    try:
        start = date_input.parse_datetime(request.GET.get("start", ""))
    except date_input.DateOutOfRange:
        raise
    except ValueError:
        start = None
    if location is not None and start is not None and timezone.is_aware(start):
        local = start.astimezone(location.zone)
        initial.update(date=local.date(), time=local.time())
    return initial


def apply_offered_slot(data) -> None:
    """A next-free-slot button carries 'practitioner|ISO start': use it as typed."""
    practitioner_id, _, start = data.get("slot", "").partition("|")
    try:
        start = date_input.parse_datetime(start)
    except ValueError:  # the form then asks for the date and time
        return
    zone = location_zone(data.get("location"))
    if zone is None or timezone.is_naive(start) or not practitioner_id.isdigit():
        return
    local = start.astimezone(zone)
    data["practitioner"] = practitioner_id
    data["date"] = local.date().isoformat()
    data["time"] = local.strftime("%H:%M")


def location_zone(pk):
    location = Location.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    return location.zone if location else None


@require(Capability.BOOKING)
def appointment_new(request):
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        apply_offered_slot(data)
    form = BookingForm(data, initial=booking_initial(request), user=request.user)
    conflict = None
    if form.is_valid():
        cleaned = form.cleaned_data
        try:
            appointment = services.appointment_book(
                client=cleaned["client"],
                service=cleaned["service"],
                practitioner=cleaned["practitioner"],
                location=cleaned["location"],
                room=cleaned["room"],
                starts_at=form.local_starts_at(cleaned["location"]),
                notes=cleaned["notes"],
                overlap_reason=cleaned.get("overlap_reason", ""),
                booked_by=request.user,
            )
        except services.BookingError as error:
            form.add_error(None, error.message)
            conflict = error
        else:
            messages.success(request, f"Booked: {services.describe(appointment)}.")
            target = safe_next(
                request, reverse("appointment_detail", args=[appointment.pk])
            )
            if is_htmx(request):
                return HttpResponse(status=204, headers={"HX-Redirect": target})
            return redirect(target)
    context = {
        "form": form,
        "conflict": conflict,
        "offered": offered_slots(conflict),
        "chosen_client": chosen_client(form),
        "next": safe_next(request, ""),
    }
    template = "appointments/partials/booking_form.html"
    if not is_htmx(request):
        template = "appointments/appointment_new.html"
    return render(request, template, context)


def chosen_client(form) -> Client | None:
    value = form["client"].value()
    if value in (None, "") or not str(value).isdigit():
        return None
    return Client.objects.filter(pk=value).first()


def offered_slots(conflict) -> list[dict]:
    """A conflict's next free slots, ready for buttons: value and local label."""
    found = getattr(conflict, "next_slots", [])
    if not found:
        return []
    zones = selectors.location_zones()
    return [
        {
            "value": f"{slot.practitioner_id}|{slot.start.isoformat()}",
            "local": slot.start.astimezone(zones[slot.location_id]),
        }
        for slot in found
    ]


# What the apps above appointments show on an appointment's page (its course and
# session record): section(user, appointment) -> template context, registered in
# their AppConfig.ready().
AppointmentPageSection = Callable[[object, Appointment], dict]
_appointment_page_sections: list[AppointmentPageSection] = []


def appointment_page_section_register(
    section: AppointmentPageSection,
) -> AppointmentPageSection:
    if section not in _appointment_page_sections:
        _appointment_page_sections.append(section)
    return section


@require(Capability.BOOKING)
def appointment_detail(request, pk):
    appointment = selectors.appointment_get_for_user(request.user, pk)
    context = {
        "appointment": appointment,
        "cancel_form": CancelForm(),
        "calendar_url": day_url(
            appointment.location, appointment.local_starts_at().date()
        ),
    }
    for section in _appointment_page_sections:
        context.update(section(request.user, appointment))
    return render(request, "appointments/appointment_detail.html", context)


STATUS_ACTIONS = {
    "confirm": (services.appointment_confirm, "confirmed"),
    "check-in": (services.appointment_check_in, "checked in"),
    "complete": (services.appointment_complete, "completed"),
    "no-show": (services.appointment_mark_no_show, "marked as a no-show"),
}


@require(Capability.BOOKING)
@require_POST
def appointment_status(request, pk, action):
    appointment = selectors.appointment_get_for_user(request.user, pk)
    if action not in STATUS_ACTIONS:
        return HttpResponse("Unknown action.", status=404)
    change, done = STATUS_ACTIONS[action]
    try:
        change(appointment=appointment, by=request.user)
    except services.BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{appointment.client} {done}.")
    return redirect(safe_next(request, reverse("appointment_detail", args=[pk])))


@require(Capability.BOOKING)
@require_POST
def appointment_cancel(request, pk):
    appointment = selectors.appointment_get_for_user(request.user, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_cancel(
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                by=request.user,
                # Unsaid (an older form), the clinic: nothing is forfeited.
                by_client=form.cleaned_data["asked_by"] == "client",
            )
        except services.BookingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Cancelled: {services.describe(appointment)}.")
            offered = selectors.waitlist_offered_count(appointment)
            if offered:
                messages.info(
                    request,
                    f"The time was offered to {offered} client"
                    f"{'s' if offered > 1 else ''} on the waitlist by email; "
                    "the first to accept has it.",
                )
            detail = reverse("appointment_detail", args=[pk])
            return redirect(safe_next(request, detail))
    return render(
        request,
        "appointments/appointment_detail.html",
        {"appointment": appointment, "cancel_form": form},
        status=422,
    )


@require(Capability.BOOKING)
def appointment_reschedule(request, pk):
    appointment = selectors.appointment_get_for_user(request.user, pk)
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        data["location"] = appointment.location_id
        apply_offered_slot(data)
    form = RescheduleForm(
        data, initial=RescheduleForm.initial_for(appointment), user=request.user
    )
    conflict = None
    if form.is_valid():
        try:
            services.appointment_reschedule(
                appointment=appointment,
                starts_at=form.local_starts_at(appointment.location),
                practitioner=form.cleaned_data["practitioner"],
                overlap_reason=form.cleaned_data.get("overlap_reason", ""),
                by=request.user,
            )
        except services.BookingError as error:
            form.add_error(None, error.message)
            conflict = error
        else:
            appointment.refresh_from_db()
            messages.success(request, f"Moved: {services.describe(appointment)}.")
            return redirect("appointment_detail", pk=pk)
    return render(
        request,
        "appointments/appointment_reschedule.html",
        {
            "appointment": appointment,
            "form": form,
            "offered": offered_slots(conflict),
        },
    )


@require(Capability.BOOKING)
def appointments_today(request):
    """Today at every location, or at the one chosen (?location=<id>)."""
    locations = list(Location.objects.filter(is_active=True))
    wanted = request.GET.get("location", "")
    chosen = next((loc for loc in locations if str(loc.pk) == wanted), None)
    return render(
        request,
        "appointments/today.html",
        {
            "today": selectors.appointments_today(user=request.user, location=chosen),
            "locations": locations,
            "chosen": chosen,
            "mine": primary_role(request.user) == Role.PRACTITIONER,
            "actions": True,
        },
    )


@require(Capability.BOOKING)
def next_free(request):
    form = NextFreeForm(request.GET or None)
    date_input.refuse_out_of_range(form)
    results = None
    if form.is_valid():
        results = selectors.next_free_per_practitioner(
            service=form.cleaned_data["service"],
            location=form.cleaned_data["location"],
            first_day=form.cleaned_data["date"] or timezone.localdate(),
        )
    return render(
        request, "appointments/next_free.html", {"form": form, "results": results}
    )


def feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("calendar_feed", args=[token])


@require(Capability.BOOKING)
@never_cache
def calendar_feed_settings(request):
    """Practitioners manage their own private calendar feed; managers everyone's."""
    practitioners = selectors.feed_practitioners_for_user(request.user)
    form = FeedForm(request.POST or None, practitioners=practitioners)
    new_link = None
    if request.method == "POST" and form.is_valid():
        practitioner = form.cleaned_data["practitioner"]
        if form.cleaned_data["action"] == "stop":
            services.practitioner_feed_stop(practitioner=practitioner)
            messages.success(request, f"The calendar feed of {practitioner} is off.")
            return redirect("calendar_feed_settings")
        # Shown in this answer only: the database keeps a digest of the token.
        token = services.practitioner_feed_renew(practitioner=practitioner)
        new_link = {"practitioner": practitioner, "url": feed_url(token)}
    status = 422 if form.is_bound and not form.is_valid() else 200
    context = {"practitioners": practitioners, "form": form, "new_link": new_link}
    return render(request, "appointments/calendar_feed.html", context, status=status)


@require_GET
def calendar_feed(request, token):
    """A practitioner's appointments as iCalendar; the token is the only key."""
    practitioner = selectors.practitioner_for_feed(token)
    response = HttpResponse(
        feeds.feed_ics(practitioner), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@require(Capability.BOOKING)
@require_GET
def waitlist(request):
    found = selectors.waitlist_for_user(request.user, today=timezone.localdate())
    page = peek_page(found, request.GET.get("page"), 50)
    return render(request, "appointments/waitlist.html", {"page": page})


@require(Capability.BOOKING)
@require_GET
def waitlist_add_pick(request):
    """The waitlist page's Add: find the client first (a plain search form, so it
    works without scripts), then their waitlist form, which returns here."""
    query = request.GET.get("q", "").replace("\x00", "")[:100]
    found = (
        client_selectors.client_search(user=request.user, query=query, limit=20)
        if query.strip()
        else []
    )
    return render(
        request, "appointments/waitlist_pick.html", {"query": query, "found": found}
    )


@require(Capability.BOOKING)
def waitlist_add(request, pk):
    client = client_selectors.client_get_for_user(request.user, pk)
    today = timezone.localdate()
    initial = {"earliest_on": today, "latest_on": today + timedelta(days=28)}
    form = WaitlistForm(request.POST or None, initial=initial, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.waitlist_entry_add(
                client=client, by=request.user, **form.cleaned_data
            )
        except services.BookingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"{client} is on the waitlist for {entry.service}: a time that comes "
                "free will be offered by email.",
            )
            return redirect(
                safe_next(request, reverse("client_detail", args=[client.pk]))
            )
    status = 422 if form.is_bound else 200
    return render(
        request,
        "appointments/waitlist_add.html",
        {"client": client, "form": form, "next": safe_next(request, "")},
        status=status,
    )


@require(Capability.BOOKING)
@require_POST
def waitlist_remove(request, pk):
    entry = selectors.waitlist_entry_get_for_user(request.user, pk)
    try:
        services.waitlist_entry_remove(entry=entry, by=request.user)
    except services.BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{entry.client} is off the waitlist.")
    return redirect(safe_next(request, reverse("waitlist")))


def client_page_section(user, client) -> dict:
    """The client's waitlist entries on the client page (clients.views)."""
    return {"waitlist": selectors.client_waitlist(client)}
