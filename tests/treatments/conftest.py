from datetime import date

import pytest

from clients.models import Client
from pigments.models import Pigment, PigmentLot
from tests.conftest import make_treatment_ready
from treatments import services


@pytest.fixture
def sam(make_practitioner):
    return make_practitioner("Sam")


@pytest.fixture
def jo(db, practitioner):
    """A client ready for treatment: every gate before treatment passes."""
    client = Client.objects.create(
        first_name="Jo", last_name="Bloggs", email="jo@x.test", reminder_consent=True
    )
    return make_treatment_ready(client, by=practitioner)


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
    def make(*, signed_off: bool = True, **fields):
        """A plan whose hairline design the client signed off (unless told not)."""
        fields.setdefault("variant", "permanent")
        fields.setdefault("goal", "full_head")
        fields.setdefault("hairline_style", "soft")
        fields.setdefault("recession", "mature")
        plan = services.plan_create(
            client=fields.pop("client", jo),
            practitioner=sam,
            service=smp_session,
            created_by=practitioner,
            **fields,
        )
        if signed_off:
            plan = services.plan_design_sign_off(
                plan=plan, typed_name=plan.client.full_name
            )
        return plan

    return make


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
