"""Online consultation booking: a new client, no login, the same booking service as
the front desk (and its guarantees), a confirmation email, and no help for spam."""

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from appointments import services
from appointments.models import Appointment
from clients.models import Client
from messaging.models import MessageKind, OutboundMessage

pytestmark = pytest.mark.usefixtures("frozen_now")

DETAILS = {
    "first_name": "Priya",
    "last_name": "Shah",
    "email": "Priya.Shah@example.com",
    "phone": "07700 900456",
    "notes": "Thinning at the crown.",
    "reminder_consent": "on",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def first_slot(page: str) -> str:
    return re.search(r'name="slot"[^>]*value="([^"]+)"', page)[1]


def test_a_new_client_books_a_consultation_and_the_front_desk_sees_them(
    client, london, sam, consultation, front_desk
):
    assert london.name in client.get("/book/").text
    page = client.get(f"/book/{london.pk}/").text
    slot = first_slot(page)

    response = client.post(f"/book/{london.pk}/", {**DETAILS, "slot": slot})

    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.source == "online" and appointment.booked_by is None
    assert (appointment.practitioner, appointment.service) == (sam, consultation)
    assert f"{appointment.practitioner_id}|{appointment.starts_at.isoformat()}" == slot
    new = appointment.client
    assert (new.first_name, new.email, new.phone) == (
        "Priya",
        "priya.shah@example.com",
        "+447700900456",
    )
    assert new.reminder_consent
    assert OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.CONFIRMATION, status="pending"
    ).exists()
    done = client.get(response["Location"]).text
    assert "is booked for" in done and london.name in done

    client.force_login(front_desk)
    dashboard = client.get("/").text
    assert "Booked online: intake to do" in dashboard
    assert "Priya Shah" in dashboard


def test_a_bot_that_fills_the_hidden_field_books_nothing(
    client, london, sam, consultation
):
    slot = first_slot(client.get(f"/book/{london.pk}/").text)

    response = client.post(
        f"/book/{london.pk}/", {**DETAILS, "slot": slot, "website": "http://spam"}
    )

    assert response.status_code == 302
    assert "reached us" in client.get(response["Location"]).text
    assert not Appointment.objects.exists()
    assert not Client.objects.exists()


def test_too_many_attempts_from_one_address_are_refused(
    client, london, sam, consultation, settings
):
    settings.ONLINE_BOOKING_LIMIT = 2
    for _ in range(2):
        client.post(f"/book/{london.pk}/", {"first_name": "x"})

    response = client.post(f"/book/{london.pk}/", {**DETAILS, "slot": "1|x"})

    assert response.status_code == 429
    assert "Too many bookings" in response.text
    assert 'value="Priya"' in response.text
    assert not Appointment.objects.exists()


def test_a_time_taken_meanwhile_is_refused_and_what_was_typed_stays(
    client, london, sam, consultation, jo, front_desk
):
    slot = first_slot(client.get(f"/book/{london.pk}/").text)
    _, start = slot.split("|")
    services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=datetime.fromisoformat(start),
        booked_by=front_desk,
    )

    response = client.post(f"/book/{london.pk}/", {**DETAILS, "slot": slot})

    assert response.status_code == 422
    assert "no longer free" in response.text
    assert 'value="Priya.Shah@example.com"' in response.text
    assert Appointment.objects.count() == 1


def test_bad_details_are_explained_and_kept(client, london, sam, consultation):
    slot = first_slot(client.get(f"/book/{london.pk}/").text)

    response = client.post(
        f"/book/{london.pk}/",
        {**DETAILS, "slot": slot, "email": "not-an-email", "phone": "12"},
    )

    assert response.status_code == 422
    assert "Enter a valid email address." in response.text
    assert "is not a valid phone number" in response.text
    assert 'value="Shah"' in response.text
    assert f'value="{slot}" checked' in response.text
    assert not Appointment.objects.exists()


def test_a_client_on_file_is_found_by_email_and_name_and_left_unchanged(
    client, london, sam, consultation
):
    known = Client.objects.create(
        first_name="Priya",
        last_name="Shah",
        email="priya.shah@example.com",
        phone="+447700900999",
    )
    stranger = Client.objects.create(
        first_name="Other", last_name="Person", email="other@example.com"
    )

    slot = first_slot(client.get(f"/book/{london.pk}/").text)
    client.post(f"/book/{london.pk}/", {**DETAILS, "slot": slot})
    slot = first_slot(client.get(f"/book/{london.pk}/").text)
    client.post(
        f"/book/{london.pk}/",
        {**DETAILS, "slot": slot, "email": "other@example.com"},
    )

    first, second = Appointment.objects.order_by("pk")
    assert first.client == known
    known.refresh_from_db()
    assert known.phone == "+447700900999"
    assert second.client not in (known, stranger)
    assert second.client.first_name == "Priya"


def test_a_closed_or_unknown_location_is_not_found(client, london, consultation):
    london.is_active = False
    london.save()

    assert client.get(f"/book/{london.pk}/").status_code == 404
    assert client.get("/book/999999/").status_code == 404


def test_a_tampered_confirmation_page_shows_no_booking(client, db):
    page = client.get("/book/done/forged:token/").text
    assert "reached us" in page
    assert "is booked for" not in page


def test_the_booking_needs_no_staff_login_and_keeps_the_notice_rule(
    client, london, sam, consultation, frozen_now
):
    page = client.get(f"/book/{london.pk}/").text
    starts = [
        datetime.fromisoformat(value.split("|")[1])
        for value in re.findall(r'name="slot"[^>]*value="([^"]+)"', page)
    ]

    assert starts
    assert min(starts) > datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
