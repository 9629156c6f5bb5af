from datetime import date

import pytest

from clients.models import Client
from pigments.models import Pigment, PigmentLot


@pytest.fixture
def jo(db):
    return Client.objects.create(
        first_name="Jo",
        last_name="Bloggs",
        email="jo@x.test",
        phone="+447700900123",
        date_of_birth=date(1985, 4, 30),
    )


@pytest.fixture
def lot(db):
    pigment = Pigment.objects.create(brand="Perma Blend", shade="SMP Dark")
    return PigmentLot.objects.create(
        pigment=pigment, lot_number="L26001A", expires_on=date(2030, 1, 1)
    )
