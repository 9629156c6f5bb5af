"""Managers set the clinic up in the app: locations, rooms, services, practitioners,
working hours, time off and closures."""

from datetime import UTC, date, datetime, time

import pytest
from django.contrib.auth import get_user_model

from appointments.models import (
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WorkingHours,
)
from appointments.selectors import availability
from core.roles import Role, user_roles
from pigments.models import Pigment, PigmentLot

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.mark.parametrize(
    "url",
    [
        "/setup/",
        "/setup/locations/",
        "/setup/services/new/",
        "/setup/practitioners/",
        "/setup/practitioners/new/",
    ],
)
def test_only_managers_reach_set_up(client, front_desk, practitioner, manager, url):
    for user in (front_desk, practitioner):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_an_unknown_kind_is_a_404(client, manager):
    client.force_login(manager)
    assert client.get("/setup/widgets/").status_code == 404


def test_a_manager_adds_a_location_and_a_bad_time_zone_changes_nothing(client, manager):
    client.force_login(manager)
    data = {"name": "Leeds", "address": "1 Park Row", "timezone": "Europe/Leeds"}
    response = client.post("/setup/locations/new/", data)
    assert "is not an IANA time zone" in response.text
    assert 'value="1 Park Row"' in response.text or "1 Park Row" in response.text
    assert not Location.objects.exists()

    data.update(timezone="Europe/London", is_active="on")
    response = client.post("/setup/locations/new/", data)
    assert response.status_code == 302
    assert Location.objects.get().timezone == "Europe/London"


def test_the_time_zone_is_picked_from_the_iana_zones_grouped_by_region(client, manager):
    client.force_login(manager)
    page = client.get("/setup/locations/new/").text
    assert '<select name="timezone"' in page
    assert '<optgroup label="Europe">' in page
    assert '<option value="Europe/London" selected>London</option>' in page
    assert '<option value="America/Argentina/Buenos_Aires">' in page
    assert 'value="US/Eastern"' not in page  # old aliases are not offered
    response = client.post(
        "/setup/locations/new/",
        {"name": "Leeds", "timezone": "<b>Europe/Leeds</b>", "is_active": "on"},
    )
    assert "“&lt;b&gt;Europe/Leeds&lt;/b&gt;” is not an IANA time zone" in response.text
    assert not Location.objects.exists()


def test_a_location_on_an_old_alias_keeps_it_until_a_zone_is_picked(client, manager):
    legacy = Location.objects.create(name="Boston", timezone="US/Eastern")
    client.force_login(manager)
    page = client.get(f"/setup/locations/{legacy.pk}/").text
    assert '<option value="US/Eastern" selected>US/Eastern</option>' in page
    response = client.post(
        f"/setup/locations/{legacy.pk}/",
        {"name": "Boston", "timezone": "America/New_York", "is_active": "on"},
    )
    assert response.status_code == 302
    legacy.refresh_from_db()
    assert legacy.timezone == "America/New_York"


def test_a_locations_phone_is_stored_in_e164_and_listed_in_national_format(
    client, manager, settings
):
    settings.PHONE_DEFAULT_REGION = "GB"
    client.force_login(manager)
    data = {
        "name": "Leeds",
        "address": "1 Park Row",
        "timezone": "Europe/London",
        "is_active": "on",
    }
    hostile = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'
    for phone in (hostile, "<b>{{x}}</b>", "0113 496 0000\x00"):
        response = client.post("/setup/locations/new/", {**data, "phone": phone})
        assert response.status_code != 302
        assert "<b hx-get" not in response.text and "<b>{{x}}" not in response.text
    assert "Null characters" in response.text
    assert not Location.objects.exists()
    response = client.post("/setup/locations/new/", {**data, "phone": "0113 496 0000"})
    assert response.status_code == 302
    assert Location.objects.get().phone == "+441134960000"
    assert "0113 496 0000" in client.get("/setup/locations/").text


