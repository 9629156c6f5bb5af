"""The API's free times are served from a cached schedule set-up (hours, closures,
rooms) until the set-up changes, with the busy time read afresh: each change below
shows in the very next answer, a booking costs the next answer no more than its one
query, the time now is applied on every request, and an answer from the cache is the
answer computed afresh.
"""

import json
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection

from appointments import selectors, services
from appointments.models import Closure, Service, WorkingHours

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

START = "2026-03-02"  # the tests' Monday; London is on GMT, wall times equal UTC
TEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@contextmanager
def counted():
    """The statements run meanwhile. (CaptureQueriesContext slices Django's query
    log by position, which the test client's requests reset and the log's length
    caps: it can report none for a request that ran several.)"""
    statements = []

    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield statements


@pytest.fixture
def free(client, front_desk, consultation, sam):
    client.force_login(front_desk)

    def load(**params):
        answer = client.get(
            "/api/availability",
            {"service": consultation.pk, "start": START, "days": 1, **params},
        )
        assert answer.status_code == 200, answer.content
        return [slot["start"] for slot in answer.json()["slots"]]

    load()
    return load


def test_a_second_answer_reads_only_the_busy_time_and_is_the_same(free):
    first = free()
    with counted() as served:
        second = free()
    cache.clear()
    with counted() as afresh:
        fresh = free()

    assert first == second == fresh
    # Afresh: the service, hours, closures and busy time (and the session and user,
    # which the cleared cache held too).
    assert len(served) == 1 and "appointments_timeoff" in served[0], served
    assert len(afresh) >= 4, afresh


def test_a_booking_does_not_send_the_next_answer_back_to_the_start(
    free, client, jo, consultation, sam
):
    free()
    booked = client.post(
        "/api/appointments",
        json.dumps(
            {
                "client": jo.pk,
                "service": consultation.pk,
                "practitioner": sam.pk,
                "start": "2026-03-02T10:00:00Z",
            }
        ),
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.content
    with counted() as served:
        after = free()
    assert len(served) == 1, served  # the busy time only
    assert "2026-03-02T10:00:00Z" not in after


def test_a_booking_a_move_and_a_cancellation_show_at_once(free, jo, consultation, sam):
    assert "2026-03-02T10:00:00Z" in free()
    appointment = services.appointment_book(
        client=jo, service=consultation, practitioner=sam, starts_at=TEN, booked_by=None
    )
    assert "2026-03-02T10:00:00Z" not in free()

    services.appointment_reschedule(
        appointment=appointment, starts_at=TEN + timedelta(hours=4), by=None
    )
    shown = free()
    assert "2026-03-02T10:00:00Z" in shown and "2026-03-02T14:00:00Z" not in shown

    services.appointment_cancel(appointment=appointment, reason="Unwell", by=None)
    assert "2026-03-02T14:00:00Z" in free()


def test_hours_closures_and_a_retired_service_show_at_once(
    free, client, consultation, sam, london
):
    morning = WorkingHours.objects.get(practitioner=sam, weekday=0, start_time=time(9))
    morning.start_time = time(11, 0)
    morning.save()
    assert free()[0] == "2026-03-02T11:00:00Z"

    Closure.objects.create(location=london, date=date(2026, 3, 2), name="Floods")
    assert free() == []

    consultation.is_active = False
    consultation.save()
    answer = client.get(
        "/api/availability", {"service": consultation.pk, "start": START, "days": 1}
    )
    assert answer.status_code == 404


def test_the_time_now_is_applied_to_a_cached_schedule(
    free, frozen_now, client, front_desk
):
    before = free()
    frozen_now.move_to(datetime(2026, 3, 2, 12, 50, tzinfo=UTC))
    client.force_login(front_desk)  # the idle session has ended meanwhile
    after = free()

    assert after and after[0] >= "2026-03-02T13:05:00Z"  # 15 minutes' notice
    assert set(after) < set(before)


def test_the_selector_and_the_served_answer_agree(consultation, sam, jo):
    services.appointment_book(
        client=jo, service=consultation, practitioner=sam, starts_at=TEN, booked_by=None
    )
    direct = selectors.availability(
        service=consultation, first_day=date(2026, 3, 2), days=7
    )
    for _ in range(2):  # afresh, then from the cache
        service, served = selectors.served_availability(
            service_id=consultation.pk, first_day=date(2026, 3, 2), days=7
        )
        assert service == consultation
        assert served.slots == direct.slots


def test_an_unknown_service_is_a_404_and_caches_nothing(client, front_desk):
    client.force_login(front_desk)
    missing = Service.objects.order_by("-pk").values_list("pk", flat=True).first()
    for _ in range(2):
        answer = client.get(
            "/api/availability", {"service": (missing or 0) + 1, "start": START}
        )
        assert answer.status_code == 404
