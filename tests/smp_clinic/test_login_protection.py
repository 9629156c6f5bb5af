"""Login protection: a username locks after 5 failures from one address for 15
minutes, without letting a stranger elsewhere lock a real user out; sessions end
after 30 minutes idle and 12 hours in all."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.ratelimit import client_address
from core.roles import Role

PASSWORD = "correct horse battery staple 42"
HOME = "203.0.113.10"
STRANGER = "198.51.100.7"


@pytest.fixture
def dana(make_staff):
    return make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD)


def log_in(client, password, address=HOME, username="dana"):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


class TestLockout:
    def test_five_failures_lock_the_username_from_that_address(
        self, client, dana, time_machine
    ):
        time_machine.move_to(timezone.now(), tick=False)
        for _ in range(4):
            assert log_in(client, "wrong").status_code == 200
        # The fifth failure locks: its answer is already the lockout page.
        assert log_in(client, "wrong").status_code == 429
        response = log_in(client, PASSWORD)
        assert response.status_code == 429
        assert "Too many failed attempts" in response.text
        assert "Try again in 15 minutes" in response.text
        assert not signed_in(client)

        # Each attempt while locked starts the 15 minutes again.
        time_machine.shift(timedelta(minutes=14))
        assert log_in(client, PASSWORD).status_code == 429
        time_machine.shift(timedelta(minutes=14))
        assert log_in(client, PASSWORD).status_code == 429
        time_machine.shift(timedelta(minutes=16))
        assert log_in(client, PASSWORD).status_code == 302
        assert signed_in(client)

    def test_a_stranger_elsewhere_cannot_lock_out_the_real_user(self, client, dana):
        for _ in range(6):
            log_in(client, "guess", address=STRANGER)
        assert log_in(client, PASSWORD, address=STRANGER).status_code == 429
        assert log_in(client, PASSWORD, address=HOME).status_code == 302
        assert signed_in(client)

    def test_a_success_clears_the_count(self, client, dana):
        for _ in range(4):
            log_in(client, "wrong")
        assert log_in(client, PASSWORD).status_code == 302
        client.post("/accounts/logout/")
        for _ in range(4):
            log_in(client, "wrong")
        assert log_in(client, PASSWORD).status_code == 302

    def test_the_password_is_not_logged(self, client, dana, caplog):
        caplog.set_level("DEBUG")
        for _ in range(6):
            log_in(client, "hunter2-secret")
        assert "hunter2-secret" not in caplog.text


class TestClientAddress:
    def test_forwarded_for_is_ignored_without_trusted_proxies(self, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        request = RequestFactory().get(
            "/", REMOTE_ADDR=HOME, HTTP_X_FORWARDED_FOR=STRANGER
        )
        assert client_address(request) == HOME

    def test_behind_one_proxy_the_address_it_saw_counts_not_a_spoofed_one(
        self, settings
    ):
        settings.TRUSTED_PROXY_COUNT = 1
        request = RequestFactory().get(
            "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {STRANGER}"
        )
        assert client_address(request) == STRANGER


class TestSessionLifetime:
    def test_a_session_ends_after_thirty_idle_minutes(self, client, dana, time_machine):
        time_machine.move_to(timezone.now(), tick=False)
        client.force_login(dana)
        assert client.get("/").status_code == 200
        time_machine.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200
        time_machine.shift(timedelta(minutes=31))
        response = client.get("/calendar/")
        assert response["Location"].startswith("/accounts/login/")
        assert not signed_in(client)
        page = client.get(response["Location"]).text
        assert "signed out after 30 minutes without use" in page

    def test_a_session_used_every_20_seconds_outlives_a_one_minute_limit(
        self, client, dana, settings, time_machine
    ):
        settings.SESSION_IDLE_MINUTES = 1
        time_machine.move_to(timezone.now(), tick=False)
        client.force_login(dana)
        time_machine.shift(timedelta(seconds=1))
        # Five minutes of use every 20 seconds: never a minute without a request.
        for _ in range(15):
            assert client.get("/").status_code == 200, "signed out while in use"
            time_machine.shift(timedelta(seconds=20))
        assert signed_in(client)

    def test_one_minute_and_one_second_idle_ends_a_one_minute_session(
        self, client, dana, settings, time_machine
    ):
        settings.SESSION_IDLE_MINUTES = 1
        time_machine.move_to(timezone.now(), tick=False)
        client.force_login(dana)
        for _ in range(4):  # in use for a while first
            assert client.get("/").status_code == 200
            time_machine.shift(timedelta(seconds=20))
        assert client.get("/").status_code == 200
        time_machine.shift(timedelta(seconds=61))
        response = client.get("/")
        assert response["Location"].startswith("/accounts/login/")
        assert response["Clear-Site-Data"] == '"cache"'
        assert not signed_in(client)

    def test_thirty_idle_minutes_count_from_the_last_request_to_within_30_seconds(
        self, client, dana, time_machine
    ):
        time_machine.move_to(timezone.now(), tick=False)
        client.force_login(dana)
        for _ in range(11):  # a request every 59 seconds
            time_machine.shift(timedelta(seconds=59))
            assert client.get("/").status_code == 200
        time_machine.shift(timedelta(minutes=29, seconds=30))
        assert client.get("/").status_code == 200
        assert signed_in(client)

    def test_an_ordinary_request_writes_nothing(self, client, dana):
        client.force_login(dana)
        with CaptureQueriesContext(connection) as queries:
            client.get("/accounts/password_change/")
        statements = [query["sql"].split()[0] for query in queries.captured_queries]
        assert statements and set(statements) == {"SELECT"}

    def test_a_busy_session_still_ends_after_twelve_hours(
        self, client, dana, time_machine
    ):
        time_machine.move_to(timezone.now(), tick=False)
        client.force_login(dana)
        # A request every 29 minutes never lets the session go idle ...
        for _ in range(25):
            assert client.get("/").status_code == 200
            time_machine.shift(timedelta(minutes=29))
        # ... but 12 hours 5 minutes after signing in it ends.
        response = client.get("/calendar/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert not signed_in(client)
        page = client.get(response["Location"]).text
        assert "signed out after 12 hours" in page
