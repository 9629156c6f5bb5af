"""Two-factor login: required for managers, open to all staff, held at the code page."""

import io
import re
import time
from base64 import b32decode

import pytest
import time_machine
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import Role
from tests.smp_clinic.test_access_matrix import project_routes

PASSWORD = "a long enough passphrase 2026"


@pytest.fixture(autouse=True)
def _required(settings):
    settings.TWO_FACTOR_REQUIRED = True


def log_in(client, user):
    return client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}
    )


def code_for(key_text: str) -> str:
    """What an authenticator app shows for a key typed in as the page shows it."""
    key = key_text.replace(" ", "")
    return f"{TOTP(b32decode(key + '=' * (-len(key) % 8))).token():06d}"


def device_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key)
    totp.time += steps_ahead * 30
    return f"{totp.token():06d}"


def later(seconds: int = 5):
    return time_machine.travel(time.time() + seconds, tick=False)


@pytest.fixture
def morgan(make_staff):
    return make_staff(Role.MANAGER, username="morgan", password=PASSWORD)


@pytest.fixture
def dana(make_staff):
    return make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD)


@pytest.fixture
def enrolled(morgan):
    return TOTPDevice.objects.create(user=morgan, name="app", confirmed=True)


class TestAManagerWithoutAnApp:
    def test_is_held_at_set_up_until_the_app_gives_a_right_code(
        self, client, morgan, jo
    ):
        response = log_in(client, morgan)
        assert response.status_code == 302

        for url in ("/", f"/clients/{jo.pk}/", "/audit/", "/accounts/two-factor/"):
            held = client.get(url)
            assert (held.status_code, held.url) == (302, "/accounts/two-factor/setup/")
        api = client.get("/api/availability?service=1&start=2026-03-02&days=1")
        assert api.status_code == 401
        assert client.get("/accounts/two-factor/verify/").status_code == 302

        page = client.get("/accounts/two-factor/setup/")
        assert page.status_code == 200
        assert "<svg" in page.text and "Managers can see every client" in page.text
        assert "Clients" not in page.text.split("<main", 1)[0]  # no menu yet
        secret = page.context["secret"]

        wrong = client.post("/accounts/two-factor/setup/", {"code": "000000"})
        assert wrong.status_code == 422
        assert "That code does not match" in wrong.text
        assert not TOTPDevice.objects.filter(user=morgan, confirmed=True).exists()

        done = client.post("/accounts/two-factor/setup/", {"code": code_for(secret)})
        assert done.status_code == 200
        codes = done.context["codes"]
        assert len(codes) == 10 and all(code in done.text for code in codes)
        assert TOTPDevice.objects.get(user=morgan).confirmed
        assert client.get(f"/clients/{jo.pk}/").status_code == 200

    def test_a_manager_cannot_turn_it_off(self, client, morgan, enrolled):
        log_in(client, morgan)
        client.post("/accounts/two-factor/verify/", {"code": device_code(enrolled)})
        response = client.post(
            "/accounts/two-factor/", {"code": device_code(enrolled, steps_ahead=1)}
        )
        assert response.status_code == 422
        assert "Managers must keep two-factor login on." in response.text
        assert TOTPDevice.objects.filter(user=morgan).exists()


