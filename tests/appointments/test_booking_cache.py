"""The service, practitioner and message timing a booking reads from the cache
(appointments/booking_cache.py, messaging.selectors.message_settings): any change to
them is what the very next booking sees."""

import json
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment, Service, WorkingHours
from messaging.models import MessageKind, OutboundMessage
from messaging.selectors import message_settings

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def book(desk, jo, consultation, sam):
    """POST a booking at 10:00 plus `hours` (each a free hour); the answer."""

    def post(hours=0, **body):
        at = f"2026-03-02T{10 + hours:02d}:00:00Z"
        payload = {
            "client": jo.pk,
            "service": consultation.pk,
            "practitioner": sam.pk,
            "start": at,
            **body,
        }
        return desk.post(
            "/api/appointments", json.dumps(payload), content_type="application/json"
        )

    return post


def test_a_retired_service_or_a_stopped_practitioner_is_refused_at_once(
    book, consultation, sam
):
    assert book(0).status_code == 201  # both are in the cache from here on

    consultation.is_active = False
    consultation.save()
    retired = book(1)
    consultation.is_active = True
    consultation.save()
    sam.is_active = False
    sam.save()
    stopped = book(1)

    assert retired.status_code == 422
    assert "no longer offered" in retired.json()["message"]
    assert stopped.status_code == 422
    assert "not taking bookings" in stopped.json()["message"]
    assert Appointment.objects.count() == 1


def test_a_changed_duration_and_a_new_service_count_from_the_next_booking(
    book, consultation
):
    assert book(0).status_code == 201
    consultation.duration_minutes = 45
    consultation.save()
    longer = book(1)
    video_call = Service.objects.create(
        name="Video call <script>", kind=Service.Kind.CONSULTATION, duration_minutes=20
    )
    new = book(3, service=video_call.pk)  # 12:00 is a break

    assert longer.status_code == 201
    booked = Appointment.objects.get(pk=longer.json()["id"])
    assert booked.ends_at - booked.starts_at == timedelta(minutes=45)
    assert new.status_code == 201, new.json()
    assert new.json()["service"] == video_call.pk


def test_an_unknown_service_or_practitioner_is_a_404_and_books_nothing(
    book, consultation, sam
):
    assert book(0).status_code == 201

    no_service = book(1, service=consultation.pk + 1000)
    no_practitioner = book(1, practitioner=sam.pk + 1000)

    assert no_service.status_code == no_practitioner.status_code == 404
    assert no_service.json()["code"] == "not_found"
    assert Appointment.objects.count() == 1


def test_new_reminder_times_count_from_the_next_booking(book):
    assert book(0).status_code == 201
    timing = message_settings()
    timing.reminder_hours = "2"
    timing.save()

    created = book(1).json()

    reminders = OutboundMessage.objects.filter(
        appointment_id=created["id"], kind=MessageKind.REMINDER
    )
    assert [m.dedupe_key.split(":")[2] for m in reminders] == ["reminder-2h"]


def test_a_booking_reads_none_of_the_four_from_the_database_once_cached(book):
    # The clinic's message timing is a row written on first read: read inside the
    # booking that wrote it, it is cached from the next read on (core.cache:
    # nothing a transaction changed is stored before it commits).
    message_settings()
    assert book(0).status_code == 201

    with CaptureQueriesContext(connection) as captured:
        assert book(1).status_code == 201

    read = " ".join(q["sql"] for q in captured.captured_queries)
    assert 'FROM "appointments_service"' not in read
    assert 'FROM "appointments_practitioner" ' not in read
    assert "messagesettings" not in read
    assert "workinghours" not in read


def test_new_working_hours_count_from_the_next_booking(book, sam, london):
    assert book(0).status_code == 201  # Monday 10:00; the hours are cached now
    monday = sam.working_hours.filter(weekday=0)
    for block in monday:  # through the model, as the set-up page saves them
        block.delete()
    off = book(1)
    WorkingHours.objects.create(
        practitioner=sam,
        location=london,
        weekday=0,
        start_time=time(11),
        end_time=time(12),
    )
    back = book(1)
    outside = book(-1)  # 09:00, no longer in the new hours

    assert off.status_code == 422
    assert "does not work" in off.json()["message"]
    assert back.status_code == 201, back.json()
    assert outside.status_code == 422


def test_a_practitioner_taken_off_a_location_or_a_closed_location_is_refused(
    book, sam, london
):
    assert book(0).status_code == 201
    sam.locations.remove(london)
    moved_away = book(1)
    sam.locations.add(london)
    london.is_active = False
    london.save()
    closed = book(3)  # 13:00; 12:00 is a break
    london.is_active = True
    london.save()
    again = book(4)

    assert moved_away.status_code == closed.status_code == 422
    assert again.status_code == 201, again.json()
