"""A day of each person who uses the app, in a real browser at tablet width.

Every step saves a screenshot under var/screenshots/ (the README's tour shows some),
runs axe-core on the page (no serious or critical WCAG 2.1 A/AA finding) and checks
that nothing scrolls sideways (tests/e2e/conftest.py: Journey).

The clinic sits in the time zone where it is now about noon, so that "today" has
hours left to book and check in whenever the suite runs. Where a journey needs
another person's work done first (the practitioner's reading of a patch test before
the front desk books a course), it is done through the same services the pages use.
"""

import io
import itertools
import random
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from appointments import services as booking
from appointments.models import (
    Appointment,
    Location,
    Practitioner,
    Room,
    Service,
    WorkingHours,
)
from clients import services as client_services
from clients.models import Client, ConsentKind, PatchTest
from core.roles import Role
from messaging import outbox
from pigments.models import Pigment, PigmentLot
from tests.e2e.conftest import new_page
from treatments import services as treatment_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.axe]

PASSWORD = "browser test passphrase 2026"


def noon_zone() -> ZoneInfo:
    """A fixed-offset zone where the clock now reads between 12:00 and 12:59."""
    offset = 12 - datetime.now(UTC).hour
    # The Etc zones' signs are inverted: Etc/GMT-3 is three hours ahead of UTC.
    return ZoneInfo(f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT")


class Clinic:
    """One location, its staff, services, a pigment lot and consent texts."""

    def __init__(self, make_staff):
        self.zone = noon_zone()
        self.soho = Location.objects.create(
            name="Soho", address="12 Greek Street, London W1", timezone=self.zone.key
        )
        Room.objects.bulk_create(
            Room(location=self.soho, name=f"Studio {n}") for n in (1, 2)
        )
        self.consultation = Service.objects.create(
            name="Consultation",
            kind="consultation",
            duration_minutes=30,
            needs_room=False,
        )
        self.patch_test = Service.objects.create(
            name="Patch test", kind="patch_test", duration_minutes=15, needs_room=False
        )
        self.smp = Service.objects.create(
            name="SMP session",
            kind="smp_session",
            duration_minutes=180,
            buffer_after_minutes=15,
            needs_room=True,
            needs_patch_test=True,
            price_minor=45000,
            deposit_minor=10000,
        )
        self.sam_user = make_staff(
            Role.PRACTITIONER,
            username="sam",
            password=PASSWORD,
            first_name="Sam",
            last_name="Okafor",
        )
        self.sam = Practitioner.objects.create(
            user=self.sam_user, licence_number="BA-2024001"
        )
        self.sam.locations.add(self.soho)
        WorkingHours.objects.bulk_create(
            WorkingHours(
                practitioner=self.sam,
                location=self.soho,
                weekday=weekday,
                start_time=start,
                end_time=end,
            )
            for weekday in range(7)
            for start, end in ((time(8), time(13)), (time(13, 30), time(20)))
        )
        self.dana = make_staff(
            Role.FRONT_DESK, username="dana", password=PASSWORD, first_name="Dana"
        )
        self.morgan = make_staff(
            Role.MANAGER, username="morgan", password=PASSWORD, first_name="Morgan"
        )
        pigment = Pigment.objects.create(
            brand="Perma Blend",
            shade="SMP Dark",
            ingredients="Carbon black (CI 77266), water, glycerin",
        )
        self.lot = PigmentLot.objects.create(
            pigment=pigment,
            lot_number="L26001A",
            expires_on=self.today() + timedelta(days=600),
        )
        for kind, label in ConsentKind.choices:
            client_services.consent_text_publish(
                kind=kind, title=f"{label} consent", body=f"I agree to {label.lower()}."
            )

    def today(self):
        return timezone.now().astimezone(self.zone).date()

    def at(self, day, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)


@pytest.fixture
def clinic(make_staff, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return Clinic(make_staff)


def log_in(page, live_server, username, journey=None):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    if journey is not None:
        journey.step("log-in")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("dashboard")


def open_menu(page):
    """Unfold the main menu where the width folds it, and wait until it is open."""
    toggle = page.get_by_role("button", name="Show navigation")
    if toggle.is_visible():
        toggle.click()
        # Bootstrap slides the menu open over 0.35 s ("collapsing"); a click on a
        # link still clipped by the sliding box can land on the page beneath it.
        expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))


