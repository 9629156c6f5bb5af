# ruff: noqa: F811 (the treatments tests' fixtures, imported)
"""A returning client books their next course session, a touch-up or a fade check
through the front desk's services and gates, and moves or cancels an appointment
within the clinic's notice; inside it, the portal asks them to call."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from appointments import services as booking
from appointments.models import Appointment, Service
from clients.models import Consent, ConsentKind
from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import build_email
from tests.payments.test_card_deposits import stripe_on  # noqa: F401
from tests.portal.conftest import sign_in_as
from tests.portal.test_treatment_pages import first_session_done
from tests.treatments.conftest import jo, lot, make_plan, pigment, sam  # noqa: F401

DAY_0 = date(2026, 3, 3)


@pytest.fixture
def touch_up(db):
    return Service.objects.create(
        name="Touch-up", kind=Service.Kind.TOUCH_UP, duration_minutes=60
    )


def times_on(page: str) -> list[str]:
    return [
        line.split('value="')[1].split('"')[0]
        for line in page.splitlines()
        if 'name="starts_at"' in line
    ]


def choose(browser, path: str, starts_at: str, practitioner, location):
    return browser.post(
        path,
        {
            "starts_at": starts_at,
            "practitioner": practitioner.pk,
            "location": location.pk,
        },
    )


def test_a_returning_client_books_the_next_session_of_their_course(
    client, jo, make_plan, london, front_desk, practitioner, lot, sam
):
    plan = make_plan()
    first_session_done(plan, london, front_desk, practitioner, lot)
    sign_in_as(client, jo)
    with time_machine.travel(datetime.combine(DAY_0, time(18), UTC)):
        options = client.get("/my/book/").text
        assert "Session 2 of your course" in options
        page = client.get(f"/my/book/session-{plan.pk}/?day=2026-03-14").text
        offered = times_on(page)
        assert offered, page
        response = choose(
            client, f"/my/book/session-{plan.pk}/", offered[0], sam, london
        )

    assert response.status_code == 302
    session = plan.sessions.get(number=2)
    assert session.appointment is not None
    assert session.appointment.starts_at == datetime.fromisoformat(offered[0])


def test_a_session_outside_the_course_gaps_is_refused_and_nothing_booked(
    client, jo, make_plan, london, front_desk, practitioner, lot, sam
):
    plan = make_plan()
    first_session_done(plan, london, front_desk, practitioner, lot)
    sign_in_as(client, jo)
    with time_machine.travel(datetime.combine(DAY_0, time(18), UTC)):
        page = client.get(f"/my/book/session-{plan.pk}/?day=2026-03-06").text
        offered = times_on(page)
        response = choose(
            client, f"/my/book/session-{plan.pk}/", offered[0], sam, london
        )

    assert response.status_code == 200
    assert plan.sessions.get(number=2).appointment is None
    assert "days" in response.text  # the gap rule, in words


def test_a_client_missing_a_gate_is_told_why_not_and_cannot_book(
    client, jo, make_plan, london, front_desk, practitioner, lot, sam
):
    plan = make_plan()
    first_session_done(plan, london, front_desk, practitioner, lot)
    Consent.objects.filter(client=jo, text__kind=ConsentKind.TREATMENT).update(
        withdrawn_at=datetime.combine(DAY_0, time(12), UTC)
    )
    sign_in_as(client, jo)
    with time_machine.travel(datetime.combine(DAY_0, time(18), UTC)):
        page = client.get("/my/book/").text
        direct = client.get(f"/my/book/session-{plan.pk}/")

    assert "Not bookable online yet" in page
    assert "consent" in page.lower()
    assert direct["Location"] == "/my/book/"


def test_a_touch_up_follows_a_course(client, jo, touch_up, sam):
    sign_in_as(client, jo)

    page = client.get("/my/book/").text

    assert "Touch-up" in page
    assert "follows a course of treatment" in page
    assert client.get(f"/my/book/service-{touch_up.pk}/")["Location"] == "/my/book/"


def test_a_time_that_was_not_offered_is_refused(
    client, jo, make_plan, london, front_desk, practitioner, lot, sam, touch_up
):
    plan = make_plan()
    first_session_done(plan, london, front_desk, practitioner, lot)
    sign_in_as(client, jo)
    with time_machine.travel(datetime.combine(DAY_0, time(18), UTC)):
        response = choose(
            client,
            f"/my/book/service-{touch_up.pk}/",
            "2026-03-20T03:00:00+00:00",
            sam,
            london,
        )
        bad = choose(client, f"/my/book/service-{touch_up.pk}/", "soon", sam, london)

    assert "That time has just gone" in response.text
    assert "Choose one of the times shown" in bad.text
    assert not Appointment.objects.filter(client=jo, service=touch_up).exists()


@pytest.fixture
def far_and_near(jo, frozen_now, consultation, sam, practitioner):
    """Jo's consultations 27 hours and 4 days away (frozen_now: Mon 2 Mar 07:00)."""
    near = booking.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
        booked_by=practitioner,
    )
    far = booking.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=datetime(2026, 3, 6, 10, tzinfo=UTC),
        booked_by=practitioner,
    )
    return near, far


def test_a_client_moves_an_appointment_outside_the_notice(
    client, jo, far_and_near, sam, london
):
    _, far = far_and_near
    sign_in_as(client, jo)

    page = client.get(f"/my/appointments/{far.pk}/move/?day=2026-03-09").text
    offered = times_on(page)
    response = choose(
        client, f"/my/appointments/{far.pk}/move/", offered[0], sam, london
    )

    assert response.status_code == 302
    far.refresh_from_db()
    assert far.starts_at == datetime.fromisoformat(offered[0])
    assert far.starts_at.date() == date(2026, 3, 9)


