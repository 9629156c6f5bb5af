"""Clients sign in to the portal by a link emailed to them: the link works once, for
15 minutes; asking is rate limited per email and per network address; the page
answers alike whether or not the address is a client's."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core.logs import redact
from core.roles import Role
from portal import access, services
from tests.portal.conftest import link_in, sign_in_as


def sign_in_with(browser, path: str):
    return browser.post(path)


def test_a_known_and_an_unknown_address_get_the_same_answer_and_the_same_work(
    client, jo, ask_link
):
    known, known_tasks = ask_link(client, "jo@x.test")
    sent_to_known = len(mail.outbox)
    unknown, unknown_tasks = ask_link(client, "nobody@x.test")

    assert (known.status_code, known["Location"]) == (302, "/my/sign-in/sent/")
    assert (unknown.status_code, unknown["Location"]) == (302, "/my/sign-in/sent/")
    # The request hands the address to the worker either way, and sends nothing
    # itself (ask_link checks); only the worker finds out whether a client has it.
    assert known_tasks == unknown_tasks == 1
    assert sent_to_known == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jo@x.test"]
    page = client.get("/my/sign-in/sent/").text
    assert "If we know this address, a link is on its way" in page


def test_the_emailed_link_signs_the_client_in_after_a_press(client, jo, ask_link):
    ask_link(client, "Jo@X.test ")
    path = link_in(mail.outbox[0])

    shown = client.get(path)
    assert shown.status_code == 200
    assert "Sign in" in shown.text
    # A mail scanner that follows the link uses nothing up: it still works.
    assert services.portal_link_check(token=path.split("/")[3])
    assert access.CLIENT_KEY not in client.session

    response = sign_in_with(client, path)

    assert response.status_code == 302
    assert response["Location"] == "/my/"
    assert client.session[access.CLIENT_KEY] == jo.pk
    assert "Hello Jo" in client.get("/my/").text


def test_a_link_works_once(client, jo, ask_link):
    ask_link(client, "jo@x.test")
    path = link_in(mail.outbox[0])
    assert sign_in_with(client, path).status_code == 302
    client.post("/my/sign-out/")

    again = sign_in_with(client, path)

    assert again.status_code == 410
    assert "no longer works" in again.text
    assert access.CLIENT_KEY not in client.session
    assert client.get(path).status_code == 410


def test_signing_in_voids_the_links_sent_before(client, jo, ask_link):
    ask_link(client, "jo@x.test")
    ask_link(client, "jo@x.test")
    first, second = (link_in(message) for message in mail.outbox)

    assert sign_in_with(client, second).status_code == 302
    client.post("/my/sign-out/")
    assert sign_in_with(client, first).status_code == 410


def test_a_link_expires_after_15_minutes(client, jo, ask_link):
    sent_at = timezone.now()
    with time_machine.travel(sent_at, tick=False):
        ask_link(client, "jo@x.test")
        path = link_in(mail.outbox[0])
    with time_machine.travel(sent_at + timedelta(minutes=15, seconds=1), tick=False):
        assert client.get(path).status_code == 410
        assert sign_in_with(client, path).status_code == 410
    with time_machine.travel(sent_at + timedelta(minutes=14, seconds=50), tick=False):
        assert sign_in_with(client, path).status_code == 302


def test_a_changed_email_address_voids_the_link(client, jo, ask_link):
    ask_link(client, "jo@x.test")
    path = link_in(mail.outbox[0])
    jo.email = "jo.new@x.test"
    jo.save()

    assert sign_in_with(client, path).status_code == 410


def test_a_forged_or_truncated_link_is_refused(client, jo, ask_link):
    ask_link(client, "jo@x.test")
    path = link_in(mail.outbox[0])
    token = path.split("/")[3]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert sign_in_with(client, f"/my/link/{forged}/").status_code == 410
    assert sign_in_with(client, f"/my/link/{token[:10]}/").status_code == 410
    assert sign_in_with(client, "/my/link/<script>/").status_code in (404, 410)
    assert access.CLIENT_KEY not in client.session


def test_an_erased_client_gets_no_link_and_cannot_use_one(client, jo, ask_link):
    ask_link(client, "jo@x.test")
    path = link_in(mail.outbox[0])
    jo.erased_at = timezone.now()
    jo.retain_until = timezone.localdate()
    jo.save()

    assert sign_in_with(client, path).status_code == 410
    _, tasks_left = ask_link(client, "jo@x.test")
    assert tasks_left == 1
    assert len(mail.outbox) == 1


def test_two_clients_sharing_an_address_each_get_their_own_link(
    client, jo, kim, ask_link
):
    kim.email = jo.email
    kim.save()
    ask_link(client, "jo@x.test")
    body = mail.outbox[0].body

    assert "Jo Bloggs:" in body and "Kim Other:" in body
    links = [line for line in body.splitlines() if "/my/link/" in line]
    assert len(links) == 2
    kim_path = "/" + links[1].split("/", 3)[3]
    sign_in_with(client, kim_path)
    assert client.session[access.CLIENT_KEY] == kim.pk


def test_one_email_address_gets_three_links_an_hour(client, jo, ask_link, settings):
    settings.PORTAL_SIGN_IN_PER_EMAIL_HOUR = 3
    answers = []
    for n in range(5):
        # From different networks: the limit is the email address's.
        answers.append(ask_link(client, "jo@x.test", REMOTE_ADDR=f"10.0.0.{n}"))

    assert [tasks for _, tasks in answers] == [1, 1, 1, 0, 0]
    assert {response["Location"] for response, _ in answers} == {"/my/sign-in/sent/"}
    assert len(mail.outbox) == 3
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        _, tasks = ask_link(client, "jo@x.test")
    assert tasks == 1


def test_one_network_address_asks_for_ten_links_an_hour(client, db, ask_link, settings):
    settings.PORTAL_SIGN_IN_PER_ADDRESS_HOUR = 10
    left = [
        ask_link(client, f"person{n}@x.test", REMOTE_ADDR="10.9.9.9")[1]
        for n in range(12)
    ]

    assert left == [1] * 10 + [0, 0]
    assert ask_link(client, "person1@x.test", REMOTE_ADDR="10.9.9.8")[1] == 1


def test_a_bad_email_is_refused_with_a_message(client, db, ask_link):
    response, tasks = ask_link(client, "not an address")

    assert response.status_code == 422
    assert "Enter a valid email address" in response.text
    assert tasks == 0


def test_the_link_can_bring_the_client_to_a_portal_page_only(client, jo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.portal_link_send(address="jo@x.test", next_path="/my/?from=email")
    path = link_in(mail.outbox[0])
    assert "next=" in path
    assert sign_in_with(client, path)["Location"] == "/my/?from=email"

    for elsewhere in ("https://evil.test/my/", "//evil.test/my/", "/clients/", ""):
        assert services.safe_next(elsewhere) == ""


def test_hostile_names_are_escaped_in_the_email_and_the_page(client, jo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    jo.first_name = "<script>alert(1)</script>"
    jo.save()
    kim_like = jo.__class__.objects.create(
        first_name='"Kim" 🙂', last_name="<b>x</b>", email="jo@x.test"
    )
    services.portal_link_send(address="jo@x.test")
    html = mail.outbox[0].alternatives[0][0]
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<script>" not in html
    sign_in_as(client, jo)
    page = client.get("/my/").text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert kim_like.pk


def test_the_link_is_redacted_from_logs():
    line = '"POST /my/link/AbCdEf0123456789xyzABCDE/?next=/my/ HTTP/1.1" 410'
    assert "AbCdEf" not in redact(line)
    assert "/my/link/[redacted]" in redact(line)


def test_the_token_is_not_logged_by_a_refused_link(client, jo, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post("/my/link/AbCdEf0123456789xyzABCDE/")
    assert "AbCdEf0123456789" not in caplog.text


# Client and staff sessions never mix.


def test_a_client_session_is_a_stranger_to_every_staff_page(client, jo):
    sign_in_as(client, jo)

    for path in ("/", "/clients/", f"/clients/{jo.pk}/", "/calendar/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
    assert client.get("/my/").status_code == 200


def test_a_staff_session_cannot_open_the_portal_or_use_a_link(
    client, jo, make_staff, ask_link
):
    ask_link(client, "jo@x.test")
    path = link_in(mail.outbox[0])
    client.force_login(make_staff(Role.MANAGER))

    assert client.get("/my/").status_code == 403
    assert client.get("/my/sign-in/").status_code == 403
    refused = sign_in_with(client, path)
    assert refused.status_code == 403
    assert access.CLIENT_KEY not in client.session
    # The link was not used up by the refusal.
    client.logout()
    assert sign_in_with(client, path).status_code == 302


def test_a_staff_login_in_a_client_browser_drops_the_client(client, jo, make_staff):
    password = "correct horse battery staple 42"
    make_staff(Role.FRONT_DESK, username="dana", password=password)
    sign_in_as(client, jo)

    client.post("/accounts/login/", {"username": "dana", "password": password})

    assert client.session.get("_auth_user_id")
    assert access.CLIENT_KEY not in client.session
    assert client.get("/my/").status_code == 403


def test_a_client_session_forged_beside_a_staff_one_opens_nothing(
    client, jo, make_staff
):
    client.force_login(make_staff(Role.FRONT_DESK))
    session = client.session
    session[access.CLIENT_KEY] = jo.pk
    session[access.EMAIL_KEY] = jo.email
    session.save()

    assert client.get("/my/").status_code == 403


def test_a_client_session_ends_after_30_idle_minutes(client, jo):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in_as(client, jo)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/my/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=60), tick=False):
        response = client.get("/my/", follow=True)
    assert response.redirect_chain[0][0].startswith("/my/sign-in/")
    assert "signed out after 30 minutes without use" in response.text
    assert access.CLIENT_KEY not in client.session


def test_a_client_session_ends_when_the_email_address_changes(client, jo):
    sign_in_as(client, jo)
    jo.email = "someone.else@x.test"
    jo.save()

    assert client.get("/my/")["Location"].startswith("/my/sign-in/")


def test_signing_out_ends_the_client_session(client, jo):
    sign_in_as(client, jo)

    response = client.post("/my/sign-out/")

    assert response["Location"] == "/my/sign-in/"
    assert client.get("/my/").status_code == 302
    assert client.get("/my/sign-out/").status_code == 405


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_signed_in_client_asking_for_a_link_goes_home(client, jo, method):
    sign_in_as(client, jo)
    assert getattr(client, method)("/my/sign-in/")["Location"] == "/my/"