class TestSomeoneWithAnApp:
    def test_gives_the_code_after_the_password_and_goes_where_they_were_going(
        self, client, morgan, enrolled, jo
    ):
        log_in(client, morgan)
        held = client.get(f"/clients/{jo.pk}/")
        assert held.status_code == 302
        assert held.url == f"/accounts/two-factor/verify/?next=/clients/{jo.pk}/"
        # Owing a code, they cannot reach set-up and swap in an app of their own.
        assert client.get("/accounts/two-factor/setup/").status_code == 302

        wrong = client.post(
            "/accounts/two-factor/verify/", {"code": "123 456", "next": "/clients/"}
        )
        assert wrong.status_code == 422
        assert "That code is not right." in wrong.text

        with later():  # past the wait a wrong code earns
            right = client.post(
                "/accounts/two-factor/verify/",
                {"code": device_code(enrolled), "next": f"/clients/{jo.pk}/"},
            )
        assert (right.status_code, right.url) == (302, f"/clients/{jo.pk}/")
        assert client.get(f"/clients/{jo.pk}/").status_code == 200

    def test_a_code_used_once_does_not_open_a_second_session(
        self, client, morgan, enrolled
    ):
        code = device_code(enrolled)
        log_in(client, morgan)
        assert (
            client.post("/accounts/two-factor/verify/", {"code": code}).status_code
            == 302
        )
        client.post("/accounts/logout/")
        log_in(client, morgan)
        again = client.post("/accounts/two-factor/verify/", {"code": code})
        assert again.status_code == 422

    def test_a_recovery_code_lets_them_in_once(self, client, morgan, enrolled):
        from core.accounts import recovery_codes_renew

        codes = recovery_codes_renew(user=morgan)
        log_in(client, morgan)
        response = client.post("/accounts/two-factor/verify/", {"code": codes[0]})
        assert response.status_code == 302
        assert StaticToken.objects.count() == 9
        client.post("/accounts/logout/")
        log_in(client, morgan)
        again = client.post("/accounts/two-factor/verify/", {"code": codes[0]})
        assert again.status_code == 422

    def test_wrong_codes_slow_the_next_tries(self, client, morgan, enrolled):
        log_in(client, morgan)
        # The clock stands still: the right code comes within the wait.
        with time_machine.travel(time.time(), tick=False):
            for _ in range(3):
                client.post("/accounts/two-factor/verify/", {"code": "000000"})
            response = client.post(
                "/accounts/two-factor/verify/", {"code": device_code(enrolled)}
            )
        assert response.status_code == 422
        assert "Too many wrong codes" in response.text

    def test_the_admin_login_is_held_too(self, client, make_staff):
        boss = make_staff(None, username="root", password=PASSWORD)
        boss.is_superuser = boss.is_staff = True
        boss.save()
        TOTPDevice.objects.create(user=boss, name="app", confirmed=True)
        client.post(
            "/admin/login/?next=/admin/",
            {"username": "root", "password": PASSWORD, "next": "/admin/"},
        )
        held = client.get("/admin/")
        assert held.status_code == 302
        assert held.url.startswith("/accounts/two-factor/verify/")


class TestOtherStaff:
    def test_need_no_code_until_they_choose_one_and_may_turn_it_off(self, client, dana):
        log_in(client, dana)
        assert client.get("/").status_code == 200
        page = client.get("/accounts/two-factor/setup/")
        assert "Managers can see" not in page.text
        client.post(
            "/accounts/two-factor/setup/", {"code": code_for(page.context["secret"])}
        )
        device = TOTPDevice.objects.get(user=dana, confirmed=True)

        refused = client.post("/accounts/two-factor/", {"code": "000000"})
        assert refused.status_code == 422
        assert TOTPDevice.objects.filter(user=dana).exists()

        with later():
            client.post(
                "/accounts/two-factor/", {"code": device_code(device, steps_ahead=1)}
            )
        assert not TOTPDevice.objects.filter(user=dana).exists()


class TestTheDemoManager:
    def test_signs_in_with_the_key_make_run_prints(
        self, db, client, settings, tmp_path
    ):
        settings.VAR_DIR = tmp_path
        call_command("seed_demo", stdout=io.StringIO())
        out = io.StringIO()
        call_command("demo_logins", stdout=out)
        text = out.getvalue()
        password = re.search(r"Manager\s+manager\s+(\S+)", text).group(1)
        key = re.search(r"add the key ([A-Z2-7 ]+?) to an authenticator", text).group(1)

        client.post("/accounts/login/", {"username": "manager", "password": password})
        assert client.get("/").status_code == 302
        response = client.post("/accounts/two-factor/verify/", {"code": code_for(key)})
        assert response.status_code == 302
        assert client.get("/").status_code == 200


def test_every_page_of_the_project_holds_a_password_only_manager(client, morgan):
    log_in(client, morgan)
    open_routes = {"accounts/login/", "accounts/logout/", "accounts/two-factor/setup/"}
    held = 0
    for route in project_routes():
        path = "/" + re.sub(
            r"<[^>]+>", lambda m: "1" if "int:" in m.group() else "x", route
        )
        response = client.get(path)
        if route in open_routes:
            assert response.status_code in (200, 405), route
        elif route.startswith("api/"):
            assert response.status_code == 401, route
            held += 1
        else:
            assert response.status_code == 302, route
            assert response.url == "/accounts/two-factor/setup/", route
            held += 1
    assert held == len(project_routes()) - len(open_routes)
