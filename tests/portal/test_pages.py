"""What a signed-in client sees and changes in the portal: only their own rows,
whatever id they type; every hostile string escaped."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from appointments import services as booking
from clients import services as client_services
from clients.models import ConsentKind
from messaging.models import MessageKind, OutboundMessage
from tests.portal.conftest import sign_in_as

HOSTILE = "<script>alert(1)</script> \"quoted\" 'single' 🙂"


@pytest.fixture
def two_clients(jo, kim, frozen_now, consultation, sam, practitioner, consent_texts):
    """Jo and Kim, each with an appointment, a sent email and two consents."""
    made = {}
    for person, hour in ((jo, 10), (kim, 11)):
        appointment = booking.appointment_book(
            client=person,
            service=consultation,
            practitioner=sam,
            starts_at=datetime(2026, 3, 3, hour, tzinfo=UTC),
            booked_by=practitioner,
        )
        message = OutboundMessage.objects.get(
            client=person, kind=MessageKind.CONFIRMATION
        )
        message.status = "sent"
        message.sent_at = timezone.now()
        message.subject = f"Booked: consultation for {person.first_name}"
        message.save()
        photos = client_services.consent_sign(
            client=person,
            text=consent_texts[ConsentKind.PHOTOS],
            typed_name=person.full_name,
            by=practitioner,
        )
        treatment = client_services.consent_sign(
            client=person,
            text=consent_texts[ConsentKind.TREATMENT],
            typed_name=person.full_name,
            by=practitioner,
        )
        made[person.first_name] = {
            "appointment": appointment,
            "message": message,
            "photos": photos,
            "treatment": treatment,
        }
    return made


def test_a_client_sees_their_own_appointment_and_not_another_clients(
    client, jo, two_clients
):
    sign_in_as(client, jo)

    page = client.get("/my/").text

    assert "Hello Jo" in page
    assert "Tuesday 3 March 2026, 10:00" in page
    assert "11:00" not in page


def test_every_page_of_the_portal_opens_for_the_client(client, jo, two_clients):
    sign_in_as(client, jo)
    for path in (
        "/my/",
        "/my/history/",
        "/my/plan/",
        "/my/aftercare/",
        "/my/forms/",
        f"/my/forms/{two_clients['Jo']['photos'].pk}/",
        "/my/ink-passport/",
        "/my/messages/",
        f"/my/messages/{two_clients['Jo']['message'].pk}/",
        "/my/details/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Sign out" in response.text, path


def test_another_clients_ids_are_404(client, jo, kim, two_clients):
    sign_in_as(client, jo)
    theirs = two_clients["Kim"]

    assert client.get(f"/my/forms/{theirs['photos'].pk}/").status_code == 404
    assert (
        client.get(f"/my/forms/{theirs['photos'].pk}/signature.png").status_code == 404
    )
    assert client.get(f"/my/messages/{theirs['message'].pk}/").status_code == 404
    withdraw = client.post(f"/my/forms/{theirs['photos'].pk}/withdraw/")
    assert withdraw.status_code == 404
    theirs["photos"].refresh_from_db()
    assert theirs["photos"].withdrawn_at is None
    for missing in ("/my/forms/999999/", "/my/messages/999999/"):
        assert client.get(missing).status_code == 404
    assert "consultation for Kim" not in client.get("/my/messages/").text


def test_a_pending_message_cannot_be_read_before_it_is_sent(client, jo, two_clients):
    reminder = OutboundMessage.objects.filter(
        client=jo, kind=MessageKind.REMINDER
    ).first()
    sign_in_as(client, jo)

    assert reminder is not None
    assert client.get(f"/my/messages/{reminder.pk}/").status_code == 404


def test_a_client_reads_an_email_they_were_sent(client, jo, two_clients):
    sign_in_as(client, jo)
    message = two_clients["Jo"]["message"]

    page = client.get(f"/my/messages/{message.pk}/").text

    assert "Booked: consultation for Jo" in page
    assert "Hello Jo" in page


def test_a_client_withdraws_their_photo_consent(client, jo, two_clients):
    sign_in_as(client, jo)
    photos = two_clients["Jo"]["photos"]

    response = client.post(f"/my/forms/{photos.pk}/withdraw/", follow=True)

    photos.refresh_from_db()
    assert photos.withdrawn_at is not None
    assert "You withdrew" in response.text
    assert "Withdrawn" in response.text


def test_the_treatment_consent_is_withdrawn_with_the_practitioner(
    client, jo, two_clients
):
    sign_in_as(client, jo)
    treatment = two_clients["Jo"]["treatment"]

    response = client.post(f"/my/forms/{treatment.pk}/withdraw/", follow=True)

    treatment.refresh_from_db()
    assert treatment.withdrawn_at is None
    assert "speak to your practitioner" in response.text


def test_a_signed_form_prints_with_its_text_and_signature(client, jo, two_clients):
    sign_in_as(client, jo)
    photos = two_clients["Jo"]["photos"]

    page = client.get(f"/my/forms/{photos.pk}/").text

    assert "Photographs for the clinical record consent" in page
    assert "Typed: <em>Jo Bloggs</em>" in page
    assert "Print" in page


def test_a_client_changes_their_phone_and_preferences(client, jo, two_clients):
    sign_in_as(client, jo)

    response = client.post(
        "/my/details/",
        {
            "phone": "07700 900999",
            "preferred_contact": "sms",
            "reminder_consent": "",
            "marketing_consent": "",
            "email_opt_out": "",
            # Not on the form: ignored.
            "email": "thief@evil.test",
            "first_name": "Mallory",
        },
    )

    assert response.status_code == 302
    jo.refresh_from_db()
    assert jo.phone == "+447700900999"
    assert jo.preferred_contact == "sms"
    assert jo.reminder_consent is False
    assert (jo.email, jo.first_name) == ("jo@x.test", "Jo")


def test_a_bad_phone_number_is_refused_and_changes_nothing(client, jo, two_clients):
    sign_in_as(client, jo)

    response = client.post(
        "/my/details/",
        {
            "phone": "not a phone",
            "preferred_contact": "email",
            "reminder_consent": "on",
        },
    )

    assert response.status_code == 422
    assert "is not a phone number" in response.text
    jo.refresh_from_db()
    assert jo.phone == "+447700900123"


def test_hostile_strings_are_escaped_on_the_client_pages(
    client, jo, two_clients, consent_texts
):
    jo.first_name = HOSTILE
    jo.save()
    consultation = two_clients["Jo"]["appointment"].service
    consultation.name = HOSTILE
    consultation.save()
    message = two_clients["Jo"]["message"]
    message.subject = HOSTILE
    message.save()
    sign_in_as(client, jo)

    for path in ("/my/", "/my/messages/", f"/my/messages/{message.pk}/", "/my/plan/"):
        page = client.get(path).text
        assert "<script>alert(1)" not in page, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/my/").text
