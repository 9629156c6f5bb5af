"""Staff log in, log out, change and reset their passwords."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.core import mail

from smp_clinic.roles import Role

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


def test_a_password_reset_email_links_to_the_site_url_not_the_host_header(
    client, desk_user, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(
        "/accounts/password_reset/",
        {"email": desk_user.email},
        HTTP_HOST="evil.example.net",
    )

    assert response.status_code in {302, 400}
    # ALLOWED_HOSTS refuses the forged host outright; with an allowed one the link
    # still comes from SITE_URL.
    response = client.post("/accounts/password_reset/", {"email": desk_user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "evil.example.net" not in body
    assert f"{settings.SITE_URL}/accounts/reset/" in body


def test_the_reset_link_sets_a_new_password_once(client, desk_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post("/accounts/password_reset/", {"email": desk_user.email})
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


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    response = client.post("/accounts/password_reset/", {"email": "nobody@x.test"})

    assert response.status_code == 302
    assert mail.outbox == []
