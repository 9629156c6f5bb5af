"""Online booking for new clients, no login, in steps that each fit a phone's screen
or two: the clinic, the consultation (in person, by phone or by video), a day from a
two-week strip that shows which days have times, a time, then how to reach them.

Every step is a server-rendered page reached by plain links, so the page works
without JavaScript; htmx swaps the strip and the times in place when it runs. The
booking goes through the same service as the front desk's, so the same no-overlap
guarantees hold, and a confirmation email goes out through the outbox.

Spam: a honeypot field (a bot that fills it in is shown the thank-you page and books
nothing) and a per-address rate limit on attempts.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from appointments import hooks, selectors, services
from appointments.forms import OnlineBookingForm, PractitionerChoiceForm
from appointments.models import Appointment, Location, Service
from clients.models import ConsentKind
from clients.selectors import consent_texts_current
from core.htmx import is_htmx
from core.ratelimit import over_limit

SALT = "online-booking"
DAYS_SHOWN = 14
# How far ahead the strip moves: a consultation is booked weeks ahead, not a year.
DAYS_AHEAD = 12 * 7
# A time in a link: UTC to the minute, e.g. 2026-03-02T09:15Z.
AT_FORMAT = "%Y-%m-%dT%H:%MZ"


def _location(location_id: int) -> Location:
    return get_object_or_404(Location, pk=location_id, is_active=True)


def _service(service_id: int) -> Service:
    return get_object_or_404(selectors.online_services(), pk=service_id)


def _day(value: str | None, first: date, last: date) -> date | None:
    """A day from the address, if it is one between `first` and `last`."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if first <= day <= last else None