def go_to(page, link: str):
    """Follow a link of the main menu, which is folded away at tablet width."""
    open_menu(page)
    target = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=link, exact=True
    )
    href = target.get_attribute("href")
    target.click()
    expect(page).to_have_url(re.compile(re.escape(href) + r"(\?.*)?$"))


def book_on_page(page, *, service: str, day, at: str):
    page.get_by_label("Service").select_option(label=service)
    page.get_by_label("Practitioner").select_option(label="Sam Okafor")
    page.get_by_label("Location").select_option(label="Soho")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Time").fill(at)


def test_front_desk_books_a_new_client_through_to_a_course(
    live_server, journey, clinic
):
    page = journey.page
    log_in(page, live_server, "dana", journey)
    journey.step("dashboard")

    go_to(page, "Clients")
    journey.step("clients")
    page.get_by_role("link", name="New client").click()
    page.get_by_label("First name").fill("Rae")
    page.get_by_label("Last name").fill("Quinn")
    page.get_by_label("Email", exact=True).fill("rae.quinn@example.com")
    page.get_by_label("Phone").fill("07700 900123")
    page.get_by_label("Date of birth").fill("1985-04-30")
    journey.step("new-client-form")
    page.get_by_role("button", name="Save client").click()
    expect(page.get_by_role("heading", name="Rae Quinn")).to_be_visible()
    expect(page.get_by_text("Not decided")).to_be_visible()
    journey.step("new-client")
    rae = Client.objects.get(first_name="Rae")

    # The consultation, this afternoon.
    today = clinic.today()
    page.get_by_role("link", name="Book", exact=True).click()
    book_on_page(page, service="Consultation", day=today, at="14:00")
    journey.step("consultation-form")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Booked: Sam Okafor has Consultation")).to_be_visible()
    journey.step("consultation-booked")

    # The client arrives.
    go_to(page, "Today")
    expect(page.get_by_role("cell", name="Rae Quinn", exact=True)).to_be_visible()
    journey.step("today")
    page.get_by_role("button", name=re.compile("^Arrived.*Rae Quinn")).click()
    expect(page.get_by_text("Done: Rae Quinn checked in.")).to_be_visible()
    journey.step("arrived")
    consultation = Appointment.objects.get(client=rae)
    assert consultation.status == "checked_in"

    # At the consultation Sam takes the intake and finds Rae suitable (the
    # practitioner's journey does that in the browser).
    take_intake_and_decide(rae, clinic)
    # It is completed once it has started (the clinic's clock stands at about noon).
    with time_machine.travel(consultation.starts_at + timedelta(minutes=45)):
        booking.appointment_complete(appointment=consultation, by=clinic.sam_user)

    # The patch test, tomorrow morning.
    page.goto(f"{live_server.url}/clients/{rae.pk}/")
    expect(page.get_by_text("Suitable", exact=True)).to_be_visible()
    journey.step("client-after-consultation")
    page.get_by_role("link", name="Book", exact=True).click()
    tomorrow = today + timedelta(days=1)
    book_on_page(page, service="Patch test", day=tomorrow, at="10:00")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Booked: Sam Okafor has Patch test")).to_be_visible()
    journey.step("patch-test-booked")

    # Two days after the patch test Sam reads it: passed. Sam plans a course of
    # three sessions, and the front desk books all three at once.
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=True):
        test = client_services.patch_test_apply(
            client=rae,
            lots=[clinic.lot],
            applied_at=clinic.at(tomorrow, 10),
            notes="",
            by=clinic.sam_user,
        )
        client_services.patch_test_read(
            patch_test=test,
            result=PatchTest.Result.PASSED,
            read_at=timezone.now() - timedelta(minutes=1),
            notes="No reaction.",
            by=clinic.sam_user,
        )
        plan_course(clinic, rae)
        log_in(page, live_server, "dana")
        page.goto(f"{live_server.url}/clients/{rae.pk}/")
        page.get_by_role("link", name="Book the course").click()
        expect(page.get_by_label("Session 3: date")).not_to_have_value("")
        journey.step("course-proposal")
        page.get_by_role("button", name="Book all 3").click()
        expect(page.get_by_text("Booked 3 sessions")).to_be_visible()
        expect(page.get_by_text("by Sam Okafor").first).to_be_visible()
        # Nothing is left to book.
        expect(page.get_by_role("link", name="Book the course")).to_have_count(0)
        journey.step("course-booked")
    sessions = Appointment.objects.filter(client=rae, service=clinic.smp)
    assert sessions.count() == 3
    days = sorted(a.starts_at.date() for a in sessions)
    assert all(10 <= (b - a).days <= 14 for a, b in itertools.pairwise(days))


