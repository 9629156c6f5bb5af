# ruff: noqa: F811 (the online booking journey's clinic fixture, imported)
"""Issue 21 on a phone (390 px wide): the client's side after booking. A client who
booked a video consultation online answers the health questions and signs the
treatment consent on their phone; a returning client signs in by the emailed link
(read from the mail the app sent), books a touch-up, moves it and cancels it. Every
step saves a screenshot, has no serious axe-core finding and does not scroll
sideways."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from playwright.sync_api import expect

from appointments import services as booking
from appointments.models import Appointment, Service
from clients import services as client_services
from clients.models import Client, Consent, IntakeEntry
from portal import tasks
from tests.e2e.conftest import PATIENCE_MS, Journey
from tests.e2e.screens import SCREENSHOTS, TABLET
from tests.e2e.test_journeys import first_session_now, log_in, take_intake
from tests.e2e.test_online_booking import PHONE, clinic  # noqa: F401
from treatments import services as treatment_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.axe]


@pytest.fixture
def phone(browser, request):
    """A phone-sized page and the journey's steps (see Journey): the journey fails
    at the end on a serious axe-core finding, sideways scrolling or a script or
    style the Content Security Policy refused."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.removeprefix("test_")
    for old in SCREENSHOTS.glob(f"{prefix}-[0-9][0-9]-*.png"):
        old.unlink()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(PATIENCE_MS)
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
    assert not problems, "accessibility or layout:\n" + "\n".join(problems)


