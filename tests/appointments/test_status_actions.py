"""Arrived, No-show and Completed: allowed only when they make sense, refused by the
services otherwise, and the buttons show only what would be accepted."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from appointments import services
from appointments.models import Appointment
from messaging.models import MessageKind, OutboundMessage

# Monday 2 March 2026, London on GMT; the clock stands at 07:00.
SESSION_AT = datetime(2026, 3, 2, 14, 15, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")


@pytest.fixture
def appointment(jo, smp_session, sam, front_desk, treatment_ready):
    treatment_ready(jo)
    return services.appointment_book(
        client=jo,
        service=smp_session,
        practitioner=sam,
        starts_at=SESSION_AT,
        booked_by=front_desk,
    )


def buttons(client, appointment) -> set[str]:
    html = client.get(reverse("appointment_detail", args=[appointment.pk])).content
    return {
        action
        for action in ("check-in", "no-show", "complete", "confirm")
        if reverse("appointment_status", args=[appointment.pk, action]).encode() in html
    }


def test_a_session_cannot_be_completed_before_it_starts_nor_its_aftercare_sent(
    appointment, front_desk, frozen_now
):
    frozen_now.move_to(datetime(2026, 3, 2, 9, 51, tzinfo=UTC))
    services.appointment_check_in(appointment=appointment, by=front_desk)
    with pytest.raises(services.BookingError, match="once it has started"):
        services.appointment_complete(appointment=appointment, by=front_desk)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN
    assert not OutboundMessage.objects.filter(kind=MessageKind.AFTERCARE).exists()

    frozen_now.move_to(SESSION_AT + timedelta(minutes=1))
    done = services.appointment_complete(appointment=appointment, by=front_desk)
    assert done.status == Appointment.Status.COMPLETED
    assert OutboundMessage.objects.filter(kind=MessageKind.AFTERCARE).exists()


def test_arrival_is_refused_on_another_day_and_no_show_before_the_start(
    appointment, front_desk, frozen_now
):
    frozen_now.move_to(SESSION_AT - timedelta(days=1))
    assert appointment.arrive_refusal(datetime.now(UTC))
    with pytest.raises(services.BookingError, match="on the day"):
        services.appointment_check_in(appointment=appointment, by=front_desk)
    frozen_now.move_to(SESSION_AT - timedelta(minutes=1))
    with pytest.raises(services.BookingError, match="once it has started"):
        services.appointment_mark_no_show(appointment=appointment, by=front_desk)
    assert appointment.can_arrive(SESSION_AT - timedelta(minutes=1))
    assert not appointment.can_mark_no_show(SESSION_AT - timedelta(minutes=1))
    assert appointment.can_mark_no_show(SESSION_AT)


def test_the_buttons_show_only_the_moves_allowed_now(
    client, appointment, front_desk, frozen_now
):
    frozen_now.move_to(SESSION_AT - timedelta(days=1))
    client.force_login(front_desk)
    assert buttons(client, appointment) == {"confirm"}

    frozen_now.move_to(SESSION_AT - timedelta(hours=4))
    client.force_login(front_desk)
    assert buttons(client, appointment) == {"confirm", "check-in"}
    services.appointment_check_in(appointment=appointment, by=front_desk)
    assert buttons(client, appointment) == set()
    page = client.get(reverse("appointment_detail", args=[appointment.pk])).text
    assert "Can be marked completed from 14:15" in page

    frozen_now.move_to(SESSION_AT)
    client.force_login(front_desk)
    assert buttons(client, appointment) == {"complete"}


def test_the_today_page_uses_the_same_rule(client, appointment, front_desk, frozen_now):
    frozen_now.move_to(SESSION_AT - timedelta(hours=1))
    services.appointment_check_in(appointment=appointment, by=front_desk)
    client.force_login(front_desk)
    complete = reverse("appointment_status", args=[appointment.pk, "complete"])
    html = client.get(reverse("appointments_today")).content
    assert reverse("appointment_detail", args=[appointment.pk]).encode() in html
    assert complete.encode() not in html
    frozen_now.move_to(SESSION_AT)
    client.force_login(front_desk)
    assert complete.encode() in client.get(reverse("appointments_today")).content


def test_in_place_of_arrived_and_no_show_a_future_appointment_says_why(
    client, appointment, front_desk, frozen_now
):
    client.force_login(front_desk)
    frozen_now.move_to(SESSION_AT - timedelta(days=1))
    page = client.get(reverse("appointment_detail", args=[appointment.pk])).text
    assert "A client can be checked in on the day of the appointment only." in page
    assert "No-show from 14:15." in page

    frozen_now.move_to(SESSION_AT - timedelta(hours=4))
    client.force_login(front_desk)
    page = client.get(reverse("appointment_detail", args=[appointment.pk])).text
    assert "checked in on the day" not in page
    assert "No-show from 14:15." in page
    assert "No-show from" in client.get(reverse("appointments_today")).text

    frozen_now.move_to(SESSION_AT)
    client.force_login(front_desk)
    page = client.get(reverse("appointment_detail", args=[appointment.pk])).text
    assert "No-show from" not in page
    assert buttons(client, appointment) == {"confirm", "check-in", "no-show"}
