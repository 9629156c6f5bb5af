"""Demo schedule for `seed_demo`: locations in different zones, rooms, the SMP
services, working hours with a lunch break, closures, a few weeks of bookings and years
of history.

Bookings go through the booking service, so demo data obeys every rule real data does.
They start from today, so the same seed gives the same pattern relative to the day run.
History (`seed_history`) is bulk-inserted, because the large scale needs a million rows
in minutes; it is packed so that it obeys the no-overlap rules all the same.
"""

import math
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from appointments import booking_cache, gates, selectors, services, slots
from appointments.models import (
    Appointment,
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    WorkingHours,
)

SERVICES = [
    # name, kind, minutes, buffer before, buffer after, room, patch test,
    # price and deposit in minor units (pence or cents) of each location's currency
    ("Consultation", Service.Kind.CONSULTATION, 30, 0, 10, False, False, 0, 0),
    ("Patch test", Service.Kind.PATCH_TEST, 15, 0, 5, True, False, 2500, 0),
    ("SMP session", Service.Kind.SMP_SESSION, 180, 15, 15, True, True, 45000, 10000),
    (
        "Scar camouflage",
        Service.Kind.SCAR_CAMOUFLAGE,
        120,
        15,
        15,
        True,
        True,
        35000,
        10000,
    ),
    ("Touch-up", Service.Kind.TOUCH_UP, 90, 15, 15, True, True, 20000, 5000),
    ("Fade check", Service.Kind.FADE_CHECK, 20, 0, 5, False, False, 0, 0),
]

# Phone numbers from the ranges kept for drama (Ofcom; NANP 555-01xx). Money: the
# currency, the locale amounts are written in, and the tax in the prices (UK VAT 20%;
# New York taxes no cosmetic tattooing).
LOCATIONS = [
    (
        "London Shoreditch",
        "12 Curtain Road, London EC2A 3NQ",
        "Europe/London",
        "+442079460123",
        ("GBP", "en_GB", 20),
    ),
    (
        "New York SoHo",
        "90 Prince Street, New York, NY 10012",
        "America/New_York",
        "+12125550142",
        ("USD", "en_US", 0),
    ),
    (
        "Manchester Northern Quarter",
        "41 Thomas Street, Manchester M4 1NA",
        "Europe/London",
        "+441614960321",
        ("GBP", "en_GB", 20),
    ),
]

# Weekday blocks: mornings and afternoons with a lunch break; some work Saturdays.
WEEKDAY_BLOCKS = ((time(9), time(13)), (time(14), time(18)))
SATURDAY_BLOCKS = ((time(10), time(16)),)


def seed_schedule(
    *,
    rng: random.Random,
    practitioner_users,
    clients,
    treatable_clients,
    booked_by,
    locations: int = 2,
) -> None:
    """Bookings from today; treatments only for clients cleared and patch-tested.

    Each location has a studio for each of its practitioners (three at least), so the
    history can give every practitioner a room of their own.
    """
    services_by_name = {}
    for name, kind, minutes, before, after, room, patch, price, deposit in SERVICES:
        services_by_name[name] = Service.objects.create(
            name=name,
            kind=kind,
            duration_minutes=minutes,
            buffer_before_minutes=before,
            buffer_after_minutes=after,
            needs_room=room,
            needs_patch_test=patch,
            price_minor=price,
            deposit_minor=deposit,
        )
    locations = [
        Location.objects.create(
            name=name,
            address=address,
            timezone=zone,
            phone=phone,
            currency=currency,
            locale=locale,
            tax_rate=tax_rate,
        )
        for name, address, zone, phone, (currency, locale, tax_rate) in LOCATIONS[
            :locations
        ]
    ]
    studios = max(3, math.ceil(len(practitioner_users) / len(locations)))
    for location in locations:
        Room.objects.bulk_create(
            Room(location=location, name=f"Studio {n}") for n in range(1, studios + 1)
        )
    today = timezone.now().date()
    Closure.objects.create(
        location=None, date=date(today.year, 12, 25), name="Christmas Day"
    )
    Closure.objects.create(
        location=locations[0], date=date(today.year, 12, 26), name="Boxing Day"
    )

    colours = ("#0d6efd", "#198754", "#6f42c1", "#d63384", "#fd7e14", "#20c997")
    practitioners = []
    for index, user in enumerate(practitioner_users):
        location = locations[index % len(locations)]
        practitioner = Practitioner.objects.create(
            user=user,
            licence_number=f"BA-{2024000 + index}",
            colour=colours[index % len(colours)],
        )
        practitioner.locations.add(location)
        hours = [
            WorkingHours(
                practitioner=practitioner,
                location=location,
                weekday=weekday,
                start_time=start,
                end_time=end,
            )
            for weekday in range(5)
            for start, end in WEEKDAY_BLOCKS
        ]
        if index % 2 == 0:
            hours += [
                WorkingHours(
                    practitioner=practitioner,
                    location=location,
                    weekday=5,
                    start_time=start,
                    end_time=end,
                )
                for start, end in SATURDAY_BLOCKS
            ]
        WorkingHours.objects.bulk_create(hours)
        booking_cache.forget()  # bulk_create sends no signal
        practitioners.append(practitioner)

    bookable = [
        services_by_name[name]
        for name in (
            "Consultation",
            "SMP session",
            "Touch-up",
            "Fade check",
            "Patch test",
        )
    ]
    for practitioner in practitioners:
        for service in bookable:
            found = selectors.availability(
                service=service,
                first_day=today,
                days=21,
                practitioner_id=practitioner.pk,
            ).slots
            for slot in rng.sample(found, k=min(len(found), 6)):
                try:
                    services.appointment_book(
                        client=rng.choice(
                            treatable_clients
                            if service.needs_patch_test
                            or service.kind in gates.TREATMENT_KINDS
                            else clients
                        ),
                        service=service,
                        practitioner=practitioner,
                        starts_at=slot.start,
                        booked_by=booked_by,
                    )
                except services.BookingError:
                    continue  # an earlier demo booking took this time