def test_a_service_deposit_above_its_price_is_refused(client, manager):
    client.force_login(manager)
    data = {
        "name": "SMP session",
        "kind": "smp_session",
        "meeting": "in_person",
        "duration_minutes": 180,
        "buffer_before_minutes": 15,
        "buffer_after_minutes": 15,
        "price_minor": "100",
        "deposit_minor": "150",
        "needs_room": "on",
        "is_active": "on",
    }
    response = client.post("/setup/services/new/", data)
    assert "The deposit must be between 0 and the price." in response.text
    assert not Service.objects.exists()
    response = client.post("/setup/services/new/", {**data, "deposit_minor": "50"})
    assert response.status_code == 302
    service = Service.objects.get()
    assert (service.price_minor, service.deposit_minor) == (10000, 5000)


def test_a_video_consultation_needs_no_room_and_its_link_is_https(
    client, manager, london
):
    client.force_login(manager)
    data = {
        "name": "Video consultation",
        "kind": "consultation",
        "meeting": "video",
        "duration_minutes": 20,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        "price_minor": "0",
        "deposit_minor": "0",
        "needs_room": "on",
        "is_active": "on",
    }
    response = client.post("/setup/services/new/", data)
    assert "A phone or video appointment needs no room." in response.text
    assert not Service.objects.exists()
    data.pop("needs_room")
    assert client.post("/setup/services/new/", data).status_code == 302
    assert "By video" in client.get("/setup/services/").text

    location = {"name": "London", "timezone": "Europe/London", "is_active": "on"}
    url = f"/setup/locations/{london.pk}/"
    response = client.post(url, {**location, "video_link": "http://meet.example.com"})
    assert "Use an https:// link" in response.text
    response = client.post(url, {**location, "video_link": "meet.example.com/smp"})
    assert response.status_code == 302
    london.refresh_from_db()
    assert london.video_link == "https://meet.example.com/smp"


def test_a_manager_edits_a_room(client, manager, rooms):
    client.force_login(manager)
    room = rooms[0]
    response = client.post(
        f"/setup/rooms/{room.pk}/",
        {"location": room.location_id, "name": "Studio A"},
    )
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.name, room.is_active) == ("Studio A", False)
    assert "<td>Studio A</td>" in client.get("/setup/rooms/").text


def test_a_closure_removes_the_days_slots_until_it_is_removed(
    client, manager, london, sam, consultation
):
    client.force_login(manager)
    day = date(2026, 3, 3)

    def slots_that_day():
        return availability(service=consultation, first_day=day, days=1).slots

    assert slots_that_day()
    client.post(
        "/setup/closures/new/",
        {"date": "2026-03-03", "name": "Staff training", "location": london.pk},
    )
    closure = Closure.objects.get()
    assert slots_that_day() == []
    assert "Staff training" in client.get("/setup/closures/").text
    client.post(f"/setup/closures/{closure.pk}/delete/")
    assert slots_that_day()


