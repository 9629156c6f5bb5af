"""Today's appointments on the dashboards, in each location's own zone."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments import services
from appointments.models import Location

pytestmark = pytest.mark.usefixtures("rooms")


@pytest.fixture
def new_york(db):
    return Location.objects.create(name="New York", timezone="America/New_York")


def test_the_front_desk_sees_todays_bookings_in_local_time(
    client, front_desk, jo, consultation, sam, make_practitioner, new_york
):
    nyc = make_practitioner("Riley", location=new_york)
    with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=False):
        services.appointment_book(
            client=jo,
            service=consultation,
            practitioner=sam,
            starts_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            booked_by=front_desk,
        )
        # 10:00 in New York is 15:00 UTC (EST, UTC-5).
        services.appointment_book(
            client=jo,
            service=consultation,
            practitioner=nyc,
            starts_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
            booked_by=front_desk,
        )
        client.force_login(front_desk)
        page = client.get("/").text

    assert page.count("10:00–10:30") == 2
    assert "Riley Okafor" in page and "Sam Okafor" in page
    assert "Booked" in page


def test_a_practitioner_sees_only_their_own_day(
    client, front_desk, jo, consultation, sam, alex
):
    with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=False):
        for who, hour in ((sam, 10), (alex, 11)):
            services.appointment_book(
                client=jo,
                service=consultation,
                practitioner=who,
                starts_at=datetime(2026, 3, 2, hour, 0, tzinfo=UTC),
                booked_by=front_desk,
            )
        client.force_login(sam.user)
        page = client.get("/").text

    assert "Your appointments today" in page
    assert "10:00–10:30" in page
    assert "11:00–11:30" not in page


def test_the_dashboard_query_count_does_not_grow_with_bookings(
    client, front_desk, make_client, consultation, sam
):
    client.force_login(front_desk)
    with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=False):
        client.get("/")
        with CaptureQueriesContext(connection) as few:
            client.get("/")
        for n in range(8):
            services.appointment_book(
                client=make_client(),
                service=consultation,
                practitioner=sam,
                starts_at=datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
                + timedelta(minutes=30 * n),
                booked_by=front_desk,
            )
        client.get("/")  # the practitioners' colours are cached again
        with CaptureQueriesContext(connection) as many:
            client.get("/")

    assert len(many) == len(few)


def test_the_today_page_filters_by_location(
    client, front_desk, jo, consultation, sam, make_practitioner, new_york
):
    """Issue 20 item 6: one location's day, or all of them."""
    nyc = make_practitioner("Riley", location=new_york)
    with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=False):
        for who, at in ((sam, 10), (nyc, 15)):
            services.appointment_book(
                client=jo,
                service=consultation,
                practitioner=who,
                starts_at=datetime(2026, 3, 2, at, 0, tzinfo=UTC),
                booked_by=front_desk,
            )
        client.force_login(front_desk)
        every = client.get("/appointments/today/").text
        only_ny = client.get("/appointments/today/", {"location": new_york.pk}).text
        unknown = client.get("/appointments/today/", {"location": "x"}).text

    assert "Riley Okafor" in every and "Sam Okafor" in every
    assert 'aria-current="page">All locations' in every
    assert "Riley Okafor" in only_ny and "Sam Okafor" not in only_ny
    assert f'?location={new_york.pk}" aria-current="page">New York' in only_ny
    # The status buttons come back to the filtered page.
    assert f'name="next" value="/appointments/today/?location={new_york.pk}"' in only_ny
    assert "Riley Okafor" in unknown and "Sam Okafor" in unknown
