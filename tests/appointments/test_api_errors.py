"""The staff API's answers agree with its schema: one error shape for every 4xx, every
status listed, and what the server refuses (NUL, lengths, the date window, unknown
parameters) written in the schema. test_api_contract.py checks the same with
schemathesis against a live server; these name each rule."""

import json
import re
from datetime import date, timedelta

import pytest
from django.test import Client as Browser

from appointments.api import DATE_PATTERN, DATETIME_PATTERN
from appointments.models import Appointment

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'


def post(client, url, body, content_type="application/json"):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type=content_type)


@pytest.fixture
def booking(jo, consultation, sam):
    return {
        "client": jo.pk,
        "service": consultation.pk,
        "practitioner": sam.pk,
        "start": "2026-03-02T10:00:00+00:00",
    }


def assert_error(response, status: int, code: str, fields=()):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert {"code", "message", "fields"} <= set(body)
    assert body["code"] == code
    assert body["message"].strip()
    assert set(fields) <= set(body["fields"]), body["fields"]
    return body


def test_every_4xx_has_the_one_error_shape(
    client, front_desk, outsider, booking, consultation
):
    assert_error(client.get("/api/availability"), 401, "not_authenticated")
    client.force_login(outsider)
    assert_error(client.get("/api/availability"), 403, "forbidden")
    client.force_login(front_desk)

    assert_error(post(client, "/api/appointments", "{not json"), 400, "bad_request")
    assert_error(
        client.get("/api/availability", {"service": 999999, "start": "2026-03-02"}),
        404,
        "not_found",
    )
    assert_error(
        post(client, "/api/appointments", {**booking, "client": 999999}),
        404,
        "not_found",
    )
    assert_error(
        post(client, "/api/appointments/999999/cancel", {"reason": "Ill"}),
        404,
        "not_found",
    )
    assert_error(
        post(client, "/api/appointments", {**booking, "service": "x"}),
        422,
        "invalid",
        fields=["service"],
    )
    assert_error(post(client, "/api/appointments", ""), 422, "invalid", ["body"])
    refused = assert_error(
        post(client, "/api/appointments", {**booking, "start": "2026-03-02T21:00Z"}),
        422,
        "refused",
    )
    assert refused["missing"] == []

    created = post(client, "/api/appointments", booking)
    assert created.status_code == 201
    clash = assert_error(post(client, "/api/appointments", booking), 409, "conflict")
    assert clash["conflicts"][0]["appointment"] == created.json()["id"]
    assert clash["next_slots"]
    cancel = f"/api/appointments/{created.json()['id']}/cancel"
    assert post(client, cancel, {"reason": "Ill"}).status_code == 200
    assert_error(post(client, cancel, {"reason": "Ill"}), 409, "not_cancellable")


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("put", "/api/appointments", "POST"),
        ("delete", "/api/availability", "GET"),
        ("get", "/api/appointments/1/cancel", "POST"),
    ],
)
def test_a_method_a_path_lacks_is_a_405_in_the_error_shape(
    client, front_desk, method, url, allowed
):
    client.force_login(front_desk)

    response = getattr(client, method)(url)

    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == allowed


def test_a_post_without_the_csrf_token_gets_the_error_shape(front_desk, booking):
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(front_desk)

    response = post(browser, "/api/appointments", booking)

    assert_error(response, 403, "csrf_failed")
    assert "X-CSRFToken" in response.json()["message"]


def test_a_multipart_body_without_a_boundary_is_a_400_not_an_html_page(
    client, front_desk
):
    client.force_login(front_desk)

    response = client.generic(
        "POST", "/api/appointments", b"x", content_type="multipart/form-data"
    )

    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("notes", "before\x00after"),
        ("notes", "x" * 2001),
        ("overlap_reason", "\x00"),
        ("overlap_reason", "x" * 201),
        ("room", 0),
        ("client", -1),
        ("client", 2**63),
        ("client", True),
        ("note", "a misspelt field"),
    ],
)
def test_text_and_ids_outside_the_schema_are_refused_with_the_field_named(
    client, front_desk, booking, field, value
):
    client.force_login(front_desk)

    response = post(client, "/api/appointments", {**booking, field: value})

    assert_error(response, 422, "invalid", fields=[field])
    assert not Appointment.objects.exists()


def test_a_nul_in_the_cancel_reason_is_refused(client, front_desk, booking):
    client.force_login(front_desk)
    created = post(client, "/api/appointments", booking).json()

    response = post(
        client, f"/api/appointments/{created['id']}/cancel", {"reason": "Ill\x00"}
    )

    body = assert_error(response, 422, "invalid", fields=["reason"])
    assert body["fields"]["reason"] == ["Text cannot contain NUL characters."]
    assert Appointment.objects.get().status == Appointment.Status.BOOKED


def test_hostile_text_is_stored_as_typed_and_escaped_on_the_page(
    client, front_desk, booking
):
    client.force_login(front_desk)

    created = post(client, "/api/appointments", {**booking, "notes": HOSTILE})

    assert created.status_code == 201
    appointment = Appointment.objects.get()
    assert appointment.notes == HOSTILE
    page = client.get(f"/appointments/{appointment.pk}/").content.decode()
    assert HOSTILE not in page
    assert "&lt;b hx-get=" in page


@pytest.mark.parametrize(
    "start",
    ["1899-12-31", "2201-01-01", "0001-01-01", "9999-12-31", "2026-02-29", "2026-3-2"],
)
def test_availability_outside_the_date_window_is_refused(
    client, front_desk, consultation, start
):
    client.force_login(front_desk)

    response = client.get(
        "/api/availability", {"service": consultation.pk, "start": start}
    )

    body = assert_error(response, 422, "invalid", fields=["start"])
    assert "between 1900-01-01 and 2200-12-31" in body["fields"]["start"][0]


