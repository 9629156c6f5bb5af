"""What a returning client may book in the portal, and the free times offered.

Pure reads over the booking selectors and gates (the front desk's), scoped to the
signed-in client; the writes are portal.services' (portal_book, portal_move,
portal_cancel), through the same booking services."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from appointments import gates
from appointments import selectors as booking_selectors
from appointments.models import Appointment, AppointmentStatus, Service
from clients.models import Client
from treatments import selectors as treatment_selectors
from treatments.models import PlanStatus, TreatmentPlan, TreatmentSession

DAYS_SHOWN = 14
RECALL_KINDS = (Service.Kind.TOUCH_UP, Service.Kind.FADE_CHECK)


@dataclass(frozen=True)
class BookingOption:
    slug: str
    title: str
    service: Service
    plan: TreatmentPlan | None = None
    session_number: int | None = None
    earliest: date | None = None
    # Why it cannot be booked online yet, in the client's words; empty: it can.
    refusals: list[str] = field(default_factory=list)


def _has_had_treatment(client: Client) -> bool:
    return TreatmentSession.objects.filter(
        client=client, appointment__status=AppointmentStatus.COMPLETED
    ).exists()


def booking_options(
    client: Client, *, now: datetime | None = None
) -> list[BookingOption]:
    """The next session of each active course, then the clinic's touch-ups and fade
    checks, each with what stops it (the same gates as the front desk's)."""
    now = now or timezone.now()
    options = []
    for plan in treatment_selectors.plans_for_client(client).filter(
        status=PlanStatus.ACTIVE
    ):
        unbooked = treatment_selectors.unbooked_sessions(plan)
        if not unbooked:
            continue
        number = unbooked[0].number
        options.append(
            _checked(
                client,
                BookingOption(
                    slug=f"session-{plan.pk}",
                    title=f"Session {number} of your course ({plan})",
                    service=plan.service,
                    plan=plan,
                    session_number=number,
                    earliest=treatment_selectors.plan_earliest_start(plan),
                ),
                now,
            )
        )
    returning = _has_had_treatment(client)
    for service in booking_selectors.service_list_active().filter(
        kind__in=RECALL_KINDS
    ):
        option = BookingOption(
            slug=f"service-{service.pk}", title=service.name, service=service
        )
        if not returning:
            option.refusals.append(
                f"A {service.get_kind_display().lower()} follows a course of "
                "treatment. Book a consultation, or call the clinic."
            )
        options.append(_checked(client, option, now))
    return options


def _checked(client: Client, option: BookingOption, now: datetime) -> BookingOption:
    on = now + timedelta(days=1)
    for missing in gates.treatment_gate(client, option.service, on, plan=option.plan):
        option.refusals.append(f"{missing.label} first: the clinic does this with you.")
    return option


def booking_option(client: Client, slug: str) -> BookingOption:
    for option in booking_options(client):
        if option.slug == slug:
            return option
    raise Http404("Nothing to book by that name.")


@dataclass(frozen=True)
class FreeTime:
    start: datetime  # in the location's zone
    practitioner_id: int
    location_id: int
    practitioner: str
    location: str


@dataclass(frozen=True)
class FreeDays:
    days: list[date]
    times: dict[date, list[FreeTime]]


def free_days(
    service: Service,
    *,
    first_day: date,
    practitioner_id: int | None = None,
    exclude_appointment_id: int | None = None,
) -> FreeDays:
    """The next DAYS_SHOWN days from `first_day` and their free start times, each
    time offered once (the first practitioner free then)."""
    found = booking_selectors.availability(
        service=service,
        first_day=first_day,
        days=DAYS_SHOWN,
        practitioner_id=practitioner_id,
        exclude_appointment_id=exclude_appointment_id,
    )
    names = {
        p.pk: str(p)
        for p in booking_selectors.practitioner_list_active().select_related("user")
    }
    times: dict[date, list[FreeTime]] = defaultdict(list)
    seen = set()
    for slot in sorted(found.slots, key=lambda s: (s.start, s.location_id)):
        start, _ = found.local(slot)
        if (slot.location_id, slot.start) in seen:
            continue
        seen.add((slot.location_id, slot.start))
        times[start.date()].append(
            FreeTime(
                start,
                slot.practitioner_id,
                slot.location_id,
                names.get(slot.practitioner_id, ""),
                found.locations[slot.location_id].name,
            )
        )
    days = [first_day + timedelta(days=n) for n in range(DAYS_SHOWN)]
    return FreeDays(days, dict(times))


def notice() -> timedelta:
    return timedelta(hours=settings.PORTAL_NOTICE_HOURS)


def changeable(appointment: Appointment, now: datetime | None = None) -> bool:
    """May the client move or cancel it here: still standing, and more than the
    clinic's notice before it starts. Inside the notice, they call."""
    now = now or timezone.now()
    return (
        appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
        and appointment.starts_at - now >= notice()
    )