def take_intake(client, clinic):
    client_services.intake_save(
        client=client,
        fields={
            "hair_loss_cause": "androgenetic",
            "scale": "norwood",
            "stage": "V",
            "fitzpatrick": 3,
            "hair_colour": "dark brown",
            "pigment_reaction": False,
        },
        by=clinic.sam_user,
    )


def take_intake_and_decide(client, clinic):
    """Sam takes the intake and finds the client suitable; the client signs the
    treatment consent."""
    take_intake(client, clinic)
    client_services.suitability_decide(
        client=client, decision="suitable", by=clinic.sam_user
    )
    text = client_services.selectors.consent_texts_current()["treatment"]
    client_services.consent_sign(
        client=client, text=text, typed_name=client.full_name, by=clinic.sam_user
    )


def scalp_photo(path, dots: int, seed: int) -> str:
    """A picture of a scalp with `dots` pigment dots: fewer before, more after."""
    rng = random.Random(seed)  # noqa: S311 - a picture, not a secret
    image = Image.new("RGB", (480, 360), (224, 186, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 30, 440, 420), fill=(214, 172, 146))
    for _ in range(dots):
        x, y = rng.randint(60, 420), rng.randint(50, 340)
        draw.ellipse((x, y, x + 3, y + 3), fill=(52, 44, 40))
    image.save(path, "JPEG", quality=85)
    return str(path)


@pytest.fixture
def new_jo(clinic):
    """A new client who signed the treatment and photo consents at the front desk."""
    jo = Client.objects.create(
        first_name="Jo",
        last_name="Bloggs",
        email="jo@example.com",
        date_of_birth=date(1985, 4, 30),
    )
    for text in client_services.selectors.consent_texts_current().values():
        client_services.consent_sign(
            client=jo, text=text, typed_name="Jo Bloggs", by=clinic.dana
        )
    return jo


@pytest.fixture
def jo(clinic, new_jo):
    """The same client with the intake done."""
    take_intake(new_jo, clinic)
    return new_jo


