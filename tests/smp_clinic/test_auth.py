"""Staff log in, log out, change and reset their passwords."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.core.cache import cache

from core.roles import Role
from smp_clinic import tasks

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def desk_user(make_staff):
    return make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD)


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_a_staff_member_logs_in_and_lands_on_the_dashboard(client, desk_user):
    response = client.post(
        "/accounts/login/", {"username": "dana", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [("/", 302)]
    assert "Front desk dashboard" in response.text


def test_a_wrong_password_is_refused_and_the_username_kept(client, desk_user):
    response = client.post("/accounts/login/", {"username": "dana", "password": "no"})

    assert response.status_code == 200
    assert "enter a correct username and password" in response.text
    assert 'value="dana"' in response.text
    assert "_auth_user_id" not in client.session


def test_passwords_are_hashed_with_argon2(desk_user):
    assert identify_hasher(desk_user.password).algorithm == "argon2"


def test_logout_needs_a_post(client, desk_user):
    client.force_login(desk_user)

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_staff_member_changes_their_password(client, desk_user):
    client.force_login(desk_user)
    new_password = "a whole new passphrase 2026"

    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )

    assert response.status_code == 302
    desk_user.refresh_from_db()
    assert desk_user.check_password(new_password)


def test_a_short_common_password_is_refused(client, desk_user):
    client.force_login(desk_user)

    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "password",
            "new_password2": "password",
        },
    )

    assert response.status_code == 200
    assert "at least 12 characters" in response.text
    assert "too common" in response.text
    desk_user.refresh_from_db()
    assert desk_user.check_password(PASSWORD)


@pytest.fixture
def broker(monkeypatch):
    """What the request left for the worker: the arguments of each task sent."""
    sent = []
    monkeypatch.setattr(
        tasks.send_password_reset, "delay", lambda *args: sent.append(args)
    )
    return sent


@pytest.fixture
def reset_mail(settings, django_capture_on_commit_callbacks, broker):
    """Post to the reset page as the browser would; then run what it left for the
    worker, as the worker would. Returns the answer and how many tasks it left."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()

    def ask(client, email: str, **extra):
        before = len(mail.outbox)
        broker.clear()
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(
                "/accounts/password_reset/", {"email": email}, **extra
            )
        assert broker == [], "enqueued before the commit"
        for callback in callbacks:
            callback()
        assert len(mail.outbox) == before, "the request itself sent an email"
        for args in broker:
            tasks.send_password_reset(*args)
        return response, len(broker)

    yield ask
    cache.clear()


def test_a_password_reset_email_links_to_the_site_url_not_the_host_header(
    client, desk_user, settings, reset_mail
):
    response, _ = reset_mail(client, desk_user.email, HTTP_HOST="evil.example.net")

    assert response.status_code in {302, 400}
    # ALLOWED_HOSTS refuses the forged host outright; with an allowed one the link
    # still comes from SITE_URL.
    mail.outbox.clear()
    response, _ = reset_mail(client, desk_user.email)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "evil.example.net" not in body
    assert f"{settings.SITE_URL}/accounts/reset/" in body


def test_the_reset_link_sets_a_new_password_once(client, desk_user, reset_mail):
    reset_mail(client, desk_user.email)
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body)[1]

    form_page = client.get(link, follow=True)
    new_password = "reset to something long 77"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )

    assert done.status_code == 302
    assert get_user_model().objects.get(pk=desk_user.pk).check_password(new_password)
    assert "no longer works" in client.get(link, follow=True).text


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, db, reset_mail):
    response, _ = reset_mail(client, "nobody@x.test")

    assert response.status_code == 302
    assert mail.outbox == []


def test_the_reset_email_is_sent_by_the_worker_after_the_request(
    client, desk_user, settings, django_capture_on_commit_callbacks, broker
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post("/accounts/password_reset/", {"email": desk_user.email})
        assert broker == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert mail.outbox == []
    assert broker == [(desk_user.email,)]


def test_known_unknown_and_throttled_addresses_get_one_answer_and_the_same_work(
    client, desk_user, reset_mail, settings
):
    settings.PASSWORD_RESET_PER_ACCOUNT_HOUR = 1
    answers = set()
    for email in (desk_user.email, "nobody@x.test", desk_user.email):
        response, enqueued = reset_mail(client, email)
        answers.add((response.status_code, response["Location"], enqueued))
    assert answers == {(302, "/accounts/password_reset/done/", 1)}
    assert len(mail.outbox) == 1  # the third was over the account's limit


def test_an_account_gets_at_most_three_reset_emails_an_hour(
    client, desk_user, reset_mail, time_machine
):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    # From five addresses, so the per-address limit is not what stops them.
    for n in range(5):
        response, _ = reset_mail(client, desk_user.email, REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 302
    assert len(mail.outbox) == 3
    time_machine.shift(3601)
    reset_mail(client, desk_user.email.upper(), REMOTE_ADDR="192.0.2.9")
    assert len(mail.outbox) == 4


def test_an_address_may_ask_for_ten_resets_an_hour(client, make_staff, reset_mail):
    people = [make_staff(Role.FRONT_DESK, password=PASSWORD) for _ in range(12)]
    enqueued = 0
    for person in people:
        response, count = reset_mail(client, person.email, REMOTE_ADDR="192.0.2.1")
        assert (response.status_code, response["Location"]) == (
            302,
            "/accounts/password_reset/done/",
        )
        enqueued += count
    assert enqueued == 10
    assert len(mail.outbox) == 10
    # Another address is not held up by it.
    reset_mail(client, people[-1].email, REMOTE_ADDR="192.0.2.2")
    assert len(mail.outbox) == 11


def test_a_broker_that_is_down_does_not_turn_the_reset_page_into_an_error(
    client, desk_user, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    cache.clear()
    monkeypatch.setattr(tasks.send_password_reset, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": desk_user.email})
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/password_reset/done/",
    )
    assert "Connection refused" in caplog.text


@pytest.mark.parametrize(
    "email",
    [
        "a\x00@x.test",
        "x" * 5000 + "@x.test",
        '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>@x.test',
    ],
)
def test_a_hostile_reset_address_is_refused_by_the_form(client, db, reset_mail, email):
    response, enqueued = reset_mail(client, email)
    assert response.status_code == 200
    assert enqueued == 0
    assert '<b hx-get="/x"' not in response.text