def _at(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", AT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _link(name: str, args: list, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name, args=args) + (f"?{query}" if query else "")


@require_GET
def book_location(request):
    return render(
        request,
        "appointments/public/book_location.html",
        {
            "locations": Location.objects.filter(is_active=True).order_by("name"),
            "open": selectors.online_services().exists(),
        },
    )


@require_GET
def book_service(request, location_id):
    location = _location(location_id)
    offered = list(selectors.online_services())
    if not offered:
        raise Http404("Online booking is closed.")
    return render(
        request,
        "appointments/public/book_service.html",
        {
            "location": location,
            "services": offered,
            # The policy, once, when any service here takes a deposit.
            "deposit_policy": any(service.deposit_minor for service in offered),
        },
    )


@dataclass(frozen=True)
class StripDay:
    day: date
    has_times: bool
    href: str
    current: bool


@require_GET
def book_time(request, location_id, service_id):
    location, service = _location(location_id), _service(service_id)
    today = timezone.now().astimezone(location.zone).date()
    last = today + timedelta(days=DAYS_AHEAD)
    first_day = _day(request.GET.get("from"), today, last) or today
    chooser = PractitionerChoiceForm(
        request.GET, practitioners=selectors.online_practitioners(location)
    )
    practitioner_id = chooser.chosen()
    days = selectors.bookable_days(
        service=service,
        location=location,
        first_day=first_day,
        days=DAYS_SHOWN,
        practitioner_id=practitioner_id,
    )
    picked = _day(request.GET.get("day"), first_day, days[-1].day)
    if picked is None:
        picked = next((d.day for d in days if d.times), None)
    shown = next((d for d in days if d.day == picked), None)
    args = [location.pk, service.pk]

    def times_link(**params):
        return _link("book_time", args, practitioner=practitioner_id, **params)

    before = max(today, first_day - timedelta(days=DAYS_SHOWN))
    after = first_day + timedelta(days=DAYS_SHOWN)
    context = {
        "location": location,
        "service": service,
        "chooser": chooser,
        "strip": [
            StripDay(
                d.day,
                bool(d.times),
                times_link(**{"from": first_day.isoformat(), "day": d.day}),
                d.day == picked,
            )
            for d in days
        ],
        "earlier": times_link(**{"from": before}) if first_day > today else None,
        "later": times_link(**{"from": after}) if after <= last else None,
        "day": shown,
        "time_groups": _time_groups(shown, args, practitioner_id),
    }
    template = "appointments/public/book_time.html"
    if is_htmx(request):
        template = "appointments/public/partials/book_times.html"
    return render(request, template, context)


def _time_groups(shown, args, practitioner_id) -> list[tuple[str, list]]:
    """The day's times as (part of the day, [(label, link)]): a long day reads as
    three short rows of buttons, not one column."""
    if shown is None:
        return []
    groups: dict[str, list] = {}
    for local in shown.times:
        part = (
            "Morning"
            if local.hour < 12
            else "Afternoon"
            if local.hour < 17
            else "Evening"
        )
        at = local.astimezone(UTC).strftime(AT_FORMAT)
        link = _link("book_details", args, at=at, practitioner=practitioner_id)
        groups.setdefault(part, []).append((f"{local:%H:%M}", link))
    return list(groups.items())


def book_details(request, location_id, service_id):
    location, service = _location(location_id), _service(service_id)
    practitioners = list(selectors.online_practitioners(location))
    practitioner_id = PractitionerChoiceForm(
        request.GET, practitioners=practitioners
    ).chosen()
    practitioner = next((p for p in practitioners if p.pk == practitioner_id), None)
    starts_at = _at(request.GET.get("at"))
    times = _link(
        "book_time",
        [location.pk, service.pk],
        practitioner=practitioner_id,
        day=starts_at.astimezone(location.zone).date() if starts_at else None,
    )
    if starts_at is None:
        messages.info(request, "Pick a time first.")
        return redirect(times)
    form = OnlineBookingForm(
        request.POST or None,
        request.FILES or None,
        service=service,
        photo_text=consent_texts_current().get(ConsentKind.PHOTOS),
    )
    context = {
        "location": location,
        "service": service,
        "practitioner": practitioner,
        "starts_at": starts_at.astimezone(location.zone),
        "times_url": times,
        "form": form,
        "deposit_by_card": any(hooks.online_deposit_by_card(service=service)),
        "hold_minutes": settings.DEPOSIT_HOLD_MINUTES,
    }
    page = "appointments/public/book_details.html"
    if request.method != "POST":
        context["gone"] = not selectors.free_practitioners_at(
            service=service,
            location=location,
            starts_at=starts_at,
            practitioner_id=practitioner_id,
        )
        return render(request, page, context)
    limit = settings.ONLINE_BOOKING_LIMIT
    if over_limit(request, scope="online-booking", limit=limit, window_seconds=3600):
        context["refused"] = "Too many bookings from your address. Please try later."
        return render(request, page, context, status=429)
    if not form.is_valid():
        return render(request, page, context, status=422)
    if form.cleaned_data["website"]:
        # A bot filled in the hidden field: thank it, book nothing.
        return redirect(reverse("book_done", args=["received"]))
    data = form.cleaned_data
    # With card deposits on (payments: Stripe), the time is held while they pay.
    by_card = any(hooks.online_deposit_by_card(service=service))
    try:
        appointment = services.online_booking_book(
            location=location,
            service=service,
            starts_at=starts_at,
            practitioner=practitioner,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            reminder_consent=data["reminder_consent"],
            notes=data["notes"],
            photos=form.photos,
            photo_consent=bool(data.get("photo_consent")),
            hold_for_deposit=by_card,
        )
    except services.BookingError as error:
        # Taken between the page and the click: everything typed stays.
        context["refused"] = error.message
        context["status_gone"] = error.message == services.TIME_GONE
        return render(request, page, context, status=409)
    if appointment.status == Appointment.Status.AWAITING_DEPOSIT:
        return redirect(hooks.online_deposit_pay_url(appointment=appointment)[0])
    return redirect("book_done", token=signing.dumps(appointment.pk, salt=SALT))


@require_GET
def book_done(request, token):
    appointment = None
    try:
        pk = signing.loads(token, salt=SALT, max_age=timedelta(days=1))
    except signing.BadSignature:
        pk = None
    if pk is not None:
        appointment = (
            Appointment.objects.select_related(
                "location", "service", "client", "practitioner__user"
            )
            .filter(pk=pk)
            .first()
        )
    starts_at = appointment.local_starts_at() if appointment else None
    return render(
        request,
        "appointments/public/book_done.html",
        {
            "appointment": appointment,
            "starts_at": starts_at,
            # Without card deposits the deposit is paid at the desk: say so.
            "deposit_at_desk": appointment is not None
            and appointment.service.deposit_minor > 0,
        },
    )