def test_practitioner_decides_records_a_session_and_compares_photos(
    live_server, journey, clinic, new_jo, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    jo = new_jo
    page = journey.page
    log_in(page, live_server, "sam", journey)
    journey.step("dashboard")

    page.goto(f"{live_server.url}/clients/{jo.pk}/")
    expect(page.get_by_role("heading", name="Jo Bloggs")).to_be_visible()
    journey.step("client")
    page.get_by_role("link", name="Start the intake").click()
    page.wait_for_load_state()  # htmx (deferred) saves each section in place
    cause = page.locator("#section-hair-loss")
    cause.get_by_label("Hair loss cause").select_option(index=1)
    cause.get_by_role("button", name="Save hair loss").click()
    expect(cause.get_by_text("Saved ✓")).to_be_visible()
    section = page.locator("#section-classification")
    section.get_by_text("Norwood-Hamilton VI", exact=True).click()
    section.get_by_role("button", name="Save classification").click()
    expect(section.get_by_text("Saved ✓")).to_be_visible()
    section = page.locator("#section-skin-hair")
    section.get_by_label("Fitzpatrick skin type").select_option(index=3)
    section.get_by_role("button", name="Save skin and hair").click()
    expect(section.get_by_text("Saved ✓")).to_be_visible()
    section = page.locator("#section-health")
    section.get_by_label("No", exact=True).check()
    section.get_by_role("button", name="Save health").click()
    expect(section.get_by_text("Saved ✓")).to_be_visible()
    journey.step("intake")
    page.get_by_role("link", name="Done: back to Jo Bloggs").click()
    page.get_by_role("link", name="Record the decision").click()
    page.get_by_label("Suitable", exact=True).check()
    journey.step("suitability")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Recorded the suitability decision.")).to_be_visible()

    plan = first_session_now(clinic, jo)

    # The before photo, taken on the practitioner's tablet.
    page.goto(f"{live_server.url}/clients/{jo.pk}/photos/")
    photo_field = page.get_by_role("button", name="Photo*")
    photo_field.set_input_files(scalp_photo(tmp_path / "b.jpg", 40, 1))
    page.get_by_label("Kind").select_option(label="Before")
    page.get_by_role("combobox", name="View").select_option(label="Crown")
    page.get_by_label("Caption").fill("Crown, before the first session")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Added the photo")).to_be_visible()
    journey.step("before-photo")

    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    journey.step("plan")
    page.get_by_role("link", name="Record session").click()
    # The head diagram's script (deferred) counts clicks only once the page has
    # loaded: on a loaded machine the first click came first and was lost (CI).
    page.wait_for_load_state("load")
    crown = page.locator('[data-zone="crown"]')
    crown.click()
    crown.click()
    page.get_by_role("combobox", name="Frontal hairline").select_option("light")
    page.get_by_label("Pigment lot 1").select_option(value=str(clinic.lot.pk))
    page.get_by_label("Dilution 1").fill("50%")
    page.get_by_label("Needle", exact=True).fill("3RL")
    journey.step("session-record")
    page.get_by_role("button", name="Save session record").click()
    expect(page.get_by_text("Frontal hairline (light), Crown (medium)")).to_be_visible()
    journey.step("session-recorded")

    page.goto(f"{live_server.url}/clients/{jo.pk}/photos/")
    photo_field.set_input_files(scalp_photo(tmp_path / "a.jpg", 900, 2))
    page.get_by_label("Kind").select_option(label="After")
    page.get_by_role("combobox", name="View").select_option(label="Crown")
    page.get_by_label("Session").select_option(index=1)
    page.get_by_label("Caption").fill("Crown, after session 1")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Added the photo")).to_be_visible()
    # The crown's first and latest photos side by side.
    figures = page.locator(".photo-compare figcaption")
    expect(figures).to_have_count(2)
    expect(page.locator(".photo-compare")).to_contain_text("before the first session")
    expect(page.locator(".photo-compare")).to_contain_text("after session 1")
    journey.step("before-after")
    recorded = plan.sessions.get(number=1)
    assert recorded.pigments.get().lot == clinic.lot


def plan_course(clinic, client):
    """Sam plans a permanent full-head course of three sessions; the client signs
    off the hairline design."""
    plan = treatment_services.plan_create(
        client=client,
        practitioner=clinic.sam,
        service=clinic.smp,
        variant="permanent",
        goal="full_head",
        created_by=clinic.sam_user,
        hairline_style="soft",
        recession="mature",
    )
    return treatment_services.plan_design_sign_off(
        plan=plan, typed_name=client.full_name
    )


def patch_tested(clinic, client):
    """A passed patch test, applied four days ago and read a day ago."""
    test = client_services.patch_test_apply(
        client=client,
        lots=[clinic.lot],
        applied_at=timezone.now() - timedelta(days=4),
        notes="",
        by=clinic.sam_user,
    )
    client_services.patch_test_read(
        patch_test=test,
        result=PatchTest.Result.PASSED,
        read_at=timezone.now() - timedelta(days=1),
        notes="No reaction.",
        by=clinic.sam_user,
    )


def first_session_now(clinic, client):
    """A planned course whose first session started half an hour ago, the client
    checked in (patch-tested earlier with the clinic's lot)."""
    patch_tested(clinic, client)
    plan = plan_course(clinic, client)
    session = plan.sessions.get(number=1)
    starts_at = timezone.now() - timedelta(minutes=30)
    session.appointment = Appointment.objects.create(
        client=client,
        service=clinic.smp,
        practitioner=clinic.sam,
        location=clinic.soho,
        room=clinic.soho.rooms.first(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        busy_starts_at=starts_at,
        busy_ends_at=starts_at + timedelta(hours=3, minutes=15),
        status=Appointment.Status.CHECKED_IN,
        source=Appointment.Source.FRONT_DESK,
    )
    session.save()
    return plan


def logo_png() -> bytes:
    """A clinic's logo: a dark green rounded square with a light ring."""
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 255, 255), radius=56, fill=(32, 78, 60, 255))
    draw.ellipse((56, 56, 200, 200), outline=(226, 240, 226, 255), width=18)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_manager_recalls_a_lot_reads_reports_and_the_audit_trail(
    live_server, journey, clinic, jo, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # Jo's first session used lot L26001A (the practitioner's journey records a
    # session in the browser).
    client_services.suitability_decide(
        client=jo, decision="suitable", by=clinic.sam_user
    )
    plan = first_session_now(clinic, jo)
    treatment_services.session_record(
        session=plan.sessions.get(number=1),
        zones={"crown": "medium", "frontal_hairline": "light"},
        pigments=[(clinic.lot, "50%")],
        needle="3RL",
        by=clinic.sam_user,
    )
    page = journey.page
    log_in(page, live_server, "morgan", journey)
    journey.step("dashboard")

    go_to(page, "Set-up")
    journey.step("set-up")
    # The clinic's own name and logo, at the top of every page from now on.
    page.get_by_role("link", name="Clinic name and logo").click()
    page.get_by_label("Clinic name").fill("Northside Scalp Studio")
    page.get_by_label("Logo", exact=True).set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the clinic's name and logo.")).to_be_visible()
    expect(page.locator(".clinic-brand")).to_have_text("Northside Scalp Studio")
    journey.step("clinic-name-and-logo")
    go_to(page, "Set-up")
    page.get_by_role("link", name=re.compile("Pigment lots")).click()
    journey.step("pigment-lots")
    page.get_by_role("link", name="Recall Perma Blend SMP Dark lot L26001A").click()
    # Jo had the lot on skin twice: in the patch test and in the session.
    expect(page.get_by_role("cell", name="Jo Bloggs").first).to_be_visible()
    journey.step("lot-recall")

    go_to(page, "Reports")
    expect(page.get_by_role("heading", name="Bookings by week")).to_be_visible()
    expect(page.get_by_role("heading", name="Pigment lots used")).to_be_visible()
    journey.step("reports")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").first.click()
    assert download.value.suggested_filename.endswith(".csv")

    go_to(page, "Audit trail")
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    journey.step("audit-trail")
    page.goto(f"{live_server.url}/clients/{jo.pk}/")
    journey.step("client")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_text("Jo Bloggs").first).to_be_visible()
    journey.step("client-audit-trail")


