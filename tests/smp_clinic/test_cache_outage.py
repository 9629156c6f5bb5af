"""A Redis outage is a cache miss, never a server error: with a redis-server of the
test's own killed, staff log in, book through the API and read the calendar, new
clients book online and clients use their email links; /healthz says "degraded".
Nothing is mocked: the cache talks to a real Redis, then to a dead port."""

import json
import logging
import time
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from appointments import services
from appointments.models import Appointment
from clients import services as client_services
from core.cache import CacheUnavailable
from core.roles import Role
from messaging import links
from tests.online_booking import first_time_url
from tests.processes import RedisServer

pytestmark = [
    pytest.mark.redis_server,
    pytest.mark.usefixtures("frozen_now", "rooms"),
]

PASSWORD = "correct horse battery staple 42"
SESSION_AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)
ONLINE = {
    "first_name": "Priya",
    "last_name": "Shah",
    "email": "priya@example.com",
    "phone": "07700 900456",
    "reminder_consent": "on",
}


@pytest.fixture
def redis(tmp_path, settings):
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.CACHE_RETRY_SECONDS = 0.5
    yield server
    server.kill()


@pytest.fixture
def dead_redis(redis, settings):
    """Used once (so the pages had a working cache), then killed."""
    cache.set("warm", 1)
    assert cache.get("warm") == 1
    redis.kill()
    return redis


@pytest.fixture
def desk_user(make_staff):
    return make_staff(Role.FRONT_DESK, username="dana", password=PASSWORD)


def test_staff_log_in_with_the_cache_down(client, desk_user, dead_redis, caplog):
    with caplog.at_level(logging.WARNING):
        response = client.post(
            "/accounts/login/", {"username": "dana", "password": PASSWORD}
        )

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    # Logged, without the keys (they name addresses and pages).
    outage = [r.getMessage() for r in caplog.records if "cache unavailable" in r.msg]
    assert outage and not any("calendar" in line for line in outage)


def book_ten_o_clock(client, jo, consultation, sam):
    """Jo's consultation with Sam at 10:00 on the tests' Monday, through the API."""
    body = {
        "client": jo.pk,
        "service": consultation.pk,
        "practitioner": sam.pk,
        "start": "2026-03-02T10:00:00+00:00",
    }
    return client.post(
        "/api/appointments", json.dumps(body), content_type="application/json"
    )


def test_the_api_books_and_the_calendar_shows_it_with_the_cache_down(
    client, dead_redis, front_desk, jo, consultation, sam, london
):
    client.force_login(front_desk)

    booked = book_ten_o_clock(client, jo, consultation, sam)
    calendar = client.get("/calendar/", {"location": london.pk, "date": "2026-03-02"})

    assert booked.status_code == 201
    assert calendar.status_code == 200
    assert "Jo Bloggs" in calendar.text


def test_the_calendar_is_cached_while_redis_answers(
    client, redis, front_desk, london, sam, jo, consultation
):
    # The control for the test above: the same page, with Redis up, is stored there.
    client.force_login(front_desk)
    client.get("/calendar/", {"location": london.pk, "date": "2026-03-02"})

    stored = cache._cache.get_client().keys("*calendar_day*")
    assert stored


def test_a_new_client_books_online_with_the_cache_down(
    client, dead_redis, london, sam, consultation
):
    url = first_time_url(client, london, consultation)

    response = client.post(url, ONLINE)

    assert response.status_code == 302
    assert Appointment.objects.get().client.first_name == "Priya"


def test_online_booking_fails_closed_when_the_clinic_says_so(
    client, dead_redis, settings, london, sam, consultation
):
    settings.RATE_LIMIT_FAIL_CLOSED = True
    url = first_time_url(client, london, consultation)

    response = client.post(url, ONLINE)

    assert response.status_code == 429
    assert not Appointment.objects.exists()


def test_email_links_work_with_the_cache_down(
    client, dead_redis, jo, consultation, sam, front_desk
):
    appointment = services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=SESSION_AT,
        booked_by=front_desk,
    )
    url = links.action_url("confirm", appointment).removeprefix("http://127.0.0.1:8000")

    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"


def test_healthz_reports_the_cache_down_as_degraded_not_as_an_outage(
    client, dead_redis
):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "down",
        "broker": "ok",
    }


def test_healthz_reports_the_redis_cache_ok_while_it_answers(client, redis):
    assert client.get("/healthz").json()["cache"] == "ok"


