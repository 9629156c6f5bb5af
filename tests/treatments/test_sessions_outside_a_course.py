"""Touch-ups, fade-check refreshes and one-off corrections get a session record
without a course plan: lots, dilution, needle, zones, practitioner and licence,
traced like any other."""

from datetime import date, datetime, time

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from appointments import services as booking
from appointments.models import Service
from clients.selectors import client_timeline
from treatments import selectors, services

pytestmark = pytest.mark.usefixtures("frozen_now")

DAY = date(2026, 3, 3)
HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'


def held(jo, sam, london, front_desk, kind, name, hour=10):
    service = Service.objects.create(
        name=name, kind=kind, duration_minutes=60, needs_room=False
    )
    starts_at = datetime.combine(DAY, time(hour), london.zone)
    appointment = booking.appointment_book(
        client=jo,
        service=service,
        practitioner=sam,
        starts_at=starts_at,
        location=london,
        booked_by=front_desk,
    )
    with time_machine.travel(starts_at, tick=False):
        booking.appointment_check_in(appointment=appointment, by=front_desk)
    return appointment


@pytest.fixture
def touch_up(jo, sam, london, front_desk):
    return held(jo, sam, london, front_desk, Service.Kind.TOUCH_UP, "Touch-up")


def test_a_touch_up_is_recorded_without_a_plan_and_traced(
    client, practitioner, manager, jo, touch_up, lot
):
    client.force_login(practitioner)
    page = client.get(reverse("appointment_detail", args=[touch_up.pk])).text
    assert "Record the session (outside a course)" in page
    opened = client.post(reverse("session_open", args=[touch_up.pk]))
    session = jo.treatment_sessions.get()
    assert opened["Location"] == reverse("session_record", args=[session.pk])
    assert session.plan is None and session.appointment == touch_up

    response = client.post(
        reverse("session_record", args=[session.pk]),
        {
            "zone_crown": "medium",
            "lot_1": lot.pk,
            "dilution_1": "30% " + HOSTILE,
            "needle": "1RL 0.30",
            "cartridge_lot": "C-77",
            "notes": HOSTILE,
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.is_recorded and session.recorded_by == practitioner
    assert session.licence_number == "BA-1"
    assert session.needle == "1RL 0.30"
    assert [use.lot for use in session.pigments.all()] == [lot]

    assert [use.session for use in selectors.lot_recall(lot)] == [session]
    assert selectors.lot_recall_clients(lot) == [jo]
    assert [use.what for use in selectors.ink_passport(jo)] == ["Session"]
    titles = [e.title for e in client_timeline(user=practitioner, client=jo)]
    assert "Session outside a course recorded: Touch-up" in titles

    client.force_login(manager)
    recall = client.get(reverse("lot_recall", args=[lot.pk])).text
    assert "Outside a course" in recall and HOSTILE not in recall
    rows = client.get(reverse("lot_recall", args=[lot.pk]), {"format": "csv"}).text
    assert ",outside a course," in rows

    client.force_login(practitioner)
    edit = client.get(reverse("session_record", args=[session.pk])).text
    assert HOSTILE not in edit
    detail = client.get(reverse("appointment_detail", args=[touch_up.pk])).text
    assert "see or correct the session record" in detail


def test_opening_twice_gives_the_same_record(touch_up):
    first = services.session_open(appointment=touch_up)
    assert services.session_open(appointment=touch_up) == first


def test_a_consultation_or_a_client_not_arrived_opens_no_record(
    jo, sam, london, front_desk, touch_up
):
    consultation = held(
        jo, sam, london, front_desk, Service.Kind.CONSULTATION, "Consultation", 14
    )
    with pytest.raises(ValidationError, match="puts no pigment on skin"):
        services.session_open(appointment=consultation)
    touch_up.status = "booked"
    touch_up.save()
    with pytest.raises(ValidationError, match="checked in"):
        services.session_open(appointment=touch_up)
    assert not jo.treatment_sessions.exists()


def test_a_fade_check_refresh_is_recorded_too(
    jo, sam, london, front_desk, lot, practitioner
):
    fade_check = held(
        jo, sam, london, front_desk, Service.Kind.FADE_CHECK, "Fade check"
    )
    session = services.session_open(appointment=fade_check)
    services.session_record(
        session=session, zones={"crown": "light"}, pigments=[(lot, "")], by=practitioner
    )
    assert session.pigments.get().lot == lot


def needles_post(rows):
    data = {
        "needles-TOTAL_FORMS": str(len(rows)),
        "needles-INITIAL_FORMS": "0",
        "needles-MIN_NUM_FORMS": "0",
        "needles-MAX_NUM_FORMS": "8",
    }
    for n, (needle, cartridge, zones) in enumerate(rows):
        data[f"needles-{n}-needle"] = needle
        data[f"needles-{n}-cartridge_lot"] = cartridge
        data[f"needles-{n}-zones"] = zones
    return data


def test_a_session_records_several_needles_each_with_its_lot_and_zones(
    client, practitioner, jo, touch_up, lot
):
    session = services.session_open(appointment=touch_up)
    client.force_login(practitioner)
    base = {
        "zone_frontal_hairline": "light",
        "zone_crown": "dense",
        "lot_1": lot.pk,
        "needle": "1RL 0.30",
        "cartridge_lot": "C-1",
    }
    response = client.post(
        reverse("session_record", args=[session.pk]),
        {
            **base,
            **needles_post(
                [("3rl 0.35", "C-2 " + HOSTILE, ["crown", "mid_scalp"]), ("", "", [])]
            ),
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.needle == "1RL 0.30"
    assert [(n.needle, n.cartridge_lot, n.zones) for n in session.needles.all()] == [
        ("3RL 0.35", "C-2 " + HOSTILE, ["mid_scalp", "crown"])
    ]
    page = client.get(reverse("session_record", args=[session.pk])).text
    assert 'value="3RL 0.35"' in page and HOSTILE not in page

    refused = client.post(
        reverse("session_record", args=[session.pk]),
        {**base, **needles_post([("", "C-9", ["crown"])])},
    )
    assert refused.status_code == 422
    assert "Write the needle these belong to" in refused.text
    assert session.needles.count() == 1
