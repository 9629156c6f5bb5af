"""Signed links in client emails: GET shows, POST acts once; tampered, expired,
reused and outdated links change nothing; requests are rate limited."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from appointments import services
from appointments.models import Appointment
from messaging import links
from tests.conftest import NOW

SESSION_AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("rooms", "frozen_now")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def appointment(jo, consultation, sam, front_desk):
    return services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=SESSION_AT,
        booked_by=front_desk,
    )


def path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


def status_of(appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).status


def test_get_shows_the_appointment_and_changes_nothing(client, appointment):
    url = path(links.action_url("cancel", appointment))
    response = client.get(url)
    assert response.status_code == 200
    assert "Cancel your appointment" in response.text
    assert "Wednesday 4 March 2026, 13:30" in response.text
    assert status_of(appointment) == "booked"


def test_post_confirms_once(client, appointment):
    url = path(links.action_url("confirm", appointment))
    response = client.post(url)
    assert "your appointment is confirmed" in response.text
    assert status_of(appointment) == "confirmed"
    again = client.post(url)
    assert again.status_code == 410
    assert "already been used" in again.text


def test_cancel_from_the_email_cancels_and_stops_the_reminders(client, appointment):
    client.post(path(links.action_url("cancel", appointment)))
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert "email link" in appointment.cancellation_reason
    assert not appointment.messages.filter(status="pending").exists()


def test_asking_to_reschedule_leaves_a_note_for_the_front_desk(client, appointment):
    client.post(path(links.action_url("reschedule", appointment)))
    appointment.refresh_from_db()
    assert "asked to change the time" in appointment.notes
    assert appointment.status == "booked"


def test_a_tampered_link_changes_nothing(client, appointment):
    url = path(links.action_url("confirm", appointment))
    token = url.split("/")[2]
    forged = links.action_token("cancel", appointment).split(":")[0]
    tampered = f"/m/{forged}:{token.split(':', 1)[1]}/"
    response = client.post(tampered)
    assert response.status_code == 400
    assert status_of(appointment) == "booked"


def test_an_expired_link_changes_nothing(client, appointment, settings):
    url = path(links.action_url("cancel", appointment))
    later = NOW + timedelta(days=settings.MESSAGE_LINK_MAX_AGE_DAYS, minutes=1)
    with time_machine.travel(later, tick=False):
        response = client.post(url)
    assert response.status_code == 410
    assert "expired" in response.text
    assert status_of(appointment) == "booked"


def test_a_link_from_before_a_move_changes_nothing(client, appointment, front_desk):
    url = path(links.action_url("cancel", appointment))
    services.appointment_reschedule(
        appointment=appointment, starts_at=SESSION_AT + timedelta(days=1), by=front_desk
    )
    response = client.post(url)
    assert response.status_code == 410
    assert status_of(appointment) == "booked"


def test_links_are_rate_limited(client, appointment, settings):
    settings.MESSAGE_LINK_RATE_LIMIT = 3
    url = path(links.action_url("confirm", appointment))
    codes = [client.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.post(url).status_code == 429
    assert status_of(appointment) == "booked"


def test_one_click_unsubscribe_works_without_a_csrf_token(jo, appointment):
    from django.test import Client

    browserless = Client(enforce_csrf_checks=True)
    url = path(links.unsubscribe_url(jo))
    assert browserless.get(url).status_code == 200
    jo.refresh_from_db()
    assert jo.reminder_consent is True
    response = browserless.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    jo.refresh_from_db()
    assert jo.reminder_consent is False
    # One click stops reminders; aftercare still comes.
    assert jo.email_opt_out is False


def test_the_unsubscribe_page_offers_stopping_all_email_aftercare_included(
    client, jo, appointment
):
    url = path(links.unsubscribe_url(jo))
    page = client.get(url).text
    assert "Stop all emails" in page and 'name="scope" value="all"' in page
    response = client.post(url, {"scope": "all"})
    assert "no more emails from us, aftercare included" in response.text
    jo.refresh_from_db()
    assert (jo.reminder_consent, jo.email_opt_out) == (False, True)


def test_an_action_link_needs_the_csrf_token_of_its_page(appointment):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    url = path(links.action_url("cancel", appointment))
    assert strict.post(url).status_code == 403
    assert status_of(appointment) == "booked"