def test_a_new_practitioner_gets_an_account_role_and_an_email_to_set_a_password(
    client, manager, london, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    data = {
        "first_name": "Ria",
        "last_name": "Shah",
        "email": "ria@clinic.test",
        "username": "ria",
        "licence_number": "BA-77",
        "locations": [london.pk],
        "colour": "#aa3366",
        "is_active": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/setup/practitioners/new/", data)
    practitioner = Practitioner.objects.get()
    assert response.url == f"/setup/practitioners/{practitioner.pk}/"
    assert user_roles(practitioner.user) == {Role.PRACTITIONER}
    assert not practitioner.user.has_usable_password()
    assert list(practitioner.locations.all()) == [london]
    [email] = mailoutbox
    assert email.to == ["ria@clinic.test"]
    assert "/accounts/reset/" in email.body
    assert "Your username is: ria" in email.body

    response = client.post("/setup/practitioners/new/", {**data, "username": "RIA"})
    assert "That username is taken" in response.text
    assert get_user_model().objects.filter(username__iexact="ria").count() == 1


def test_working_hours_are_saved_as_blocks_and_overlaps_are_refused(
    client, manager, london, sam
):
    client.force_login(manager)
    WorkingHours.objects.filter(practitioner=sam).delete()
    prefix = "working_hours"

    def post(*blocks):
        data = {
            f"{prefix}-TOTAL_FORMS": len(blocks),
            f"{prefix}-INITIAL_FORMS": 0,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
        for n, (weekday, start, end) in enumerate(blocks):
            data.update(
                {
                    f"{prefix}-{n}-location": london.pk,
                    f"{prefix}-{n}-weekday": weekday,
                    f"{prefix}-{n}-start_time": start,
                    f"{prefix}-{n}-end_time": end,
                }
            )
        return client.post(f"/setup/practitioners/{sam.pk}/hours/", data)

    response = post((1, "09:00", "13:00"), (1, "12:00", "17:00"))
    assert response.status_code == 422
    assert "Two blocks overlap on Tuesday: 09:00–13:00 and 12:00–17:00." in (
        response.text
    )
    assert not WorkingHours.objects.filter(practitioner=sam).exists()

    response = post((1, "09:00", "12:30"), (1, "13:30", "17:00"))
    assert response.status_code == 302
    assert list(
        WorkingHours.objects.filter(practitioner=sam).values_list(
            "start_time", "end_time"
        )
    ) == [(time(9), time(12, 30)), (time(13, 30), time(17))]


def test_time_off_is_read_in_the_locations_zone(client, manager, make_practitioner):
    new_york = Location.objects.create(name="New York", timezone="America/New_York")
    riley = make_practitioner("Riley", location=new_york)
    client.force_login(manager)
    data = {
        "location": new_york.pk,
        "date": "2026-03-10",
        "time": "09:00",
        "end_date": "2026-03-10",
        "end_time": "12:00",
        "reason": "Training",
    }
    bad = client.post(
        f"/setup/practitioners/{riley.pk}/time-off/", {**data, "end_time": "08:00"}
    )
    assert "The time off must end after it starts." in bad.text
    assert not TimeOff.objects.exists()

    client.post(f"/setup/practitioners/{riley.pk}/time-off/", data)
    time_off = TimeOff.objects.get()
    # 10 March 2026 is after the US change to EDT (UTC-4).
    assert time_off.starts_at == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    assert time_off.ends_at == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    client.post(f"/setup/time-off/{time_off.pk}/delete/")
    assert not TimeOff.objects.exists()


def test_a_practitioner_can_be_stopped_from_taking_bookings(
    client, manager, london, sam, consultation
):
    client.force_login(manager)
    response = client.post(
        f"/setup/practitioners/{sam.pk}/",
        {"licence_number": "BA-1", "locations": [london.pk], "colour": "#112233"},
    )
    assert response.status_code == 302
    sam.refresh_from_db()
    assert not sam.is_active
    assert (
        availability(service=consultation, first_day=date(2026, 3, 3), days=1).slots
        == []
    )


def test_every_kind_lists_its_records(client, manager, rooms, smp_session):
    client.force_login(manager)
    for kind, shown in (
        ("locations", "London"),
        ("rooms", "Room 1"),
        ("services", "SMP session"),
        ("closures", "None yet."),
        ("pigments", "None yet."),
        ("lots", "None yet."),
    ):
        assert shown in client.get(f"/setup/{kind}/").text, kind
    assert Room.objects.count() == 2


def test_a_manager_adds_a_pigment_and_a_lot(client, manager):
    client.force_login(manager)
    client.post(
        "/setup/pigments/new/",
        {"brand": "Perma Blend", "shade": "SMP Dark", "is_active": "on"},
    )
    pigment = Pigment.objects.get()
    data = {
        "pigment": pigment.pk,
        "lot_number": "L26001A",
        "expires_on": "2027-01-01",
        "opened_on": "2027-02-01",
    }
    response = client.post("/setup/lots/new/", data)
    assert response.status_code == 200
    assert not PigmentLot.objects.exists()
    client.post("/setup/lots/new/", {**data, "opened_on": "2026-03-01"})
    assert "L26001A" in client.get("/setup/lots/").text
