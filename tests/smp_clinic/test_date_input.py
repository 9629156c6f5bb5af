"""Dates from the outside lie between 1900-01-01 and 2200-12-31: outside, a page
answers 400 and the API 422, each with a message, never a server error (an
OverflowError at the edge of Python's calendar). NUL in a search is dropped."""

import json

import pytest

from core import date_input

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

REFUSED = "Enter a date between 1900-01-01 and 2200-12-31"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31"])
@pytest.mark.parametrize("page", ["/calendar/", "/calendar/week/"])
def test_calendars_refuse_a_date_outside_the_window_with_400(
    client, front_desk, london, sam, page, day
):
    client.force_login(front_desk)
    params = {"location": london.pk, "date": day, "practitioner": sam.pk}

    response = client.get(page, params)

    assert response.status_code == 400
    assert REFUSED in response.text


@pytest.mark.parametrize("page", ["/calendar/", "/calendar/week/"])
def test_calendars_show_the_first_and_last_day_of_the_window(
    client, front_desk, london, sam, page
):
    client.force_login(front_desk)
    for day in ("1900-01-01", "2200-12-31"):
        params = {"location": london.pk, "date": day, "practitioner": sam.pk}
        assert client.get(page, params).status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_next_free_refuses_a_date_outside_the_window(
    client, front_desk, london, sam, consultation, day
):
    client.force_login(front_desk)
    params = {"service": consultation.pk, "location": london.pk, "date": day}

    response = client.get("/appointments/next-free/", params)

    assert response.status_code == 400
    assert REFUSED in response.text


@pytest.mark.parametrize("url", ["/reports/", "/reports/bookings.csv"])
def test_reports_and_their_csv_refuse_a_last_day_outside_the_window(
    client, manager, url
):
    client.force_login(manager)

    response = client.get(url, {"first_day": "9999-01-01", "last_day": "9999-12-31"})

    assert response.status_code == 400
    assert REFUSED in response.content.decode()


def test_the_audit_trail_refuses_a_date_outside_the_window(client, manager):
    client.force_login(manager)

    response = client.get("/audit/", {"since": "0001-01-01"})

    assert response.status_code == 400


def test_the_booking_form_refuses_a_start_outside_the_window(
    client, front_desk, london, sam
):
    client.force_login(front_desk)
    params = {"location": london.pk, "start": "9999-12-31T23:59:59-14:00"}

    assert client.get("/appointments/new/", params).status_code == 400


def test_availability_refuses_a_start_outside_the_window_with_422(
    client, front_desk, consultation, sam
):
    client.force_login(front_desk)
    params = {"service": consultation.pk, "start": "9999-12-31", "days": 31}

    response = client.get("/api/availability", params)

    assert response.status_code == 422
    assert REFUSED in response.text


@pytest.mark.parametrize(
    "start",
    [
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00+14:00",
        "2201-01-01T09:00:00+00:00",
    ],
)
def test_api_booking_refuses_a_start_outside_the_window_with_422(
    client, front_desk, jo, consultation, sam, start
):
    client.force_login(front_desk)
    body = {
        "client": jo.pk,
        "service": consultation.pk,
        "practitioner": sam.pk,
        "start": start,
    }

    response = client.post(
        "/api/appointments", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 422
    assert REFUSED in response.text


@pytest.mark.parametrize("url", ["/clients/", "/clients/options/"])
def test_client_search_drops_nul(client, front_desk, jo, url):
    client.force_login(front_desk)

    for query in ("\x00", "Jo\x00", "\x00" * 200):
        response = client.get(url, {"q": query})
        assert response.status_code == 200
    assert "Bloggs" in client.get(url, {"q": "Jo\x00"}).text


@pytest.mark.parametrize(
    "text", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"]
)
def test_parse_date_refuses_outside_the_window(text):
    with pytest.raises(date_input.DateOutOfRange):
        date_input.parse_date(text)


def test_parse_datetime_compares_in_utc():
    # 1900-01-01 00:30 at +01:00 is 1899-12-31 in UTC: outside.
    with pytest.raises(date_input.DateOutOfRange):
        date_input.parse_datetime("1900-01-01T00:30:00+01:00")
    assert date_input.parse_datetime("2200-12-31T23:59:59+00:00").year == 2200


def test_every_date_field_of_every_form_keeps_to_the_window():
    import importlib
    import inspect

    from django import forms

    checked = 0
    for module_name in (
        "appointments.forms",
        "clients.forms",
        "treatments.forms",
        "smp_clinic.forms",
        "core.forms",
    ):
        module = importlib.import_module(module_name)
        for name, form in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form, forms.BaseForm) or form.__module__ != module_name:
                continue
            for field_name, field in form.base_fields.items():
                if not isinstance(field, (forms.DateField, forms.DateTimeField)):
                    continue
                checked += 1
                for value in ("0001-01-01", "9999-12-31"):
                    with pytest.raises(forms.ValidationError) as refused:
                        field.clean(value)
                    assert REFUSED in str(refused.value), f"{name}.{field_name}"
    assert checked >= 20
