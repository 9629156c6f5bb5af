"""Issue 22's card deposit in the browser: a visitor books a consultation that asks a
deposit, is held and sent to a stand-in Stripe Checkout page (served by the test's
local server, tests/stripe_standin.py), pays, and comes back confirmed; the front
desk sees it paid, then cancels it late at the client's request and sees the
deposit forfeited on the appointment and in the ledger. Each step: a screenshot,
axe-core, no sideways scroll (tests/e2e/conftest.py: Journey)."""

import re

import pytest
from playwright.sync_api import expect

from appointments.models import Appointment
from payments.models import LedgerEntry
from tests import stripe_standin
from tests.e2e.test_journeys import Clinic, log_in
from tests.stripe_standin import StripeStandin

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.axe]


@pytest.fixture
def clinic(make_staff, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clinic = Clinic(make_staff)
    clinic.consultation.price_minor = 15000
    clinic.consultation.deposit_minor = 5000
    clinic.consultation.save()
    return clinic


@pytest.fixture
def stripe(settings, httpserver, live_server):
    settings.SITE_URL = live_server.url
    settings.STRIPE_SECRET_KEY = stripe_standin.SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = stripe_standin.WEBHOOK_SECRET
    settings.STRIPE_API_BASE = httpserver.url_for("/")
    return StripeStandin(
        httpserver, webhook_url=f"{live_server.url}/payments/stripe/webhook/"
    )


def test_a_visitor_pays_a_deposit_online_and_the_desk_cancels_late(
    live_server, journey, clinic, stripe
):
    page = journey.page
    page.goto(f"{live_server.url}/book/")
    page.get_by_role("link", name=re.compile("Soho")).click()
    page.get_by_role("link", name=re.compile("Consultation")).click()
    journey.step("times")
    page.locator(".time-grid a").first.click()
    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Last name").fill("Haddad")
    page.get_by_label("Email", exact=True).fill("noor@example.com")
    page.get_by_label("Phone").fill("07700 900555")
    expect(page.locator("#deposit-note")).to_contain_text(
        "held for 15 minutes until the deposit is paid"
    )
    journey.step("details-with-deposit")
    page.get_by_role("button", name="Book and pay the deposit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your time is held: pay the deposit"
    )
    expect(page.get_by_role("status")).to_contain_text("held for 15 minutes, until")
    journey.step("held")
    booked = Appointment.objects.get(client__email="noor@example.com")
    assert booked.status == "awaiting_deposit"
    page.get_by_role("button", name=re.compile("Pay the deposit of £50.00")).click()

    expect(page.get_by_role("heading", name="Stand-in Stripe Checkout")).to_be_visible()
    journey.step("stripe-checkout")
    page.get_by_role("button", name="Pay").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your deposit is paid"
    )
    expect(page.get_by_role("status")).to_contain_text("is confirmed for")
    journey.step("paid-and-confirmed")
    booked.refresh_from_db()
    assert booked.status == "confirmed"

    # The front desk sees it paid, by card online, with Stripe's reference.
    log_in(page, live_server, "dana")
    page.goto(f"{live_server.url}/appointments/{booked.pk}/")
    expect(page.get_by_text("£50.00 paid")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Card online"))).to_be_visible()
    journey.step("desk-sees-it-paid")

    # The client calls to cancel, inside the 48 hours: the deposit is forfeited.
    page.get_by_label("The client asked").check()
    page.get_by_label("Reason for cancelling").fill("Noor cannot come after all")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_text("forfeited", exact=False).first).to_be_visible()
    forfeit = page.get_by_role("cell", name=re.compile("Forfeited deposit"))
    expect(forfeit).to_be_visible()
    journey.step("cancelled-late-forfeited")
    kinds = sorted(
        LedgerEntry.objects.filter(appointment=booked).values_list("kind", flat=True)
    )
    assert kinds == ["deposit", "forfeit"]
