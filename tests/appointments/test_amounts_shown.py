"""Every amount is shown with its currency, in the location's format: a London
clinic in pounds, a New York one in dollars; a plan's course price in its own."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from appointments import services
from appointments.models import Location

AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)


@pytest.fixture
def new_york(db):
    return Location.objects.create(
        name="New York",
        timezone="America/New_York",
        currency="USD",
        locale="en_US",
    )


def test_a_manager_sets_a_location_s_currency_locale_and_tax(client, manager):
    client.force_login(manager)
    data = {"name": "New York", "timezone": "America/New_York", "is_active": "on"}
    response = client.post(
        "/setup/locations/new/",
        {**data, "currency": "USD", "locale": "en_US", "tax_rate": "8.88"},
    )
    assert response.status_code == 302
    location = Location.objects.get()
    assert (location.currency, location.locale, location.tax_rate) == (
        "USD",
        "en_US",
        Decimal("8.88"),
    )
    page = client.get("/setup/locations/").text
    assert "USD" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("currency", "XYZ", "Select a valid choice"),
        ("currency", "<script>alert(1)</script>", "Select a valid choice"),
        ("locale", "xx_NOPE", "not a locale"),
        ("tax_rate", "120", "less than or equal to 99"),
        ("tax_rate", "-5", "greater than or equal to 0"),
    ],
)
def test_a_bad_currency_locale_or_tax_rate_is_refused(
    client, manager, field, value, message
):
    client.force_login(manager)
    data = {
        "name": "New York",
        "timezone": "America/New_York",
        "currency": "USD",
        "locale": "en_US",
        "tax_rate": "0",
        field: value,
    }
    response = client.post("/setup/locations/new/", data)
    assert response.status_code != 302
    assert message in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert not Location.objects.exists()


def test_the_services_list_shows_each_currency_kept(
    client, manager, london, new_york, smp_session
):
    client.force_login(manager)
    page = client.get("/setup/services/").text
    assert "£400.00 / £100.00 · $400.00 / $100.00" in page


def test_the_appointment_page_shows_price_and_deposit_in_the_location_s_currency(
    client, front_desk, frozen_now, jo, consultation, sam, rooms
):
    consultation.price_minor, consultation.deposit_minor = 40000, 10000
    consultation.save()
    appointment = services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=AT.replace(hour=10),
        booked_by=front_desk,
    )
    client.force_login(front_desk)
    url = reverse("appointment_detail", args=[appointment.pk])
    page = client.get(url).text
    assert "£400.00" in page
    assert "£100.00: not paid" in page

    Location.objects.filter(pk=appointment.location_id).update(
        currency="USD", locale="en_US"
    )
    page = client.get(url).text
    assert "$100.00: not paid" in page
    assert "£" not in page
