"""A course in a real browser: the front desk books all three sessions at once; the
practitioner records a session by tapping zones on the head diagram."""

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import (
    Appointment,
    Location,
    Practitioner,
    Room,
    Service,
    WorkingHours,
)
from clients import services as client_services
from clients.models import Client
from core.roles import Role
from pigments.models import Pigment, PigmentLot
from tests.conftest import make_treatment_ready
from treatments import services

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser test passphrase 2026"


@pytest.fixture
def clinic(make_staff):
    london = Location.objects.create(name="London", timezone="Europe/London")
    Room.objects.create(location=london, name="Studio 1")
    smp = Service.objects.create(
        name="SMP session", kind="smp_session", duration_minutes=120, needs_room=True
    )
    sam_user = make_staff(
        Role.PRACTITIONER, username="sam", password=PASSWORD, first_name="Sam"
    )
    sam = Practitioner.objects.create(user=sam_user, licence_number="BA-7")
    sam.locations.add(london)
    WorkingHours.objects.bulk_create(
        WorkingHours(
            practitioner=sam,
            location=london,
            weekday=weekday,
            start_time=time(9),
            end_time=time(17),
        )
        for weekday in range(7)
    )
    make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD, first_name="Dana")
    jo = Client.objects.create(first_name="Jo", last_name="Bloggs", email="jo@x.test")
    # Every gate before treatment passed: intake, decision, consent, age.
    make_treatment_ready(jo, by=sam_user)
    pigment = Pigment.objects.create(brand="Perma Blend", shade="SMP Dark")
    lot = PigmentLot.objects.create(
        pigment=pigment,
        lot_number="L26001A",
        expires_on=timezone.localdate().replace(year=timezone.localdate().year + 2),
    )
    # The pigment was patch-tested four days ago and passed.
    test = client_services.patch_test_apply(
        client=jo,
        lots=[lot],
        applied_at=timezone.now() - timedelta(days=4),
        notes="",
        by=sam_user,
    )
    client_services.patch_test_read(
        patch_test=test,
        result="passed",
        read_at=timezone.now() - timedelta(days=1),
        notes="",
        by=sam_user,
    )
    plan = services.plan_create(
        client=jo,
        practitioner=sam,
        service=smp,
        variant="permanent",
        goal="full_head",
        created_by=sam_user,
        hairline_style="soft",
        recession="mature",
    )
    plan = services.plan_design_sign_off(plan=plan, typed_name="Jo Bloggs")
    return jo, plan


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("dashboard")


def test_the_front_desk_books_a_whole_course(live_server, page, screenshot, clinic):
    jo, _ = clinic
    log_in(page, live_server, "dana")
    page.goto(f"{live_server.url}/clients/{jo.pk}/")
    page.get_by_role("link", name="Book the course").click()
    first_date = page.get_by_label("Session 1: date").input_value()
    third_date = page.get_by_label("Session 3: date").input_value()
    assert first_date and third_date > first_date
    screenshot("1-proposal")
    page.get_by_role("button", name="Book all 3").click()
    expect(page.get_by_text("Booked 3 sessions")).to_be_visible()
    screenshot("2-booked")
    assert Appointment.objects.filter(client=jo).count() == 3


def test_the_practitioner_records_a_session_on_the_head_diagram(
    live_server, page, screenshot, clinic
):
    jo, plan = clinic
    session = plan.sessions.get(number=1)
    london = Location.objects.get()
    starts_at = timezone.now() - timedelta(hours=1)
    session.appointment = Appointment.objects.create(
        client=jo,
        service=plan.service,
        practitioner=plan.practitioner,
        location=london,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        busy_starts_at=starts_at,
        busy_ends_at=starts_at + timedelta(hours=2),
        status=Appointment.Status.CHECKED_IN,
        source=Appointment.Source.FRONT_DESK,
    )
    session.save()
    log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.get_by_role("link", name="Record session").click()
    page.wait_for_load_state()
    crown = page.locator('[data-zone="crown"]')
    crown.click()
    crown.click()
    expect(page.get_by_role("combobox", name="Crown")).to_have_value("medium")
    page.get_by_role("combobox", name="Frontal hairline").select_option("light")
    page.get_by_label("Pigment lot 1").select_option(
        value=str(PigmentLot.objects.get().pk)
    )
    page.get_by_label("Dilution 1").fill("50%")
    page.get_by_label("Needle", exact=True).fill("3RL")
    screenshot("1-record")
    page.get_by_role("button", name="Save session record").click()
    expect(page.get_by_text("Frontal hairline (light), Crown (medium)")).to_be_visible()
    screenshot("2-recorded")