@pytest.fixture
def worker(monkeypatch, settings):
    """The sign-in page leaves the email to the worker: run it at once, as the
    worker would, so the link lands in the outbox (locmem)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(
        tasks.send_sign_in_link,
        "delay",
        lambda *args: tasks.send_sign_in_link(*args),
    )


def sign_in_by_email(page, live_server, email: str, journey=None) -> None:
    """Ask for a link on the sign-in page, open the one the app emailed, sign in."""
    page.goto(f"{live_server.url}/my/sign-in/")
    page.get_by_label("Your email address").fill(email)
    if journey is not None:
        journey.step("sign-in")
    before = len(mail.outbox)
    page.get_by_role("button", name=re.compile("link", re.I)).click()
    expect(page.get_by_text(re.compile("a link is on its way", re.I))).to_be_visible()
    assert len(mail.outbox) == before + 1, "no sign-in email was sent"
    link = re.search(r"https?://[^/\s]+(/my/link/\S+)", mail.outbox[-1].body)[1]
    page.goto(live_server.url + link)
    if journey is not None:
        journey.step("link")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture
def noor(clinic):
    """A new client who booked a video consultation online for tomorrow."""
    noor = Client.objects.create(
        first_name="Noor", last_name="Haddad", email="noor@example.com"
    )
    tomorrow = clinic.today() + timedelta(days=1)
    booking.appointment_book(
        client=noor,
        service=clinic.video,
        practitioner=clinic.sam,
        starts_at=clinic.at(tomorrow, 10),
        booked_by=None,
        source=Appointment.Source.ONLINE,
        location=clinic.soho,
    )
    return noor


def test_a_new_client_answers_the_health_questions_and_signs_on_a_phone(
    live_server,
    phone,
    clinic,
    noor,
    worker,
):
    page = phone.page
    sign_in_by_email(page, live_server, "noor@example.com")
    page.get_by_role("link", name="Signed forms").first.click()
    expect(page.get_by_role("heading", name="Health questions")).to_be_visible()
    phone.step("forms")

    page.get_by_role("link", name="Answer the health questions").click()
    page.get_by_label("What caused your hair loss?").select_option(
        label="Androgenetic (pattern) hair loss"
    )
    stage = page.locator('input[name="classification-stage"][value="norwood:V"]')
    page.locator(f'label[for="{stage.get_attribute("id")}"]').click()
    page.get_by_label("How does your skin react to the sun?").select_option(
        label="sometimes burns, tans gradually"
    )
    page.get_by_label("Your natural hair colour").fill("Dark brown")
    page.locator("#id_health-medications").fill("Minoxidil foam")
    page.get_by_role("radio", name="No", exact=True).check()
    phone.step("health-questions")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("your answers are sent")).to_be_visible()
    phone.step("answers-sent")
    entries = IntakeEntry.objects.filter(client=noor, outcome="")
    assert {e.section for e in entries} == {
        "hair-loss",
        "classification",
        "skin-hair",
        "health",
    }
    assert not hasattr(Client.objects.get(pk=noor.pk), "intake")

    page.get_by_role("link", name=re.compile("Treatment consent")).click()
    page.get_by_label("I have read this and I agree to it").check()
    page.get_by_label("Type your full name to sign").fill("Noor Haddad")
    phone.step("sign-consent")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text("Signed: Treatment consent")).to_be_visible()
    phone.step("signed")
    assert Consent.objects.filter(
        client=noor, text__kind="treatment", witnessed_by=None
    ).exists()


@pytest.fixture
def ravi(clinic):
    """A returning client: intake, suitability, consents, and a first session done
    at the clinic."""
    ravi = Client.objects.create(
        first_name="Ravi",
        last_name="Shah",
        email="ravi@example.com",
        date_of_birth=date(1979, 8, 14),
    )
    for text in client_services.selectors.consent_texts_current().values():
        client_services.consent_sign(
            client=ravi, text=text, typed_name="Ravi Shah", by=clinic.dana
        )
    take_intake(ravi, clinic)
    client_services.suitability_decide(
        client=ravi, decision="suitable", by=clinic.sam_user
    )
    session = first_session_now(clinic, ravi).sessions.get(number=1)
    treatment_services.session_record(
        session=session,
        zones={"crown": "medium", "frontal_hairline": "light"},
        pigments=[(clinic.lot, "50%")],
        needle="3RL",
        by=clinic.sam_user,
    )
    booking.appointment_complete(appointment=session.appointment, by=clinic.dana)
    clinic.touch_up = Service.objects.create(
        name="Touch-up", kind=Service.Kind.TOUCH_UP, duration_minutes=60
    )
    return ravi


def test_a_returning_client_signs_in_by_link_books_moves_and_cancels_a_touch_up(
    live_server,
    phone,
    clinic,
    ravi,
    worker,
):
    page = phone.page
    sign_in_by_email(page, live_server, "ravi@example.com", phone)
    phone.step("signed-in")

    page.get_by_role("link", name="Book", exact=True).first.click()
    phone.step("book")
    page.get_by_role("link", name="Choose a time for Touch-up").click()
    # A day beyond the clinic's notice (48 hours), so that the portal lets the
    # client move and cancel it themselves; its first time.
    page.locator("nav[aria-label=Days] a.btn-outline-primary").nth(3).click()
    # In the clinic's time: its day starts at 08:00 there.
    expect(page.locator("main form button[type=submit]").first).to_contain_text("08:00")
    phone.step("times")
    page.locator("main form button[type=submit]").first.click()
    expect(page.get_by_text(re.compile("booked", re.I)).first).to_be_visible()
    phone.step("booked")
    touch_up = Appointment.objects.get(client=ravi, service=clinic.touch_up)
    first_time = touch_up.starts_at

    page.goto(f"{live_server.url}/my/")
    page.get_by_role("link", name="Move Touch-up").click()
    phone.step("move")
    # Two days later than booked.
    later = page.locator("nav[aria-label=Days] a.btn-outline-primary").nth(5)
    later.click()
    page.locator("main form button[type=submit]").first.click()
    expect(page.get_by_text(re.compile("moved", re.I)).first).to_be_visible()
    phone.step("moved")
    touch_up.refresh_from_db()
    assert touch_up.starts_at > first_time

    page.goto(f"{live_server.url}/my/")
    page.get_by_role("link", name="Cancel Touch-up").click()
    phone.step("cancel")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_text(re.compile("cancelled", re.I)).first).to_be_visible()
    phone.step("cancelled")
    touch_up.refresh_from_db()
    assert touch_up.status == Appointment.Status.CANCELLED


def test_a_practitioner_reviews_what_the_client_entered(
    live_server, journey, clinic, noor
):
    """At the tablet: the client's answers beside the intake on file, a proposed
    change marked, confirmed all at once."""
    client_services.intake_save(
        client=noor,
        fields={"hair_loss_cause": "androgenetic", "medications": "None"},
        by=clinic.sam_user,
    )
    for section, values in {
        "hair-loss": {"hair_loss_cause": "androgenetic", "alopecia_active": True},
        "classification": {"scale": "norwood", "stage": "V"},
        "health": {"medications": "Warfarin", "pigment_reaction": False},
    }.items():
        client_services.intake_entry_submit(client=noor, section=section, values=values)
    page = journey.page
    log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/clients/{noor.pk}/")
    page.get_by_role("link", name="Review the client's answers").click()
    expect(page.get_by_text("Proposed change").first).to_be_visible()
    journey.step("intake-review")
    # And on a phone: the tables scroll inside themselves, not the page.
    page.set_viewport_size(PHONE)
    journey.step("intake-review-phone")
    page.set_viewport_size(TABLET)
    page.get_by_role("button", name="Confirm all 3 sections").click()
    expect(page.get_by_text("Confirmed the client's answers.")).to_be_visible()
    journey.step("intake-confirmed")
    intake = Client.objects.get(pk=noor.pk).intake
    assert (intake.medications, intake.stage) == ("Warfarin", "V")
    assert intake.updated_by == clinic.sam_user
