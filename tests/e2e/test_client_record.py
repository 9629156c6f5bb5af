"""A new client's record in a real browser: the front desk adds them (and is warned
of a duplicate), the practitioner does the intake from pictures, records a
contraindication, decides suitability and has the consent signed on screen."""

import re

import pytest
from playwright.sync_api import expect

from clients import services
from clients.models import Client, Consent, Intake, SuitabilityDecision
from core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser test passphrase 2026"


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("dashboard")


def printed_page(page) -> dict:
    """What the page looks like printed: its colours, the letterhead, and which of
    the parts that should not print are hidden."""
    page.emulate_media(media="print")
    return page.evaluate(
        """() => {
          const hidden = (selector) => {
            const element = document.querySelector(selector);
            return !element || element.offsetParent === null;
          };
          const body = getComputedStyle(document.body);
          return {
            background: body.backgroundColor,
            color: body.color,
            brand: document.querySelector(".clinic-brand").innerText.trim(),
            hidden: {
              menu: hidden("#main-nav"),
              withdraw: hidden("form[action*=withdraw] button"),
              "back link": hidden(".consent-copy .no-print a"),
              signature: hidden(".consent-copy img"),
            },
          };
        }"""
    )


def test_a_new_client_from_front_desk_to_signed_consent(
    live_server, page, screenshot, make_staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD)
    make_staff(Role.PRACTITIONER, username="sam", password=PASSWORD, first_name="Sam")
    Client.objects.create(first_name="Lee", last_name="Park", email="lee@x.test")
    services.consent_text_publish(
        kind="treatment", title="Consent to SMP", body="I agree to SMP."
    )

    log_in(page, live_server, "dana")
    page.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="New client").click()
    page.get_by_label("First name").fill("Leo")
    page.get_by_label("Last name").fill("Park")
    page.get_by_label("Email", exact=True).fill("LEE@x.test")
    page.get_by_label("Phone").fill("07700 900777")
    page.get_by_role("button", name="Save client").click()
    expect(page.get_by_text("this looks like a client already on file")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Leo")
    screenshot("1-duplicate-warning")
    page.get_by_label("This is a different person").check()
    page.get_by_role("button", name="Save client").click()
    expect(page.get_by_role("heading", name="Leo Park")).to_be_visible()
    expect(page.get_by_text("07700 900777")).to_be_visible()
    expect(page.get_by_text("Not decided")).to_be_visible()
    screenshot("2-client-front-desk")
    leo = Client.objects.get(first_name="Leo")

    page.context.clear_cookies()
    log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/clients/{leo.pk}/")
    page.get_by_role("link", name="Start the intake").click()
    page.wait_for_load_state()  # htmx (deferred) saves the sections in place
    section = page.locator("#section-classification")
    section.get_by_text("Norwood-Hamilton V", exact=True).click()
    section.get_by_role("button", name="Save classification").click()
    expect(section.get_by_text("Saved ✓")).to_be_visible()
    health = page.locator("#section-health")
    health.get_by_label("Medications").fill("Warfarin")
    health.get_by_label("No", exact=True).check()
    health.get_by_role("button", name="Save health").click()
    expect(health.get_by_text("Saved ✓")).to_be_visible()
    screenshot("3-intake")
    assert Intake.objects.get(client=leo).stage == "V"

    page.get_by_role("link", name="Done: back to Leo Park").click()
    page.get_by_text("Record a contraindication").click()
    page.get_by_label("Kind").select_option(label="Blood thinners")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_text("Needs a doctor's clearance").first).to_be_visible()
    page.get_by_role("link", name="Record the decision").click()
    expect(
        page.get_by_text("Blood thinners: bleeding pushes pigment out")
    ).to_be_visible()
    page.get_by_label("Needs a doctor's clearance").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Recorded the suitability decision.")).to_be_visible()
    assert SuitabilityDecision.objects.get().decision == "clearance"

    page.get_by_role("link", name="ask for a signature").click()
    # The pad's script runs after the page is shown; draw only once it listens.
    page.locator("[data-signature][data-ready]").wait_for()
    pad = page.locator("canvas.signature-pad")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 60 + (step % 3) * 20)
    page.mouse.up()
    expect(page.locator("input[name=signature]")).to_have_value(
        re.compile(r"^data:image/png;base64,")
    )
    screenshot("4-signing")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text("Leo Park signed “Consent to SMP”.")).to_be_visible()
    consent = Consent.objects.get()
    assert consent.method == Consent.Method.DRAWN
    assert consent.signature.read().startswith(b"\x89PNG")
    page.get_by_role("link", name="signed").first.click()
    expect(page.get_by_role("img", name="Signature of Leo Park")).to_be_visible()
    screenshot("5-signed-copy")

    # Printed, the signed copy is the consent alone under the clinic's name, black
    # on white: no menu, links back or the withdraw button.
    printed = printed_page(page)
    assert printed["background"] == "rgb(255, 255, 255)"
    assert printed["color"] == "rgb(0, 0, 0)"
    assert printed["brand"] == "SMP Clinic"
    assert printed["hidden"] == {
        "menu": True,
        "withdraw": True,
        "back link": True,
        "signature": False,
    }
    screenshot("6-signed-copy-printed")
    page.emulate_media(media="screen")