@pytest.mark.parametrize("start", ["1900-01-01", "2200-12-31"])
def test_the_window_s_first_and_last_days_are_accepted(
    client, front_desk, consultation, start
):
    client.force_login(front_desk)

    response = client.get(
        "/api/availability", {"service": consultation.pk, "start": start}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "start",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1899-12-31T10:00:00Z",
        "2201-01-01T10:00:00Z",
        # No offset: which 10:00 is meant depends on the reader's zone.
        "2026-03-02T10:00:00",
        "1741000000",
    ],
)
def test_a_booking_start_outside_the_window_or_without_an_offset_is_refused(
    client, front_desk, booking, start
):
    client.force_login(front_desk)

    response = post(client, "/api/appointments", {**booking, "start": start})

    assert_error(response, 422, "invalid", fields=["start"])


def test_an_unknown_query_parameter_is_refused_not_ignored(
    client, front_desk, consultation
):
    client.force_login(front_desk)

    response = client.get(
        "/api/availability",
        {"service": consultation.pk, "start": "2026-03-02", "practioner": 3},
    )

    assert_error(response, 422, "invalid", fields=["practioner"])


def test_the_date_patterns_match_exactly_the_days_of_the_window():
    """The schema's pattern is what generated clients validate with: it must accept
    every real day from 1900-01-01 to 2200-12-31 and nothing else."""
    day, last = date(1899, 12, 1), date(2201, 1, 31)
    while day <= last:
        inside = date(1900, 1, 1) <= day <= date(2200, 12, 31)
        text = day.isoformat()
        assert bool(re.fullmatch(DATE_PATTERN, text)) is inside, text
        assert bool(re.fullmatch(DATETIME_PATTERN, f"{text}T10:00Z")) is inside
        day += timedelta(days=1)
    for year in (1900, 2000, 2023, 2024, 2100, 2200):
        for month in range(1, 13):
            for number in range(29, 33):
                text = f"{year}-{month:02d}-{number:02d}"
                try:
                    real = bool(date.fromisoformat(text))
                except ValueError:
                    real = False
                assert bool(re.fullmatch(DATE_PATTERN, text)) is real, text


def schema(client, front_desk) -> dict:
    client.force_login(front_desk)
    return client.get("/api/schema").json()


def test_the_schema_lists_every_status_with_the_error_shape(client, front_desk):
    paths = schema(client, front_desk)["paths"]
    expected = {
        ("/api/availability", "get"): {"200", "401", "403", "404", "422"},
        ("/api/appointments", "post"): {
            "201",
            "400",
            "401",
            "403",
            "404",
            "409",
            "422",
        },
        ("/api/appointments/{appointment_id}/cancel", "post"): {
            "200",
            "400",
            "401",
            "403",
            "404",
            "409",
            "422",
        },
    }
    for (path, method), statuses in expected.items():
        responses = paths[path][method]["responses"]
        assert set(responses) == statuses, (path, responses.keys())
        for status, answer in responses.items():
            ref = answer["content"]["application/json"]["schema"]["$ref"]
            if status.startswith("4"):
                name = ref.rsplit("/", 1)[1]
                assert name in {"ErrorOut", "ConflictOut", "RefusalOut"}


def test_the_schema_states_the_constraints_the_server_enforces(client, front_desk):
    document = schema(client, front_desk)
    components = document["components"]["schemas"]
    booking = components["BookingIn"]
    assert booking["properties"]["notes"]["maxLength"] == 2000
    assert booking["properties"]["notes"]["pattern"] == r"^[^\x00]*$"
    assert booking["properties"]["overlap_reason"]["maxLength"] == 200
    assert booking["properties"]["start"]["pattern"] == DATETIME_PATTERN
    assert booking["properties"]["client"]["minimum"] == 1
    assert booking["additionalProperties"] is False
    reason = components["CancelIn"]["properties"]["reason"]
    assert (reason["minLength"], reason["maxLength"]) == (1, 200)
    assert reason["pattern"] == r"^[^\x00]*$"
    parameters = {
        p["name"]: p["schema"]
        for p in document["paths"]["/api/availability"]["get"]["parameters"]
    }
    assert parameters["start"]["pattern"] == DATE_PATTERN
    assert (parameters["days"]["minimum"], parameters["days"]["maximum"]) == (1, 31)
    # A query string cannot carry null: optional ids are left out instead.
    assert parameters["practitioner"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**63 - 1,
        "title": "Practitioner",
        "examples": [1],
    }
    refusal = components["RefusalOut"]["properties"]["missing"]["items"]["$ref"]
    assert set(
        document["components"]["schemas"][refusal.rsplit("/", 1)[1]]["required"]
    ) == {
        "gate",
        "label",
        "fix_url",
    }
    error = components["ErrorOut"]
    assert set(error["required"]) == {"code", "message", "fields"}
    assert set(components["ConflictOut"]["required"]) >= {
        "code",
        "message",
        "fields",
        "conflicts",
        "next_slots",
    }


def test_the_schema_is_valid_openapi_3_1(client, front_desk):
    """What integrators' client generators read first: a schema the OpenAPI 3.1
    meta-schema refuses (a parameter's `examples` as a list) stops them."""
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    document = schema(client, front_desk)

    errors = [str(error)[:300] for error in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert document["openapi"].startswith("3.1")
    assert errors == []
