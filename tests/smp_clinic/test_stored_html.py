"""No stored HTML: whatever a visitor or a client typed (a name from the public
booking page, a note, an email address) reaches every staff page and every email as
text, never as markup that the browser or htmx would act on (issue 17, item 1).

The hostile value holds `<` and `"` (markup), `hx-` attributes (an htmx request
made with the staff member's CSRF token) and `{{ }}` (a template that would be
rendered twice)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils.html import escape
from django.utils.safestring import SafeData

from appointments import services
from clients.models import Client
from messaging import outbox
from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import messages_send_due
from tests.online_booking import first_time_url

HOSTILE = """<b hx-get="/x" hx-trigger=load>"{{x}}'</b>"""
# The attack of the issue: a first name that cancels the appointment on sight.
CANCEL_ON_SIGHT = (
    '<b hx-post="/appointments/1/cancel/" hx-vals=\'{"reason":"x"}\' '
    "hx-trigger=load>Al</b>"
)
# A weekday morning in London, inside the practitioners' hours, after NOW.
AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture(autouse=True)
def _locmem_mail_and_fresh_cache(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


def markup_from(page: str, value: str = HOSTILE) -> list[str]:
    """Where the hostile value's markup reached the page as markup."""
    found = []
    for needle in ("<b hx-", 'hx-get="/x"', 'hx-post="/appointments/1/cancel/"'):
        if needle in page:
            found.append(needle)
    if value in page:
        found.append(value)
    return found


@pytest.fixture
def hostile_client(db):
    return Client.objects.create(
        first_name=HOSTILE,
        last_name=HOSTILE[:100],
        email="x@example.com",
        phone="+447700900123",
        reminder_consent=True,
        notes=HOSTILE,
        date_of_birth=date(1980, 1, 1),
    )


@pytest.fixture
def hostile_world(hostile_client, london, sam, consultation, front_desk):
    appointment = services.appointment_book(
        client=hostile_client,
        service=consultation,
        practitioner=sam,
        starts_at=AT,
        booked_by=front_desk,
        notes=HOSTILE,
    )
    services.waitlist_entry_add(
        client=hostile_client,
        service=consultation,
        practitioner=sam,
        location=london,
        earliest_on=date(2026, 3, 3),
        latest_on=date(2026, 3, 20),
        notes=HOSTILE,
        by=front_desk,
    )
    messages_send_due()
    return appointment


def test_text_email_bodies_are_plain_text_never_marked_safe(hostile_world):
    message = OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION)
    email = outbox.build_email(message)
    assert HOSTILE in email.body  # plain text shows the name as typed
    assert not isinstance(email.body, SafeData)
    assert not isinstance(email.subject, SafeData)
    from core.mail import render_plain_text

    rendered = render_plain_text(
        "emails/appointment_confirmation.txt", outbox.email_context(message)
    )
    assert type(rendered) is str


def test_the_html_part_of_every_email_escapes_the_name(hostile_world):
    sent = [m for m in mail.outbox if m.alternatives]
    assert sent
    for email in sent:
        html = email.alternatives[0][0]
        assert markup_from(html) == [], email.subject
        assert escape(HOSTILE) in html


@pytest.mark.parametrize("by_client", [False, True])
def test_the_moved_and_cancelled_emails_escape_the_name_and_the_reason(
    hostile_world, front_desk, by_client
):
    """Issue 21: the new emails about a change, with a hostile name and a hostile
    cancellation reason (which the clinic's cancellation quotes)."""
    mail.outbox.clear()
    services.appointment_reschedule(
        appointment=hostile_world, starts_at=AT + timedelta(days=1), by=front_desk
    )
    messages_send_due()
    services.appointment_cancel(
        appointment=hostile_world, reason=HOSTILE, by=front_desk, by_client=by_client
    )
    messages_send_due()
    kinds = [
        OutboundMessage.objects.get(pk=email.extra_headers["X-SMP-Message"]).kind
        for email in mail.outbox
    ]
    cancelled = MessageKind.CANCELLED_BY_CLIENT if by_client else MessageKind.CANCELLED
    assert kinds == [MessageKind.MOVED, cancelled]
    for email in mail.outbox:
        html = email.alternatives[0][0]
        assert markup_from(html) == [], email.subject
        assert escape(HOSTILE) in html
        assert HOSTILE in email.body  # plain text, as typed
        assert not isinstance(email.body, SafeData)
    html = mail.outbox[1].alternatives[0][0]
    if by_client:
        assert "Reason:" not in html
    else:
        assert f"<p>Reason: {escape(HOSTILE)}</p>" in html
        assert f"Reason: {HOSTILE}" in mail.outbox[1].body


def test_the_message_page_shows_the_text_escaped_and_the_html_only_in_a_sandbox(
    client, hostile_world, front_desk
):
    message = OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION)
    client.force_login(front_desk)
    page = client.get(f"/clients/messages/{message.pk}/").text
    assert markup_from(page) == []
    assert f"Hello {escape(HOSTILE)}," in page
    frames = re.findall(r"<iframe\b[^>]*>", page)
    assert len(frames) == 1
    assert 'sandbox=""' in frames[0]
    assert f'src="/clients/messages/{message.pk}/email.html"' in frames[0]
    # The whole email sits in a region htmx does not process.
    assert re.search(r"<div hx-disable>.*email-text.*<iframe", page, re.DOTALL)


