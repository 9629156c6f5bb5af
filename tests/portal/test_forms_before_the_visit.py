"""Forms before the visit (issue 21 section 3): a client signs the current consents
on their own phone, by typing their name; a new version asks again."""

from datetime import UTC, datetime, time

from django.utils import timezone

from appointments import services as booking
from clients import selectors as client_selectors
from clients.models import Consent, ConsentKind
from clients.services import consent_text_publish
from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import build_email
from tests.portal.conftest import sign_in_as


def sign(browser, kind: str, **fields):
    data = {"agree": "on", "typed_name": "Jo Bloggs", **fields}
    return browser.post(f"/my/forms/sign/{kind}/", data)


def test_a_client_signs_the_treatment_consent_on_their_phone(client, jo, consent_texts):
    sign_in_as(client, jo)
    listed = client.get("/my/forms/").text
    assert "To sign" in listed
    assert "/my/forms/sign/treatment/" in listed

    response = sign(client, "treatment", typed_name="  jo   bloggs ")

    assert response.status_code == 302
    consent = Consent.objects.get(client=jo, text__kind=ConsentKind.TREATMENT)
    assert (consent.method, consent.typed_name) == ("typed", "jo bloggs")
    assert consent.witnessed_by is None
    assert not client_selectors.treatment_consent_status(jo).needs_signature
    assert "/my/forms/sign/treatment/" not in client.get("/my/forms/").text


def test_another_name_or_no_agreement_signs_nothing(client, jo, consent_texts):
    sign_in_as(client, jo)

    wrong = sign(client, "treatment", typed_name="Kim Other")
    unticked = sign(client, "treatment", agree="")

    assert wrong.status_code == unticked.status_code == 422
    assert "Type your full name as the clinic has it" in wrong.text
    assert not Consent.objects.filter(client=jo).exists()


def test_a_signed_consent_is_not_signed_twice_and_a_new_version_asks_again(
    client, jo, consent_texts
):
    sign_in_as(client, jo)
    sign(client, "photos")

    again = sign(client, "photos")
    assert "You have signed this already" in again.text
    assert "You signed this version" in client.get("/my/forms/sign/photos/").text
    assert Consent.objects.filter(client=jo).count() == 1

    consent_text_publish(
        kind=ConsentKind.PHOTOS, title="Photos v2", body="New wording."
    )
    assert "/my/forms/sign/photos/" in client.get("/my/forms/").text
    assert sign(client, "photos").status_code == 302
    assert Consent.objects.filter(client=jo).count() == 2


def test_only_the_clinics_consents_can_be_signed(client, jo, consent_texts):
    sign_in_as(client, jo)

    assert client.get("/my/forms/sign/patch_test_waiver/").status_code == 404
    assert client.get("/my/forms/sign/nonsense/").status_code == 404


def test_the_consent_text_is_escaped(client, jo, db):
    consent_text_publish(
        kind=ConsentKind.TREATMENT,
        title="<script>alert(1)</script>",
        body="<img src=x onerror=alert(2)>",
    )
    sign_in_as(client, jo)

    page = client.get("/my/forms/sign/treatment/").text

    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_a_consultation_confirmation_links_to_the_forms(
    jo, frozen_now, consultation, sam, practitioner, settings
):
    settings.SITE_URL = "https://clinic.example"
    appointment = booking.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
        booked_by=practitioner,
    )
    message = OutboundMessage.objects.get(
        appointment=appointment, kind=MessageKind.CONFIRMATION
    )

    email = build_email(message)

    assert "https://clinic.example/my/forms/" in email.body
    assert 'href="https://clinic.example/my/forms/"' in email.alternatives[0][0]


def london_zone(practitioner):
    return practitioner.locations.first().zone


def test_the_day_list_shows_who_has_signed_their_forms(
    client,
    jo,
    kim,
    consent_texts,
    consultation,
    sam,
    practitioner,
    front_desk,
    frozen_now,
):
    today = timezone.localdate()
    for person, hour in ((jo, 10), (kim, 11)):
        booking.appointment_book(
            client=person,
            service=consultation,
            practitioner=sam,
            starts_at=datetime.combine(today, time(hour), london_zone(sam)),
            booked_by=practitioner,
        )
    for kind in (ConsentKind.TREATMENT, ConsentKind.PHOTOS):
        Consent.objects.create(
            client=jo,
            text=consent_texts[kind],
            method="typed",
            typed_name="Jo Bloggs",
            signed_at=timezone.now(),
        )
    client.force_login(front_desk)

    page = client.get("/appointments/today/").text

    rows = {
        name: page.split(name, 1)[1].split("</tr>", 1)[0]
        for name in ("Jo Bloggs", "Kim Other")
    }
    outstanding = len(consent_texts) - 1  # the patch test waiver is not asked
    assert f"{outstanding - 2} to sign" in rows["Jo Bloggs"]
    assert f"{outstanding} to sign" in rows["Kim Other"]