def test_after_a_failure_redis_is_left_alone_then_tried_again(redis, settings):
    redis.kill()
    assert cache.get("k", "miss") == "miss"
    redis.start()  # back, on the same port

    # Within CACHE_RETRY_SECONDS nothing is tried: still a miss, a skipped write,
    # and a counter that says it cannot count.
    cache.set("k", "stored")
    assert cache.get("k", "miss") == "miss"
    with pytest.raises(CacheUnavailable):
        cache.incr("k")

    time.sleep(settings.CACHE_RETRY_SECONDS + 0.1)
    cache.set("k", "stored")
    assert cache.get("k") == "stored"


def test_a_role_taken_away_while_redis_hangs_is_not_served_stale_after(
    client, make_staff, redis, settings
):
    """Redis keeps its data through a hang (unlike a kill): the cached manager must
    not come back with it. The invalidation Redis missed is owed and paid first."""
    import os
    import signal

    from django.contrib.auth.models import Group

    manager = make_staff(Role.MANAGER, username="morgan")
    client.force_login(manager)
    assert client.get("/reports/").status_code == 200  # cached in Redis now

    settings.CACHE_RETRY_SECONDS = 3
    os.kill(redis.process.pid, signal.SIGSTOP)
    try:
        # The first call times out; for the back-off that follows nothing is sent,
        # so the invalidation below never reaches Redis.
        assert client.get("/reports/").status_code == 200
        manager.groups.set([Group.objects.get(name=Role.FRONT_DESK.value)])
        assert client.get("/reports/").status_code == 403  # from the database
    finally:
        os.kill(redis.process.pid, signal.SIGCONT)
    time.sleep(settings.CACHE_RETRY_SECONDS + 0.1)

    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/").status_code == 403


def test_one_redis_client_serves_every_call_and_comes_back_after_a_restart(redis):
    """Django made a new redis.Redis for each call, which cost more CPU than the GET
    (core.cache.ReusedClientRedisCacheClient): one per pool now, through a restart,
    and a counter moves on in one round trip."""
    cache.set("k", 1)
    client = cache._cache.get_client("k", write=True)
    assert cache.incr("k") == 2
    assert cache._cache.get_client("k") is client

    redis.kill()
    assert cache.get("k", "miss") == "miss"
    redis.start()
    time.sleep(0.6)  # past CACHE_RETRY_SECONDS (0.5 here)

    cache.set("k", "after")
    assert cache.get("k") == "after"
    assert cache._cache.get_client("k") is client
    # incr is one script call (EVALSHA), loaded again on the restarted server, and
    # still refuses a key that is not there.
    cache.set("n", 5)
    assert cache.incr("n", 2) == 7
    with pytest.raises(ValueError, match="not found"):
        cache.incr("no-such-counter")
    assert cache.get("no-such-counter") is None


def test_a_full_redis_is_an_outage_not_a_server_error(
    client, redis, settings, front_desk, jo, consultation, sam, london
):
    """Out of memory with no eviction, Redis refuses every write (OOM) and still
    answers reads and deletes: a booking saves and a client is renamed, the calendar
    shows both, and what the refused writes were to replace is deleted at once, so no
    other process is served the page cached before them, nor after Redis recovers."""
    client.force_login(front_desk)
    day = {"location": london.pk, "date": "2026-03-02"}
    assert "Jo Bloggs" not in client.get("/calendar/", day).text  # cached now
    admin = cache._cache.get_client()
    assert admin.keys("*calendar-version") and admin.keys("*T09")
    admin.config_set("maxmemory-policy", "noeviction")
    admin.config_set("maxmemory", 1)
    try:
        booked = book_ten_o_clock(client, jo, consultation, sam)
        assert booked.status_code == 201
        # The booking's span (09:00 to 12:00 UTC) was to be renewed: it is gone.
        assert not admin.keys("*calendar-span-version:2026-03-02T09")
        client_services.client_update(client=jo, first_name="Joanna")
        # The version all days share could not move on: it is gone too.
        assert not admin.keys("*calendar-version")
        assert "Joanna Bloggs" in client.get("/calendar/", day).text
    finally:
        admin.config_set("maxmemory", 0)
    time.sleep(settings.CACHE_RETRY_SECONDS + 0.1)
    assert "Joanna Bloggs" in client.get("/calendar/", day).text


def test_only_a_refused_write_counts_as_an_outage_among_redis_errors():
    from redis.exceptions import ResponseError

    from core.cache import _is_outage

    # Redis 6 reports a write refused inside incr's script as the script's error.
    assert _is_outage(
        ResponseError(
            "Error running script (call to f_1): @user_script:1: @user_script: 1: "
            "-OOM command not allowed when used memory > 'maxmemory'."
        )
    )
    assert _is_outage(ResponseError("READONLY You can't write against a replica."))
    # Our own mistakes stay errors.
    assert not _is_outage(ResponseError("WRONGTYPE Operation against a key"))