def seed_remote_consultations() -> None:
    """A consultation by video and one by phone, offered on the booking page, and a
    video link at each location. Seeded last, so that the random draws of the rest
    of the demo stay as they were."""
    for name, meeting, minutes in (
        ("Video consultation", Service.Meeting.VIDEO, 20),
        ("Phone consultation", Service.Meeting.PHONE, 15),
    ):
        Service.objects.create(
            name=name,
            kind=Service.Kind.CONSULTATION,
            meeting=meeting,
            duration_minutes=minutes,
            buffer_after_minutes=5,
            needs_room=False,
        )
    for location in Location.objects.all():
        slug = location.name.lower().replace(" ", "-")
        location.video_link = f"https://meet.example.com/smp-{slug}"
        location.save(update_fields=["video_link"])


def seed_waitlist(*, rng: random.Random, clients, booked_by, count: int = 4) -> None:
    """A few clients waiting for an earlier consultation or fade check."""
    today = timezone.now().date()
    services_ = list(
        Service.objects.filter(
            kind__in=(Service.Kind.CONSULTATION, Service.Kind.FADE_CHECK)
        )
    )
    practitioners = list(Practitioner.objects.all())
    waiting = [c for c in clients if c.email and c.reminder_consent]
    for client in rng.sample(waiting, k=min(count, len(waiting))):
        start = today + timedelta(days=rng.randrange(0, 7))
        services.waitlist_entry_add(
            client=client,
            service=rng.choice(services_),
            practitioner=rng.choice([None, *practitioners]),
            location=None,
            earliest_on=start,
            latest_on=start + timedelta(days=rng.choice((7, 14, 28))),
            notes=rng.choice(("", "Mornings only", "Can come at short notice")),
            by=booked_by,
        )


# The history's services, by weight: mostly the short visits, as a chain's diary is.
HISTORY_MIX = (
    ("Fade check", 35),
    ("Patch test", 30),
    ("Consultation", 25),
    ("Touch-up", 5),
    ("SMP session", 4),
    ("Scar camouflage", 1),
)
# History days run long (a chain's extended hours), so that a million appointments fit
# twenty practitioners' five years.
HISTORY_SOURCES = (
    Appointment.Source.FRONT_DESK,
    Appointment.Source.PHONE,
    Appointment.Source.ONLINE,
)
CANCEL_REASONS = ("Client rescheduled", "Client unwell", "Clinic closed early")


