"""Private calendar feeds: a practitioner's appointments as iCalendar, read back by an
independent parser (vobject), behind a token the database keeps only as a digest."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import vobject
from django.db.models import F

from appointments import feeds, services
from appointments.models import Appointment, Practitioner
from messaging import outbox

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")


def book(client, service, practitioner, starts_at, by):
    return services.appointment_book(
        client=client,
        service=service,
        practitioner=practitioner,
        starts_at=starts_at,
        booked_by=by,
    )


def make_link(browser, practitioner) -> str:
    response = browser.post(
        "/calendar/feed/", {"practitioner": practitioner.pk, "action": "renew"}
    )
    assert response.status_code == 200
    return re.search(r'id="feed-url"[^>]*value="([^"]+)"', response.text)[1]


def feed_path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def sams_browser(client, sam):
    client.force_login(sam.user)
    return client


def test_a_practitioner_subscribes_to_their_appointments(
    sams_browser, client, sam, jo, consultation, smp_session, front_desk,
    treatment_ready,
):  # fmt: skip
    treatment_ready(jo)
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    first = book(jo, consultation, sam, monday + timedelta(hours=10), front_desk)
    second = book(
        jo,
        smp_session,
        sam,
        monday + timedelta(days=1, hours=13, minutes=15),
        front_desk,
    )
    cancelled = book(jo, consultation, sam, monday + timedelta(hours=14), front_desk)
    services.appointment_cancel(appointment=cancelled, reason="Unwell", by=front_desk)
    url = make_link(sams_browser, sam)

    client.logout()
    response = client.get(feed_path(url))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = vobject.readOne(response.content.decode())
    events = {event.uid.value: event for event in calendar.vevent_list}
    assert set(events) == {
        f"appointment-{first.pk}@127.0.0.1:8000",
        f"appointment-{second.pk}@127.0.0.1:8000",
    }
    event = events[f"appointment-{second.pk}@127.0.0.1:8000"]
    assert event.dtstart.value == datetime(2026, 3, 3, 13, 15, tzinfo=UTC)
    assert "DTSTART;TZID=Europe/London:20260303T131500" in response.text
    assert event.summary.value == f"SMP session: {jo.first_name} {jo.last_name[0]}."
    assert jo.last_name not in response.content.decode()
    assert "Room" in event.location.value and "London" in event.location.value
    assert event.status.value == "TENTATIVE"
    assert calendar.vtimezone.tzid.value == "Europe/London"


def test_the_link_is_shown_once_and_only_its_digest_is_kept(sams_browser, sam):
    url = make_link(sams_browser, sam)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")

    sam.refresh_from_db()
    assert sam.feed_digest == feeds.digest(token)
    assert not Practitioner.objects.filter(feed_digest__contains=token).exists()
    assert token not in sams_browser.get("/calendar/feed/").text


def test_a_new_link_stops_the_old_one_and_stopping_stops_both(
    sams_browser, client, sam
):
    old = make_link(sams_browser, sam)
    new = make_link(sams_browser, sam)

    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200

    sams_browser.post("/calendar/feed/", {"practitioner": sam.pk, "action": "stop"})
    assert client.get(feed_path(new)).status_code == 404
    sam.refresh_from_db()
    assert sam.feed_digest == "" and sam.feed_created_at is None


def test_a_made_up_token_finds_nothing(client, sam, db):
    assert client.get("/feeds/not-a-token.ics").status_code == 404
    assert client.post("/feeds/not-a-token.ics").status_code == 405


def test_a_practitioner_cannot_touch_another_practitioners_feed(sams_browser, alex):
    response = sams_browser.post(
        "/calendar/feed/", {"practitioner": alex.pk, "action": "renew"}
    )

    assert response.status_code == 422
    assert "only manage your own calendar feed" in response.text
    alex.refresh_from_db()
    assert alex.feed_digest == ""


def test_a_manager_manages_every_practitioners_feed(client, manager, sam, alex):
    client.force_login(manager)
    page = client.get("/calendar/feed/").text
    assert str(sam) in page and str(alex) in page

    url = make_link(client, alex)

    assert client.get(feed_path(url)).status_code == 200


def test_a_feed_leaves_out_what_is_past_its_window(
    sams_browser, client, sam, jo, consultation, front_desk, frozen_now
):
    soon = book(jo, consultation, sam, datetime(2026, 3, 2, 10, tzinfo=UTC), front_desk)
    back = timedelta(days=feeds.FEED_DAYS_BEFORE + 2)
    Appointment.objects.filter(pk=soon.pk).update(
        starts_at=F("starts_at") - back,
        ends_at=F("ends_at") - back,
        busy_starts_at=F("busy_starts_at") - back,
        busy_ends_at=F("busy_ends_at") - back,
    )
    url = make_link(sams_browser, sam)

    calendar = vobject.readOne(client.get(feed_path(url)).content.decode())

    assert not hasattr(calendar, "vevent")


@pytest.mark.parametrize(
    "starts_at",
    [datetime(2026, 3, 3, 10, tzinfo=UTC), datetime(2026, 7, 7, 9, tzinfo=UTC)],
)
def test_the_confirmation_emails_event_reads_the_same_elsewhere(
    starts_at, jo, consultation, sam, front_desk
):
    """In winter and in summer time, the attachment's local time and zone rules
    give back the booked instant in an independent reader."""
    appointment = book(jo, consultation, sam, starts_at, front_desk)

    event = vobject.readOne(outbox.appointment_ics(appointment)).vevent

    assert event.dtstart.value == starts_at
    assert event.dtend.value == appointment.ends_at
