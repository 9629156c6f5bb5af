"""Demo schedule for `seed_demo`: two locations in different zones, rooms, the SMP
services, working hours with a lunch break, closures and a few weeks of bookings.

Bookings go through the booking service, so demo data obeys every rule real data does.
They start from today, so the same seed gives the same pattern relative to the day run.
"""

import random
from datetime import date, time

from django.utils import timezone

from appointments import selectors, services
from appointments.models import (
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    WorkingHours,
)

SERVICES = [
    # name, kind, minutes, buffer before, buffer after, room, patch test, price, deposit
    ("Consultation", Service.Kind.CONSULTATION, 30, 0, 10, False, False, 0, 0),
    ("Patch test", Service.Kind.PATCH_TEST, 15, 0, 5, True, False, 25, 0),
    ("SMP session", Service.Kind.SMP_SESSION, 180, 15, 15, True, True, 450, 100),
    (
        "Scar camouflage",
        Service.Kind.SCAR_CAMOUFLAGE,
        120,
        15,
        15,
        True,
        True,
        350,
        100,
    ),
    ("Touch-up", Service.Kind.TOUCH_UP, 90, 15, 15, True, True, 200, 50),
    ("Fade check", Service.Kind.FADE_CHECK, 20, 0, 5, False, False, 0, 0),
]

LOCATIONS = [
    ("London Shoreditch", "12 Curtain Road, London EC2A 3NQ", "Europe/London"),
    ("New York SoHo", "90 Prince Street, New York, NY 10012", "America/New_York"),
]

# Weekday blocks: mornings and afternoons with a lunch break; some work Saturdays.
WEEKDAY_BLOCKS = ((time(9), time(13)), (time(14), time(18)))
SATURDAY_BLOCKS = ((time(10), time(16)),)


def seed_schedule(
    *, rng: random.Random, practitioner_users, clients, treatable_clients, booked_by
) -> None:
    """Bookings from today; treatments only for clients cleared and patch-tested."""
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
            price=price,
            deposit=deposit,
        )
    locations = [
        Location.objects.create(name=name, address=address, timezone=zone)
        for name, address, zone in LOCATIONS
    ]
    for location in locations:
        Room.objects.bulk_create(
            Room(location=location, name=f"Studio {n}") for n in (1, 2, 3)
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
                            or service.kind in services.TREATMENT_KINDS
                            else clients
                        ),
                        service=service,
                        practitioner=practitioner,
                        starts_at=slot.start,
                        booked_by=booked_by,
                    )
                except services.BookingError:
                    continue  # an earlier demo booking took this time