def email_link(message, kind: str, live_server) -> str:
    """The link of one kind (confirm, cancel, waitlist ...) in an email, on the
    test's server rather than SITE_URL's."""
    pattern = {
        "confirm": r"Confirm you are coming: (\S+)",
        "cancel": r"Cancel: (\S+)",
        "waitlist": r"See the time and accept it: (\S+)",
    }[kind]
    url = re.search(pattern, message.body)[1]
    return live_server.url + url.removeprefix(settings.SITE_URL)


@pytest.fixture
def kims_consultation(clinic):
    """Kim's consultation tomorrow at 11:00."""
    kim = Client.objects.create(
        first_name="Kim", last_name="Lee", email="kim@example.com"
    )
    return booking.appointment_book(
        client=kim,
        service=clinic.consultation,
        practitioner=clinic.sam,
        starts_at=clinic.at(clinic.today() + timedelta(days=1), 11),
        booked_by=clinic.dana,
    )


@pytest.fixture
def ana(db):
    return Client.objects.create(
        first_name="Ana", last_name="Silva", email="ana@example.com"
    )


def test_client_confirms_then_cancels_and_the_waitlist_fills_the_time(
    live_server, journey, clinic, kims_consultation, ana
):
    kim = kims_consultation.client
    booking.waitlist_entry_add(
        client=ana,
        service=clinic.consultation,
        practitioner=None,
        location=None,
        earliest_on=clinic.today(),
        latest_on=clinic.today() + timedelta(days=7),
        notes="",
        by=clinic.dana,
    )
    outbox.messages_send_due()
    (confirmation,) = mail.outbox
    assert "11:00" in confirmation.subject
    page = journey.page

    page.goto(email_link(confirmation, "confirm", live_server))
    expect(page.get_by_role("heading", name="Confirm your appointment")).to_be_visible()
    expect(page.get_by_text("11:00")).to_be_visible()
    journey.step("confirm-link")
    page.get_by_role("button", name="Confirm I am coming").click()
    expect(page.get_by_text("your appointment is confirmed")).to_be_visible()
    journey.step("confirmed")
    assert Appointment.objects.get(client=kim).status == "confirmed"

    page.goto(email_link(confirmation, "cancel", live_server))
    journey.step("cancel-link")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_text("Your appointment is cancelled")).to_be_visible()
    journey.step("cancelled")
    assert Appointment.objects.get(client=kim).status == "cancelled"

    # The freed time goes to Ana, who was waiting for a consultation.
    mail.outbox.clear()
    outbox.messages_send_due()
    # Kim is told the cancellation took (with a METHOD:CANCEL calendar entry).
    (cancelled,) = [m for m in mail.outbox if m.to == [kim.email]]
    assert cancelled.subject.startswith("Your appointment is cancelled")
    (offer,) = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    assert "11:00" in offer.subject
    page.goto(email_link(offer, "waitlist", live_server))
    expect(page.get_by_text("the first to accept has it")).to_be_visible()
    journey.step("waitlist-offer")
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_text("It is yours")).to_be_visible()
    journey.step("waitlist-booked")
    taken = Appointment.objects.get(client=ana)
    assert (taken.starts_at, taken.source) == (kims_consultation.starts_at, "waitlist")


