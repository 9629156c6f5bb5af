"""Issue 17, item 1, in a real browser: a visitor books online with a first name that
is an htmx element cancelling an appointment on sight; the front desk opens the
confirmation under Messages. No request fires, the appointment stays booked and the
name reads as the visitor typed it."""

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import (
    Appointment,
    Location,
    Practitioner,
    Service,
    WorkingHours,
)
from core.roles import Role
from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import messages_send_due

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser test passphrase 2026"


def cancel_on_sight(appointment_id: int) -> str:
    return (
        f'<b hx-post="/appointments/{appointment_id}/cancel/" '
        f'hx-vals=\'{{"reason":"x"}}\' hx-trigger=load>Al</b>'
    )


@pytest.fixture
def clinic(make_staff):
    london = Location.objects.create(name="London", timezone="Europe/London")
    Service.objects.create(
        name="Consultation", kind="consultation", duration_minutes=30, needs_room=False
    )
    user = make_staff(Role.PRACTITIONER, first_name="Sam", last_name="Okafor")
    sam = Practitioner.objects.create(user=user, licence_number="BA-1")
    sam.locations.add(london)
    WorkingHours.objects.bulk_create(
        WorkingHours(
            practitioner=sam,
            location=london,
            weekday=weekday,
            start_time=time(0),
            end_time=time(23, 30),
        )
        for weekday in range(7)
    )
    make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD, first_name="Dana")
    return london


def book_online(page, live_server, london, first_name: str, nth: int) -> Appointment:
    page.goto(f"{live_server.url}/book/{london.pk}/")
    page.get_by_role("link", name=re.compile("Consultation")).click()
    page.locator(".time-grid a").nth(nth).click()
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Last name").fill("Visitor")
    page.get_by_label("Email", exact=True).fill(f"visitor{nth}@example.com")
    page.get_by_role("checkbox", name="Email me reminders").check()
    page.get_by_role("button", name="Book the consultation").click()
    expect(page.get_by_text("is booked for")).to_be_visible()
    return Appointment.objects.order_by("-pk").first()


def test_a_hostile_name_in_a_confirmation_fires_no_request_for_the_front_desk(
    page, live_server, clinic, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The target: an appointment the front desk could cancel with one POST.
    target = book_online(page, live_server, clinic, "Priya", 0)
    hostile = cancel_on_sight(target.pk)
    victim = book_online(page, live_server, clinic, hostile, 1)
    assert victim.client.first_name == hostile
    messages_send_due(now=timezone.now() + timedelta(minutes=1))
    confirmation = OutboundMessage.objects.get(
        kind=MessageKind.CONFIRMATION, appointment=victim
    )
    page.context.clear_cookies()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Front desk dashboard")

    fired = []
    page.on(
        "request",
        lambda request: (
            fired.append(f"{request.method} {request.url}")
            if request.method != "GET" or "/cancel/" in request.url
            else None
        ),
    )
    page.get_by_role("link", name="Messages").click()
    page.get_by_role("link", name="Sent", exact=True).click()
    page.locator(f'a[href="/clients/messages/{confirmation.pk}/"]').click()
    text = page.locator("pre.email-text")
    expect(text).to_contain_text(f"Hello {hostile},")
    # The HTML version, in its sandbox, shows the name as text too.
    frame = page.frame_locator("iframe.email-html")
    expect(frame.locator("body")).to_contain_text(f"Hello {hostile},")
    # htmx's load trigger would have fired at once; give it time to all the same.
    page.wait_for_timeout(1500)

    assert fired == []
    target.refresh_from_db()
    victim.refresh_from_db()
    assert (target.status, victim.status) == ("booked", "booked")
    assert page.locator("main b[hx-post]").count() == 0