def test_a_client_cancels_an_appointment_outside_the_notice(client, jo, far_and_near):
    _, far = far_and_near
    sign_in_as(client, jo)

    assert (
        "Cancel the appointment"
        in client.get(f"/my/appointments/{far.pk}/cancel/").text
    )
    response = client.post(f"/my/appointments/{far.pk}/cancel/", follow=True)

    far.refresh_from_db()
    assert far.status == Appointment.Status.CANCELLED
    assert "Your appointment is cancelled" in response.text


def test_inside_the_notice_the_portal_says_to_call(client, jo, far_and_near, london):
    london.phone = "+442079460000"
    london.save()
    near, _ = far_and_near
    sign_in_as(client, jo)

    for action in ("move", "cancel"):
        page = client.get(f"/my/appointments/{near.pk}/{action}/").text
        assert "Please call us" in page
        assert "020 7946 0000" in page
        client.post(f"/my/appointments/{near.pk}/{action}/", {"starts_at": "x"})
    near.refresh_from_db()
    assert near.status == Appointment.Status.BOOKED
    assert near.starts_at == datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert "call" in client.get("/my/").text


def test_the_notice_is_a_setting(client, jo, far_and_near, settings):
    settings.PORTAL_NOTICE_HOURS = 24
    near, _ = far_and_near
    sign_in_as(client, jo)

    assert (
        "Cancel the appointment"
        in client.get(f"/my/appointments/{near.pk}/cancel/").text
    )


def test_another_clients_appointment_is_404(client, kim, far_and_near):
    _, far = far_and_near
    sign_in_as(client, kim)

    assert client.get(f"/my/appointments/{far.pk}/move/").status_code == 404
    assert client.post(f"/my/appointments/{far.pk}/cancel/").status_code == 404
    far.refresh_from_db()
    assert far.status == Appointment.Status.BOOKED


@pytest.mark.parametrize(
    "kind", [MessageKind.TOUCH_UP, MessageKind.FADE_CHECK, MessageKind.COURSE_NUDGE]
)
def test_recall_emails_link_to_booking_in_the_portal(jo, kind, settings, make_plan):
    settings.SITE_URL = "https://clinic.example"
    message = OutboundMessage.objects.create(
        client=jo,
        kind=kind,
        plan=make_plan(),
        due_at=timezone.now(),
        dedupe_key=f"portal-test:{kind}",
    )

    email = build_email(message)

    assert "https://clinic.example/my/book/" in email.body
    assert 'href="https://clinic.example/my/book/"' in email.alternatives[0][0]


def test_a_recall_link_lands_at_sign_in_and_the_emailed_link_returns_to_booking(
    client, jo, settings, broker, django_capture_on_commit_callbacks
):
    """The recall is read weeks after it was sent, long after any sign-in link in it
    would have expired: its link is the portal's booking page, which asks a stranger
    to sign in and brings them back to it."""
    from django.core import mail

    from portal import tasks
    from tests.portal.conftest import link_in

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    landed = client.get("/my/book/")
    assert landed.status_code == 302
    assert landed["Location"] == "/my/sign-in/?next=/my/book/"
    page = client.get(landed["Location"]).text
    assert 'name="next" value="/my/book/"' in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/my/sign-in/", {"email": "jo@x.test", "next": "/my/book/"})
    for args in broker:
        tasks.send_sign_in_link(*args)
    path = link_in(mail.outbox[-1])

    assert client.post(path)["Location"] == "/my/book/"
    assert client.get("/my/book/").status_code == 200


def test_a_touch_up_with_a_deposit_is_held_while_it_is_paid_by_card(
    client,
    jo,
    make_plan,
    london,
    front_desk,
    practitioner,
    lot,
    sam,
    touch_up,
    stripe_on,
):
    """With card deposits on, the portal holds the time for the deposit as the
    public booking page does, and sends the client to pay."""
    touch_up.price_minor, touch_up.deposit_minor = 20000, 5000
    touch_up.save()
    plan = make_plan()
    first_session_done(plan, london, front_desk, practitioner, lot)
    sign_in_as(client, jo)
    with time_machine.travel(datetime.combine(DAY_0, time(18), UTC)):
        page = client.get(f"/my/book/service-{touch_up.pk}/?day=2026-03-20").text
        offered = times_on(page)
        assert offered, page
        response = choose(
            client, f"/my/book/service-{touch_up.pk}/", offered[0], sam, london
        )
        appointment = Appointment.objects.get(client=jo, service=touch_up)
        assert appointment.status == Appointment.Status.AWAITING_DEPOSIT
        held_for = appointment.held_until - timezone.now()
        assert timedelta(minutes=14) < held_for <= timedelta(minutes=15)
        assert response["Location"].startswith("/pay/deposit/")
        assert "held for 15 minutes" in client.get(response["Location"]).text
    # Nothing is announced before the deposit is paid.
    assert not OutboundMessage.objects.filter(appointment=appointment)


def test_without_card_payments_a_touch_up_with_a_deposit_is_booked(
    client, jo, make_plan, london, front_desk, practitioner, lot, sam, touch_up
):
    touch_up.price_minor, touch_up.deposit_minor = 20000, 5000
    touch_up.save()
    plan = make_plan()
    first_session_done(plan, london, front_desk, practitioner, lot)
    sign_in_as(client, jo)
    with time_machine.travel(datetime.combine(DAY_0, time(18), UTC)):
        page = client.get(f"/my/book/service-{touch_up.pk}/?day=2026-03-20").text
        response = choose(
            client, f"/my/book/service-{touch_up.pk}/", times_on(page)[0], sam, london
        )
    assert response["Location"] == "/my/"
    assert Appointment.objects.get(client=jo, service=touch_up).status == "booked"
