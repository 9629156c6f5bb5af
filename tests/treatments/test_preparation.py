"""The preparation note fits the work: shaving advice only where the head is shaved,
its own text for density behind longer hair and for scar camouflage, and every one
asks to pause topical minoxidil for the days the clinic sets."""

from datetime import date, datetime, time

import pytest

from messaging.models import MessageKind, MessageText, OutboundMessage
from messaging.outbox import build_email
from messaging.selectors import message_settings
from treatments import services

pytestmark = pytest.mark.usefixtures("frozen_now")

HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'


def preparation_for(make_plan, london, front_desk, **plan_fields):
    plan = make_plan(**plan_fields)
    services.course_book(
        plan=plan,
        starts={1: datetime.combine(date(2026, 3, 10), time(9, 15), london.zone)},
        location=london,
        booked_by=front_desk,
    )
    message = OutboundMessage.objects.get(
        appointment=plan.sessions.get(number=1).appointment,
        kind=MessageKind.PREPARATION,
    )
    return build_email(message)


@pytest.mark.parametrize(
    ("goal", "shaving"),
    [("full_head", True), ("hairline", True), ("density", False), ("scar", False)],
)
def test_shaving_advice_only_where_the_head_is_shaved(
    make_plan, london, front_desk, goal, shaving
):
    extra = {"surgery_on": date(2024, 1, 1)} if goal == "scar" else {}
    email = preparation_for(make_plan, london, front_desk, goal=goal, **extra)
    assert ("Shave your head" in email.body) is shaving
    assert "Pause topical minoxidil (Regaine, Rogaine) for 7 days before" in email.body
    if goal == "density":
        assert "no need to shave" in email.body
    if goal == "scar":
        assert "scar" in email.body


def test_the_minoxidil_days_are_the_clinics_setting(make_plan, london, front_desk):
    settings_row = message_settings()
    settings_row.minoxidil_pause_days = 14
    settings_row.save()
    email = preparation_for(make_plan, london, front_desk, goal="density")
    assert "for 14 days before your session, and for 14 days after" in email.body


def test_a_new_clinic_starts_from_the_setting(db, settings):
    settings.MESSAGE_MINOXIDIL_PAUSE_DAYS = 5
    assert message_settings().minoxidil_pause_days == 5


def test_the_clinics_own_density_text_is_used_and_escaped(
    make_plan, london, front_desk
):
    MessageText.objects.create(
        key="preparation_density",
        subject="Before your visit",
        body=f"Pause minoxidil {{minoxidil_days}} days. {HOSTILE}",
    )
    email = preparation_for(make_plan, london, front_desk, goal="density")
    # "{{x}}" is the way to write a brace in a text: the client reads "{x}".
    assert "Pause minoxidil 7 days. " + HOSTILE.replace("{{x}}", "{x}") in email.body
    html = email.alternatives[0][0]
    assert "<b hx-get" not in html
    assert "&lt;b hx-get=&quot;/x&quot;" in html