def test_new_client_books_a_consultation_online(live_server, journey, clinic):
    page = journey.page
    page.goto(f"{live_server.url}/book/")
    journey.step("locations")
    page.get_by_role("link", name=re.compile("Soho")).click()
    journey.step("consultations")
    page.get_by_role("link", name=re.compile("Consultation")).click()
    journey.step("times")
    page.locator(".time-grid a").first.click()
    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Last name").fill("Haddad")
    page.get_by_label("Email", exact=True).fill("noor@example.com")
    page.get_by_label("Phone").fill("07700 900555")
    journey.step("pick-a-time")
    page.get_by_role("button", name="Book the consultation").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    journey.step("booked")
    booked = Appointment.objects.get(client__email="noor@example.com")
    assert booked.source == "online" and booked.service == clinic.consultation


@pytest.mark.parametrize("width", [768, 1024, 1200, 1366])
def test_the_managers_menu_fits_every_width(live_server, browser, clinic, width):
    page, _ = new_page(browser, {"width": width, "height": 900})
    log_in(page, live_server, "morgan")
    open_menu(page)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Reports")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    links = nav.locator(".nav-link").all()
    tallest = max(link.bounding_box()["height"] for link in links)
    page.context.close()
    assert overflow <= 0, f"scrolls sideways by {overflow}px"
    # A menu item that wraps onto two lines is taller than one line of text.
    assert tallest < 50, f"a menu item wraps ({tallest}px tall)"


def test_front_desk_fills_a_cancelled_time_from_the_waitlist(
    live_server, journey, clinic, kims_consultation, ana
):
    page = journey.page
    log_in(page, live_server, "dana")

    # Ana wants a consultation sooner than the one she could get.
    page.goto(f"{live_server.url}/clients/{ana.pk}/")
    page.get_by_role("link", name="Add to waitlist").click()
    page.get_by_label("Service").select_option(label="Consultation")
    page.get_by_label("Notes").fill("Can come at short notice")
    journey.step("add-to-waitlist")
    page.get_by_role("button", name="Add to waitlist").click()
    expect(page.get_by_text("Ana Silva is on the waitlist")).to_be_visible()
    journey.step("client-waiting")
    go_to(page, "Waitlist")
    expect(page.get_by_role("link", name="Ana Silva")).to_be_visible()
    journey.step("waitlist")

    # Kim calls to cancel: the time is offered to Ana at once.
    page.goto(f"{live_server.url}/appointments/{kims_consultation.pk}/")
    page.get_by_label("Reason for cancelling").fill("Kim is unwell")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_text("offered to 1 client on the waitlist")).to_be_visible()
    journey.step("cancelled-and-offered")
    outbox.messages_send_due()
    (offer,) = mail.outbox
    assert offer.to == ["ana@example.com"]
    go_to(page, "Waitlist")
    expect(page.get_by_role("cell", name="Offered: ")).to_be_visible()
    journey.step("waitlist-offered")
