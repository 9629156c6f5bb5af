"""The cancellation policy (issue 22) is stated where a client decides and is told:
the public booking page, the booking confirmation email and the portal's
appointment pages; always from the location's own setting, never fixed text."""

from datetime import UTC, datetime

import pytest

from appointments import services as booking
from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import build_email

POLICY = (
    "The deposit is refundable if you cancel at least 72 hours before your "
    "appointment; a later cancellation or a no-show forfeits it."
)


@pytest.fixture
def with_deposit(london, consultation):
    """A consultation that takes a £50 deposit, at a clinic refunding until 72 h."""
    london.deposit_refundable_hours = 72
    london.save()
    consultation.price_minor, consultation.deposit_minor = 15000, 5000
    consultation.save()
    return consultation


@pytest.fixture
def booked(jo, frozen_now, with_deposit, sam, practitioner):
    return booking.appointment_book(
        client=jo,
        service=with_deposit,
        practitioner=sam,
        starts_at=datetime(2026, 3, 5, 10, tzinfo=UTC),
        booked_by=practitioner,
    )


def test_the_booking_page_states_the_locations_policy(client, london, with_deposit):
    page = client.get(f"/book/{london.pk}/").text

    assert "£50.00 deposit" in page
    assert POLICY in page


def test_no_policy_where_no_service_takes_a_deposit(client, london, consultation):
    page = client.get(f"/book/{london.pk}/").text

    assert "refundable" not in page


def test_the_confirmation_email_states_the_policy(booked):
    message = OutboundMessage.objects.get(
        appointment=booked, kind=MessageKind.CONFIRMATION
    )

    email = build_email(message)

    assert "A deposit of £50.00 holds this time." in email.body
    assert POLICY in email.body
    assert POLICY in email.alternatives[0][0]


def test_the_portal_states_the_policy_for_an_appointment_with_a_deposit(
    booked, signed_in, jo
):
    browser = signed_in(jo)

    home = browser.get("/my/").text
    # 75 hours ahead: the portal still lets the client cancel, and says what then.
    cancel = browser.get(f"/my/appointments/{booked.pk}/cancel/")

    assert POLICY in home
    assert cancel.status_code == 200
    assert POLICY in cancel.text
