"""Bookings a client's record forbids: no valid patch test, or a suitability decision
against treatment. The front desk is told why."""

from datetime import UTC, date, datetime, timedelta

import pytest

from appointments import services
from appointments.models import Appointment
from clients import services as client_services
from pigments.models import Pigment, PigmentLot
from tests.conftest import NOW, make_treatment_ready

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

SESSION_AT = datetime(2026, 3, 3, 13, 30, tzinfo=UTC)


@pytest.fixture
def lot(db):
    pigment = Pigment.objects.create(brand="Perma Blend", shade="SMP Dark")
    return PigmentLot.objects.create(
        pigment=pigment, lot_number="L1", expires_on=date(2030, 1, 1)
    )


@pytest.fixture
def jo(jo, practitioner):
    """Jo with every other gate before treatment passed: these tests are about the
    patch test and the suitability decision."""
    return make_treatment_ready(jo, by=practitioner)


@pytest.fixture
def needs_test(smp_session):
    smp_session.needs_patch_test = True
    smp_session.save()
    return smp_session


def book(client, service, practitioner, by, starts_at=SESSION_AT):
    return services.appointment_book(
        client=client,
        service=service,
        practitioner=practitioner,
        starts_at=starts_at,
        booked_by=by,
    )


def passed_test(client, lot, by, applied_days_ago=5):
    test = client_services.patch_test_apply(
        client=client,
        lots=[lot],
        applied_at=NOW - timedelta(days=applied_days_ago),
        notes="",
        by=by,
    )
    return client_services.patch_test_read(
        patch_test=test,
        result="passed",
        read_at=NOW - timedelta(days=applied_days_ago - 2),
        notes="",
        by=by,
    )


def test_without_a_patch_test_the_session_is_refused_and_why(
    jo, needs_test, sam, front_desk
):
    with pytest.raises(services.BookingError) as refused:
        book(jo, needs_test, sam, front_desk)
    assert "no passed or waived patch test" in refused.value.message
    assert "book one at least 48 hours before" in refused.value.message
    assert not Appointment.objects.exists()


def test_a_passed_test_lets_it_be_booked(jo, needs_test, sam, front_desk, lot):
    passed_test(jo, lot, front_desk)
    assert book(jo, needs_test, sam, front_desk).pk


def test_a_pending_or_failed_test_does_not(jo, needs_test, sam, front_desk, lot):
    pending = client_services.patch_test_apply(
        client=jo,
        lots=[lot],
        applied_at=NOW - timedelta(days=3),
        notes="",
        by=front_desk,
    )
    with pytest.raises(services.BookingError, match="patch test"):
        book(jo, needs_test, sam, front_desk)
    client_services.patch_test_read(
        patch_test=pending, result="failed", read_at=NOW, notes="", by=front_desk
    )
    with pytest.raises(services.BookingError, match="patch test"):
        book(jo, needs_test, sam, front_desk)


def test_an_old_test_has_expired(jo, needs_test, sam, front_desk, lot, settings):
    settings.PATCH_TEST_VALID_DAYS = 30
    passed_test(jo, lot, front_desk, applied_days_ago=40)
    with pytest.raises(services.BookingError, match="30 days"):
        book(jo, needs_test, sam, front_desk)


def test_a_consultation_never_needs_a_test(jo, consultation, sam, front_desk):
    assert book(jo, consultation, sam, front_desk).pk


def test_the_api_answers_422_with_the_reason(client, jo, needs_test, sam, front_desk):
    client.force_login(front_desk)
    response = client.post(
        "/api/appointments",
        {
            "client": jo.pk,
            "service": needs_test.pk,
            "practitioner": sam.pk,
            "start": SESSION_AT.isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "refused"
    assert "patch test" in response.json()["message"]


def test_moving_a_session_beyond_the_tests_validity_is_refused(
    jo, needs_test, sam, front_desk, lot, settings
):
    settings.PATCH_TEST_VALID_DAYS = 10
    passed_test(jo, lot, front_desk, applied_days_ago=5)
    appointment = book(jo, needs_test, sam, front_desk)
    with pytest.raises(services.BookingError, match="patch test"):
        services.appointment_reschedule(
            appointment=appointment,
            starts_at=SESSION_AT + timedelta(days=14),
            by=front_desk,
        )


@pytest.mark.parametrize(
    ("kind", "severity", "until", "decision"),
    [
        ("keloid", "absolute", None, "not_suitable"),
        ("blood_thinners", "clearance", None, "clearance"),
        ("psoriasis", "temporary", date(2026, 4, 1), "defer"),
    ],
)
def test_a_decision_against_treatment_stops_treatment_but_not_a_consultation(
    jo,
    smp_session,
    consultation,
    sam,
    practitioner,
    front_desk,
    kind,
    severity,
    until,
    decision,
):
    client_services.contraindication_record(
        client=jo, kind=kind, severity=severity, until=until, by=practitioner
    )
    client_services.suitability_decide(client=jo, decision=decision, by=practitioner)
    with pytest.raises(services.BookingError, match="suitability decision"):
        book(jo, smp_session, sam, front_desk)
    assert book(jo, consultation, sam, front_desk).pk


def test_a_deferral_ends_on_its_date(jo, smp_session, sam, practitioner, front_desk):
    client_services.contraindication_record(
        client=jo,
        kind="eczema",
        severity="temporary",
        until=date(2026, 3, 4),
        by=practitioner,
    )
    client_services.suitability_decide(client=jo, decision="defer", by=practitioner)
    with pytest.raises(services.BookingError, match="Defer until 4 Mar 2026"):
        book(jo, smp_session, sam, front_desk)
    assert book(jo, smp_session, sam, front_desk, SESSION_AT + timedelta(days=1)).pk
