"""The staff JSON API: availability, booking, cancelling, the schema."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments import calendar_cache, selectors
from appointments.models import Appointment

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

START = "2026-03-02"


def availability(client, **params):
    return client.get("/api/availability", {"start": START, **params})


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_availability_answers_in_the_designed_shape(
    client, front_desk, consultation, sam
):
    client.force_login(front_desk)

    response = availability(client, service=consultation.pk, days=1)

    assert response.status_code == 200
    found = response.json()["slots"]
    assert set(found[0]) == {"practitioner", "start", "end"}
    assert found[0] == {
        "practitioner": sam.pk,
        "start": "2026-03-02T09:00:00Z",
        "end": "2026-03-02T09:30:00Z",
    }
    # 09:00-12:00 and 13:00-17:00, a 30-minute service every 15 minutes.
    assert len(found) == 11 + 15


def test_times_carry_the_location_offset_in_summer(
    client, front_desk, consultation, sam
):
    client.force_login(front_desk)

    found = client.get(
        "/api/availability", {"service": consultation.pk, "start": "2026-06-01"}
    ).json()["slots"]

    assert found[0]["start"] == "2026-06-01T09:00:00+01:00"


@pytest.mark.parametrize(
    "params",
    [
        {"days": 0},
        {"days": 400},
        {"start": "2026-02-30"},
        {"start": "tomorrow"},
        {"service": "x"},
    ],
)
def test_bad_parameters_get_a_clear_422(client, front_desk, consultation, params):
    client.force_login(front_desk)

    response = client.get(
        "/api/availability", {"service": consultation.pk, "start": START, **params}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) <= {"service", "start", "days"}


def test_anonymous_and_roleless_users_are_refused(client, outsider, consultation):
    assert availability(client, service=consultation.pk).status_code == 401
    client.force_login(outsider)
    assert availability(client, service=consultation.pk).status_code == 403


def test_booking_answers_201_then_409_with_the_conflict_and_next_slots(
    client, front_desk, jo, consultation, sam
):
    client.force_login(front_desk)
    body = {
        "client": jo.pk,
        "service": consultation.pk,
        "practitioner": sam.pk,
        "start": "2026-03-02T10:00:00+00:00",
    }

    created = post(client, "/api/appointments", body)
    clash = post(client, "/api/appointments", {**body, "start": "2026-03-02T10:15:00Z"})

    assert created.status_code == 201
    assert created.json()["status"] == "booked"
    assert clash.status_code == 409
    conflict = clash.json()
    assert conflict["conflicts"][0]["appointment"] == created.json()["id"]
    assert conflict["code"] == "conflict"
    assert "Jo Bloggs" in conflict["message"]
    assert conflict["next_slots"][0]["start"] == "2026-03-02T10:30:00Z"
    assert Appointment.objects.count() == 1


def test_booking_outside_hours_is_a_422_and_books_nothing(
    client, front_desk, jo, consultation, sam
):
    client.force_login(front_desk)

    response = post(
        client,
        "/api/appointments",
        {
            "client": jo.pk,
            "service": consultation.pk,
            "practitioner": sam.pk,
            "start": "2026-03-02T21:00:00Z",
        },
    )

    assert response.status_code == 422
    assert response.json()["code"] == "refused"
    assert "outside working hours" in response.json()["message"]
    assert not Appointment.objects.exists()


def test_cancel_through_the_api(client, front_desk, jo, consultation, sam):
    client.force_login(front_desk)
    created = post(
        client,
        "/api/appointments",
        {
            "client": jo.pk,
            "service": consultation.pk,
            "practitioner": sam.pk,
            "start": "2026-03-02T10:00:00Z",
        },
    ).json()

    response = post(
        client, f"/api/appointments/{created['id']}/cancel", {"reason": "Ill"}
    )
    again = post(client, f"/api/appointments/{created['id']}/cancel", {"reason": "Ill"})

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert again.status_code == 409
    assert (
        post(client, "/api/appointments/999999/cancel", {"reason": "x"}).status_code
        == 404
    )


def test_posts_need_the_csrf_token(front_desk, jo, consultation, sam):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(front_desk)

    response = post(browser, "/api/appointments/1/cancel", {"reason": "x"})

    assert response.status_code == 403


def test_the_openapi_schema_describes_the_endpoints(client, front_desk):
    client.force_login(front_desk)

    schema = client.get("/api/schema").json()

    assert {"/api/availability", "/api/appointments"} <= set(schema["paths"])


def fill(count, jo, consultation, practitioner):
    """`count` appointments over the fortnight, packed into working hours."""
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    rows = []
    for n in range(count):
        at = start + timedelta(days=n % 14, minutes=30 * (n // 14 % 6))
        rows.append(
            Appointment(
                client=jo,
                service=consultation,
                practitioner=practitioner,
                location=practitioner.locations.first(),
                starts_at=at,
                ends_at=at + timedelta(minutes=30),
                busy_starts_at=at,
                busy_ends_at=at + timedelta(minutes=30),
                source="api",
                status="cancelled" if n >= 14 * 6 else "booked",
                cancellation_reason="bulk" if n >= 14 * 6 else "",
            )
        )
    Appointment.objects.bulk_create(rows)


def queries_for(client, url, params) -> int:
    """Statements of a request whose schedule's set-up is not cached (moved on as
    a change of hours would; the busy time is read afresh anyway). Counted by a wrapper:
    CaptureQueriesContext slices Django's query log by position and was seen to
    report none for a request that ran several."""
    client.get(url, params)  # the session and the signed-in user, cached
    calendar_cache.setup_changed()  # counted afresh, as after a change of hours
    statements = []

    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert client.get(url, params).status_code == 200
    return len(statements)


def test_availability_query_count_does_not_grow_with_appointments(
    client, front_desk, jo, consultation, sam, alex
):
    client.force_login(front_desk)
    params = {"service": consultation.pk, "start": START, "days": 14}
    client.get("/api/availability", params)  # the signed-in user, cached from now
    fill(10, jo, consultation, sam)
    small = queries_for(client, "/api/availability", params)

    fill(1000, jo, consultation, alex)
    large = queries_for(client, "/api/availability", params)

    assert small == large
    assert 4 <= large <= 10


def test_availability_itself_is_four_queries_however_much_is_booked(
    jo, sam, alex, smp_session
):
    """Working hours with their locations, closures, rooms and busy time (appointments
    and time off in one union): the budget bench/RESULTS.md reports."""
    fill(1000, jo, smp_session, alex)
    with CaptureQueriesContext(connection) as captured:
        found = selectors.availability(
            service=smp_session, first_day=date.fromisoformat(START), days=14
        )
    assert len(captured) == 4
    assert found.slots