def test_the_html_version_has_a_policy_that_runs_nothing(
    client, hostile_world, front_desk
):
    message = OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION)
    client.force_login(front_desk)
    response = client.get(f"/clients/messages/{message.pk}/email.html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "script-src" not in policy  # falls back to default-src 'none'
    assert "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert markup_from(response.text) == []
    assert escape(HOSTILE) in response.text


def test_the_html_version_is_scoped_like_the_message(client, hostile_world, outsider):
    message = OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION)
    client.force_login(outsider)
    assert client.get(f"/clients/messages/{message.pk}/email.html").status_code == 403
    client.logout()
    response = client.get(f"/clients/messages/{message.pk}/email.html")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_issues_cancel_on_sight_name_reaches_the_message_page_as_text(
    client, london, sam, consultation, front_desk
):
    response = client.post(
        first_time_url(client, london, consultation),
        {
            "first_name": CANCEL_ON_SIGHT,
            "last_name": "Smith",
            "email": "al@example.com",
            "phone": "07700 900456",
            "reminder_consent": "on",
        },
    )
    assert response.status_code == 302
    message = OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION)
    client.force_login(front_desk)
    page = client.get(f"/clients/messages/{message.pk}/").text
    assert markup_from(page, CANCEL_ON_SIGHT) == []
    assert escape(CANCEL_ON_SIGHT) in page


def test_htmx_runs_no_eval_no_scripts_and_only_same_origin_requests(client, front_desk):
    client.force_login(front_desk)
    page = client.get("/clients/").text
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', page)[1]
    assert '"allowEval": false' in config
    assert '"allowScriptTags": false' in config
    assert '"selfRequestsOnly": true' in config
    assert '"includeIndicatorStyles": false' in config
    assert '"historyCacheSize": 0' in config


def test_main_is_hx_disabled_unless_a_page_needs_htmx_there(
    client, hostile_world, front_desk, hostile_client
):
    client.force_login(front_desk)
    detail = client.get(f"/clients/{hostile_client.pk}/").text
    assert re.search(r"<main\b[^>]*\shx-disable>", detail)
    search = client.get("/clients/").text
    assert not re.search(r"<main\b[^>]*\shx-disable>", search)
    # There the rows (names, emails) are a region htmx leaves alone.
    assert '<div id="client-rows" aria-live="polite" hx-disable>' in search


def hostile_pages(world, client_pk) -> dict[str, list[str]]:
    """Staff pages that show a client's name, notes or email: role -> URLs."""
    day = "date=2026-03-02"
    return {
        "front_desk": [
            "/",
            f"/calendar/?{day}",
            f"/calendar/week/?{day}&practitioner={world.practitioner_id}",
            "/appointments/today/",
            f"/appointments/{world.pk}/",
            f"/clients/{client_pk}/",
            "/clients/?q=hx",
            "/clients/options/?q=hx",
            "/waitlist/",
            "/clients/messages/",
            "/clients/messages/?status=sent",
        ],
        "practitioner": ["/", f"/clients/{client_pk}/intake/"],
        "manager": [
            "/",
            "/audit/",
            f"/audit/?client={client_pk}",
            "/reports/?first_day=2026-03-01&last_day=2026-03-31",
        ],
    }


def test_no_page_that_shows_a_client_serves_their_text_as_markup(
    client, hostile_world, hostile_client, front_desk, manager, sam, capsys
):
    users = {"front_desk": front_desk, "practitioner": sam.user, "manager": manager}
    messages = OutboundMessage.objects.filter(client=hostile_client)
    pages = hostile_pages(hostile_world, hostile_client.pk)
    pages["front_desk"] += [f"/clients/messages/{m.pk}/" for m in messages]
    pages["manager"] += [f"/clients/messages/{m.pk}/email.html" for m in messages]
    checked, showing, wrong = 0, 0, []
    for role, urls in pages.items():
        client.force_login(users[role])
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (role, url, response.status_code)
            page = response.content.decode()
            checked += 1
            showing += escape(HOSTILE) in page or escape(HOSTILE[:40]) in page
            wrong += [(role, url, found) for found in markup_from(page)]
    with capsys.disabled():
        print(
            f"\nstored HTML: {checked} pages with a hostile client name, notes and "
            f"email; showing it as text {showing}; served as markup {len(wrong)}"
        )
    assert wrong == []
    # Most pages do show the name: the check would see markup if there were any.
    assert showing >= checked - 3


@pytest.mark.parametrize(
    "first_name", ["Al\x00<b hx-get='/x'>", "<b hx-get='/x'>" + "A" * 5000]
)
def test_a_name_with_nul_or_too_long_is_refused_and_stored_nowhere(
    client, london, sam, consultation, first_name
):
    response = client.post(
        first_time_url(client, london, consultation),
        {
            "first_name": first_name,
            "last_name": "Smith",
            "email": "al@example.com",
            "reminder_consent": "on",
        },
    )
    assert response.status_code == 422
    assert markup_from(response.text, first_name) == []
    assert not Client.objects.exists()
