from datetime import UTC, datetime, time

import pytest
import time_machine

from appointments.models import (
    Location,
    Practitioner,
    Room,
    Service,
    WorkingHours,
)
from clients.models import Client
from smp_clinic.roles import Role

# A Monday; the tests' clock stands here unless they move it.
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def london(db):
    return Location.objects.create(name="London", timezone="Europe/London")


@pytest.fixture
def rooms(london):
    return [Room.objects.create(location=london, name=f"Room {n}") for n in (1, 2)]


@pytest.fixture
def smp_session(db):
    return Service.objects.create(
        name="SMP session",
        kind=Service.Kind.SMP_SESSION,
        duration_minutes=120,
        buffer_before_minutes=15,
        buffer_after_minutes=15,
        needs_room=True,
        price=400,
        deposit=100,
    )


@pytest.fixture
def consultation(db):
    return Service.objects.create(
        name="Consultation",
        kind=Service.Kind.CONSULTATION,
        duration_minutes=30,
        needs_room=False,
    )


@pytest.fixture
def make_practitioner(make_staff, london):
    """A practitioner at London, 09:00–12:00 and 13:00–17:00 every day."""

    def make(name="Sam", *, location=None, blocks=((9, 12), (13, 17))):
        location = location or london
        user = make_staff(Role.PRACTITIONER, first_name=name, last_name="Okafor")
        practitioner = Practitioner.objects.create(user=user, licence_number="BA-1")
        practitioner.locations.add(location)
        WorkingHours.objects.bulk_create(
            WorkingHours(
                practitioner=practitioner,
                location=location,
                weekday=weekday,
                start_time=time(start),
                end_time=time(end),
            )
            for weekday in range(7)
            for start, end in blocks
        )
        return practitioner

    return make


@pytest.fixture
def sam(make_practitioner):
    return make_practitioner("Sam")


@pytest.fixture
def alex(make_practitioner):
    return make_practitioner("Alex")


@pytest.fixture
def jo(db):
    return Client.objects.create(first_name="Jo", last_name="Bloggs", email="jo@x.test")


@pytest.fixture
def make_client(db):
    counter = iter(range(1, 100_000))

    def make():
        n = next(counter)
        return Client.objects.create(first_name=f"Client{n}", last_name="Test")

    return make
