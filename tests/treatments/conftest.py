from datetime import date

import pytest
from django.utils import timezone

from clients.models import Client, Recommendation, SuitabilityDecision
from treatments import services
from treatments.models import Pigment, PigmentLot


@pytest.fixture
def sam(make_practitioner):
    return make_practitioner("Sam")


@pytest.fixture
def jo(db, practitioner):
    client = Client.objects.create(
        first_name="Jo", last_name="Bloggs", email="jo@x.test", reminder_consent=True
    )
    SuitabilityDecision.objects.create(
        client=client,
        recommended=Recommendation.SUITABLE,
        decision=Recommendation.SUITABLE,
        decided_by=practitioner,
        decided_at=timezone.now(),
    )
    return client


@pytest.fixture
def pigment(db):
    return Pigment.objects.create(
        brand="Perma Blend",
        shade="SMP Dark",
        ingredients="Carbon black (CI 77266), aqua, glycerin",
        warnings="Do not use on broken skin.",
    )


@pytest.fixture
def lot(pigment):
    return PigmentLot.objects.create(
        pigment=pigment, lot_number="L26001A", expires_on=date(2030, 1, 1)
    )


@pytest.fixture
def expired_lot(pigment):
    return PigmentLot.objects.create(
        pigment=pigment, lot_number="OLD-1", expires_on=date(2026, 1, 31)
    )


@pytest.fixture
def make_plan(jo, sam, smp_session, rooms, practitioner):
    def make(**fields):
        fields.setdefault("variant", "permanent")
        fields.setdefault("goal", "full_head")
        return services.plan_create(
            client=fields.pop("client", jo),
            practitioner=sam,
            service=smp_session,
            created_by=practitioner,
            **fields,
        )

    return make


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
