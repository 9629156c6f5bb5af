"""Issue 21, section 1, on a phone (390 px wide) with the keyboard alone: a new
visitor picks the clinic, a video consultation, a day from the strip (htmx swaps the
times in and moves focus to them), a time, fills in their details, attaches a photo
of their scalp with consent, and books. Every step saves a screenshot, has no serious
axe-core finding, does not scroll sideways and is at most two screens tall. The
phone is set to another zone than the clinic's, so the page says which zone its
times are in."""

import re

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from appointments.models import Appointment, Service
from tests.e2e.conftest import Journey
from tests.e2e.screens import SCREENSHOTS
from tests.e2e.test_journeys import Clinic
from treatments.models import Photo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.axe]

PHONE = {"width": 390, "height": 844}
VIDEO_LINK = "https://meet.example.com/soho"


@pytest.fixture
def clinic(make_staff, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path
    clinic = Clinic(make_staff)
    clinic.soho.video_link = VIDEO_LINK
    clinic.soho.save()
    clinic.video = Service.objects.create(
        name="Video consultation",
        kind="consultation",
        meeting="video",
        duration_minutes=20,
        needs_room=False,
    )
    return clinic


@pytest.fixture
def phone_journey(browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = "online_booking_phone"
    for old in SCREENSHOTS.glob(f"{prefix}-[0-9][0-9]-*.png"):
        old.unlink()
    context = browser.new_context(viewport=PHONE, timezone_id="America/New_York")
    page = context.new_page()
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    trip = Journey(page=page, prefix=prefix)
    yield trip
    context.close()
    assert not refused, "the Content Security Policy refused:\n" + "\n".join(refused)
    problems = trip.problems()
    too_tall = [s for s in trip.steps if s.height_px > 2 * PHONE["height"]]
    assert not problems, "accessibility or layout:\n" + "\n".join(problems)
    assert not too_tall, [(s.name, s.height_px) for s in too_tall]


def step(journey, name):
    taken = journey.step(name)
    taken.height_px = journey.page.evaluate("document.documentElement.scrollHeight")
    return taken


def tab_to(page, target, limit=80):
    """Press Tab until `target` has the focus, as a keyboard user would."""
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => document.activeElement === el", handle):
            return
    raise AssertionError(f"Tab never reached {target}")


def choose_file_by_keyboard(page, path, tries=3):
    """Space on the focused file input opens the chooser. On a loaded machine
    Chromium has now and then let a key press go without opening it (never twice):
    press again rather than fail, still by keyboard alone."""
    for _ in range(tries):
        try:
            with page.expect_file_chooser(timeout=5_000) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeoutError:
            continue
        chooser.value.set_files(str(path))
        return
    raise AssertionError("Space on the file input never opened the file chooser")


def test_a_new_visitor_books_a_video_consultation_with_a_photo_by_keyboard(
    live_server, clinic, phone_journey, tmp_path
):
    page = phone_journey.page
    photo = tmp_path / "crown.jpg"
    Image.new("RGB", (60, 40), "brown").save(photo, "JPEG")

    page.goto(f"{live_server.url}/book/")
    step(phone_journey, "clinics")
    tab_to(page, page.get_by_role("link", name=re.compile("Soho")))
    page.keyboard.press("Enter")

    expect(
        page.get_by_role("heading", name="How would you like to meet?")
    ).to_be_visible()
    step(phone_journey, "consultations")
    tab_to(page, page.get_by_role("link", name=re.compile("Video consultation")))
    page.keyboard.press("Enter")

    expect(page.locator("#visitor-zone")).to_have_text(
        re.compile(r"Your device is set to New York time: the times here are .+ time\.")
    )
    step(phone_journey, "times")
    # Tomorrow, from the strip: htmx brings its times and the focus with them.
    tomorrow = page.locator(".day-strip a.day").nth(1)
    day_name = tomorrow.locator(".day-name").inner_text()
    tab_to(page, tomorrow)
    page.keyboard.press("Enter")
    expect(page.locator("#times-heading")).to_be_focused()
    expect(page.locator("#times-heading")).to_contain_text(day_name)
    step(phone_journey, "times-tomorrow")
    page.keyboard.press("Tab")  # from the day's heading to its first time
    expect(page.locator(".time-grid a").first).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    step(phone_journey, "details")
    tab_to(page, page.get_by_label("First name"))
    page.keyboard.type("Noor")
    page.keyboard.press("Tab")
    page.keyboard.type("Haddad")
    page.keyboard.press("Tab")
    page.keyboard.type("noor@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("07700 900555")
    tab_to(page, page.get_by_label("Crown"))
    choose_file_by_keyboard(page, photo)
    tab_to(page, page.get_by_label(re.compile("I agree to the clinic keeping")))
    page.keyboard.press("Space")
    step(phone_journey, "details-filled")
    tab_to(page, page.get_by_role("button", name="Book the consultation"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_role("link", name=VIDEO_LINK)).to_be_visible()
    step(phone_journey, "booked")
    booked = Appointment.objects.get(client__email="noor@example.com")
    assert (booked.service, booked.source, booked.room) == (
        clinic.video,
        "online",
        None,
    )
    assert Photo.objects.filter(client=booked.client, view="crown").exists()


def test_the_booking_steps_at_desktop_width(live_server, clinic, page):
    """The same steps with a mouse on a desktop screen: axe-core, no sideways
    scroll, and a person choosing a practitioner gets them."""
    journey = Journey(page=page, prefix="online_booking_desktop")
    page.goto(f"{live_server.url}/book/")
    journey.step("clinics")
    page.get_by_role("link", name=re.compile("Soho")).click()
    journey.step("consultations")
    page.get_by_role("link", name=re.compile("In person|Consultation")).first.click()
    # htmx (deferred) listens for the change only once the page has loaded: on a
    # loaded machine the choice could come first and be lost (seen in CI).
    page.wait_for_load_state("load")
    page.get_by_label("With").select_option(label="Sam")
    expect(page).to_have_url(re.compile(r"practitioner=\d+"))
    journey.step("times-with-sam")
    page.locator(".time-grid a").first.click()
    page.get_by_label("First name").fill("Ola")
    page.get_by_label("Last name").fill("Berg")
    page.get_by_label("Email", exact=True).fill("ola@example.com")
    journey.step("details")
    page.get_by_role("button", name="Book the consultation").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    journey.step("booked")
    assert not journey.problems(), journey.problems()
    booked = Appointment.objects.get(client__email="ola@example.com")
    assert booked.practitioner == clinic.sam
