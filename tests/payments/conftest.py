from datetime import UTC, datetime

import pytest

from appointments import services as booking
from appointments.models import Location

AT = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def booked(frozen_now, jo, consultation, sam, front_desk, rooms):
    """A consultation priced £400 with a £100 deposit, at the London clinic."""
    consultation.price_minor, consultation.deposit_minor = 40000, 10000
    consultation.save()
    return booking.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=AT,
        booked_by=front_desk,
    )


@pytest.fixture
def new_york(db):
    return Location.objects.create(
        name="New York", timezone="America/New_York", currency="USD", locale="en_US"
    )