def seed_history(
    *,
    rng: random.Random,
    count: int,
    client_ids: list[int],
    today: date,
    booked_by,
    gap_hours: int = 0,
    batch_size: int = 5000,
) -> int:
    """`count` past appointments, packed into every practitioner's working hours from
    yesterday backwards: mostly completed, some no-shows and cancellations. With
    `gap_hours`, each is followed by up to that many free hours (a demo clinic's
    quieter diary); without, they run back to back (a chain's, at the large scale).

    Each practitioner works in a room of their own; appointments already there (the
    demo courses' sessions) are stepped around. Returns the days the history spans.
    """
    by_name = {service.name: service for service in Service.objects.all()}
    mix = [by_name[name] for name, _ in HISTORY_MIX]
    weights = [weight for _, weight in HISTORY_MIX]
    rooms = defaultdict(list)
    for room in Room.objects.order_by("name", "pk"):
        rooms[room.location_id].append(room)
    homes = []  # (practitioner id, location, own room)
    seen = defaultdict(int)
    for practitioner in Practitioner.objects.prefetch_related("locations").order_by(
        "pk"
    ):
        location = practitioner.locations.all()[0]
        homes.append((practitioner.pk, location, rooms[location.pk][seen[location.pk]]))
        seen[location.pk] += 1
    taken = _taken_before(today)
    # Only inside each practitioner's working hours at their home location: a demo
    # calendar with history at 05:00 or across lunch looks like a broken one.
    blocks = defaultdict(list)
    for hours in WorkingHours.objects.order_by("start_time"):
        blocks[hours.practitioner_id, hours.location_id, hours.weekday].append(
            (hours.start_time, hours.end_time)
        )

    days = 0

    def appointments() -> Iterator[Appointment]:
        nonlocal days
        day = today
        while True:
            day -= timedelta(days=1)
            days += 1
            for practitioner_id, location, room in homes:
                yield from _history_day(
                    rng=rng,
                    day=day,
                    practitioner_id=practitioner_id,
                    location=location,
                    room=room,
                    blocks=blocks[practitioner_id, location.pk, day.weekday()],
                    mix=mix,
                    weights=weights,
                    client_ids=client_ids,
                    taken=taken,
                    booked_by=booked_by,
                    gap_hours=gap_hours,
                )

    pending = []
    for written, appointment in enumerate(appointments(), start=1):
        pending.append(appointment)
        if len(pending) == batch_size or written == count:
            Appointment.objects.bulk_create(pending)
            pending = []
        if written == count:
            break
    return days


def _taken_before(today: date) -> dict[tuple[str, int], list[tuple]]:
    """Blocking appointments that history days could meet, by practitioner and by
    room. A day before `today` in a zone west of UTC runs into today in UTC."""
    taken = defaultdict(list)
    before = timezone.make_aware(datetime.combine(today + timedelta(days=2), time(0)))
    for practitioner_id, room_id, start, end in Appointment.objects.filter(
        status__in=Appointment.BLOCKING, busy_starts_at__lt=before
    ).values_list("practitioner_id", "room_id", "busy_starts_at", "busy_ends_at"):
        taken["practitioner", practitioner_id].append((start, end))
        if room_id is not None:
            taken["room", room_id].append((start, end))
    return taken


def _history_day(
    *,
    rng,
    day,
    practitioner_id,
    location,
    room,
    blocks,
    mix,
    weights,
    client_ids,
    taken,
    booked_by,
    gap_hours,
) -> Iterator[Appointment]:
    zone = location.zone
    in_the_way = taken["practitioner", practitioner_id] + taken["room", room.pk]
    for opens, closes in blocks:
        yield from _history_block(
            rng=rng,
            clock=slots.wall_to_utc(day, opens, zone),
            closes=slots.wall_to_utc(day, closes, zone),
            practitioner_id=practitioner_id,
            location=location,
            room=room,
            mix=mix,
            weights=weights,
            client_ids=client_ids,
            in_the_way=in_the_way,
            booked_by=booked_by,
            gap_hours=gap_hours,
        )


def _history_block(
    *,
    rng,
    clock,
    closes,
    practitioner_id,
    location,
    room,
    mix,
    weights,
    client_ids,
    in_the_way,
    booked_by,
    gap_hours,
) -> Iterator[Appointment]:
    while True:
        service = rng.choices(mix, weights)[0]
        busy_start = clock
        starts_at = busy_start + service.buffer_before
        ends_at = starts_at + service.duration
        busy_end = ends_at + service.buffer_after
        if busy_end > closes:
            return
        clash = [end for start, end in in_the_way if start < busy_end and end > clock]
        if clash:
            clock = max(clash)
            continue
        roll = rng.random()
        if roll < 0.13:
            status = Appointment.Status.CANCELLED
        elif roll < 0.18:
            status = Appointment.Status.NO_SHOW
        else:
            status = Appointment.Status.COMPLETED
        yield Appointment(
            client_id=rng.choice(client_ids),
            service=service,
            practitioner_id=practitioner_id,
            location=location,
            room=room if service.needs_room else None,
            starts_at=starts_at,
            ends_at=ends_at,
            busy_starts_at=busy_start,
            busy_ends_at=busy_end,
            status=status,
            source=rng.choice(HISTORY_SOURCES),
            cancellation_reason=rng.choice(CANCEL_REASONS)
            if status == Appointment.Status.CANCELLED
            else "",
            booked_by=booked_by,
        )
        # A cancelled booking gave its time back: the next one takes the same slot.
        if status != Appointment.Status.CANCELLED:
            clock = busy_end
        if gap_hours:
            clock += timedelta(minutes=15 * rng.randrange(4 * gap_hours + 1))
