"""Emails carry the clinic's name as Set-up gives it, and its logo in HTML as an
absolute URL of the public logo route; without the picture the email reads the same
(the name is text beside it)."""

import io
from datetime import date, datetime, time

import pytest
from PIL import Image

from core import clinic
from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import build_email
from treatments import services

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def reminder(make_plan, london, front_desk):
    plan = make_plan()
    services.course_book(
        plan=plan,
        starts={1: datetime.combine(date(2026, 3, 10), time(9, 15), london.zone)},
        location=london,
        booked_by=front_desk,
    )
    appointment = plan.sessions.get(number=1).appointment
    return OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.REMINDER
    ).first()


def test_without_a_logo_the_email_names_the_default_clinic_and_shows_no_picture(
    reminder,
):
    email = build_email(reminder)
    assert email.subject.endswith("· SMP Clinic")
    html = email.alternatives[0][0]
    assert "SMP Clinic" in html
    assert "<img" not in html


def test_the_email_has_the_clinics_name_escaped_and_its_logo(
    reminder, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://clinic.example"
    png = io.BytesIO()
    Image.new("RGB", (60, 60), "teal").save(png, "PNG")
    clinic.clinic_profile_save(name="Scalp & <Co>", logo_png=png.getvalue())
    email = build_email(reminder)
    assert email.subject.endswith("· Scalp & <Co>")
    assert "Scalp & <Co>" in email.body
    html = email.alternatives[0][0]
    assert "Scalp &amp; &lt;Co&gt;" in html
    logo = "https://clinic.example" + clinic.clinic_identity().logo_url
    assert f'<img src="{logo}" alt=""' in html
