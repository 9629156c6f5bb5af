from datetime import date

import pytest

from clients import services
from clients.models import Client, ConsentKind
from treatments.models import Pigment, PigmentLot


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


@pytest.fixture
def consent_texts(db):
    return {
        kind: services.consent_text_publish(
            kind=kind, title=f"{label} consent", body=f"I agree to {label.lower()}."
        )
        for kind, label in ConsentKind.choices
    }
