"""Times are shown in the location's zone everywhere a client or the front desk reads
them, not in the clinic's default zone (Europe/London). Tokyo is nine hours ahead:
an appointment at 10:00 there is 01:00 in London, which is what Django's date filters
showed on several pages and in every email before."""

from datetime import UTC, datetime

import pytest
from django.core import mail

from appointments import services
from appointments.models import Location
from messaging import links, outbox

pytestmark = pytest.mark.usefixtures("frozen_now")

# Wednesday 4 March 2026, 10:00 in Tokyo; the tests' clock says Monday 16:00 there.
TOKYO_TEN = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)


@pytest.fixture
def tokyo(db):
    return Location.objects.create(name="Ginza", timezone="Asia/Tokyo")


@pytest.fixture
def kenji(make_practitioner, tokyo):
    return make_practitioner("Kenji", location=tokyo)


@pytest.fixture
def booked(jo, consultation, kenji, front_desk):
    return services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=kenji,
        starts_at=TOKYO_TEN,
        booked_by=front_desk,
    )


def test_the_confirmation_email_gives_the_locations_time(settings, booked):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    outbox.messages_send_due()

    (email,) = mail.outbox
    html = email.alternatives[0][0]
    for text in (email.body, html):
        assert "Wednesday 4 March 2026, 10:00–10:30 (Tokyo time)" in text
    assert "01:00" not in email.body + html


def test_the_email_link_page_gives_the_locations_time(client, booked):
    page = client.get(f"/m/{links.action_token('confirm', booked)}/")

    assert "Wednesday 4 March 2026, 10:00 (Tokyo time)" in page.text


def test_the_client_timeline_gives_the_appointments_local_time(
    client, front_desk, booked
):
    client.force_login(front_desk)

    page = client.get(f"/clients/{booked.client_id}/")

    assert "Wed 4 Mar 2026 10:00" in page.text


def test_next_free_and_offered_times_are_the_locations(
    client, front_desk, booked, consultation, tokyo, kenji
):
    client.force_login(front_desk)

    found = client.get(
        "/appointments/next-free/", {"service": consultation.pk, "date": "2026-03-02"}
    )
    taken = client.post(
        "/appointments/new/",
        {
            "client": booked.client_id,
            "service": consultation.pk,
            "practitioner": kenji.pk,
            "location": tokyo.pk,
            "date": "2026-03-04",
            "time": "10:00",
        },
    )

    # Monday 16:00 in Tokyo, plus the 15 minutes' notice.
    assert "Monday 2 Mar, 16:15" in found.text
    assert "That time is taken" in taken.text
    assert ">Wed 4 Mar 10:30<" in taken.text
