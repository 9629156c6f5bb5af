"""What a signed-in request costs before its view runs: the session, the user with
their roles and the two-factor device come from the cache, and each change to them
takes effect on the very next request."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.server import is_query
from core.roles import Role

REPORTS = "/reports/"  # managers only


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response, [q["sql"] for q in captured.captured_queries if is_query(q["sql"])]


@override_settings(ROOT_URLCONF="bench.urls")
def test_a_signed_in_request_costs_no_query_before_its_view(client, front_desk):
    client.force_login(front_desk)
    first, _ = queries(client, "/bench/trivial/")
    again, sql = queries(client, "/bench/trivial/")
    assert first.status_code == again.status_code == 200
    assert sql == []


def test_a_role_taken_away_takes_effect_on_the_next_request(client, manager):
    client.force_login(manager)
    assert client.get(REPORTS).status_code == 200
    _, sql = queries(client, REPORTS)
    assert not any('FROM "auth_user"' in q for q in sql)  # served from the cache

    manager.groups.set([Group.objects.get(name=Role.FRONT_DESK.value)])

    assert client.get(REPORTS).status_code == 403


def test_a_role_given_from_the_groups_side_takes_effect_at_once(client, front_desk):
    client.force_login(front_desk)
    assert client.get(REPORTS).status_code == 403
    Group.objects.get(name=Role.MANAGER.value).user_set.add(front_desk)
    assert client.get(REPORTS).status_code == 200
    Group.objects.get(name=Role.MANAGER.value).user_set.clear()
    assert client.get(REPORTS).status_code == 403


def test_a_renamed_group_is_no_longer_the_role(client, manager):
    client.force_login(manager)
    assert client.get(REPORTS).status_code == 200
    group = Group.objects.get(name=Role.MANAGER.value)
    group.name = "Former managers"
    group.save()
    assert client.get(REPORTS).status_code == 403


def test_a_deactivated_or_deleted_account_is_signed_out_on_the_next_request(
    client, front_desk, make_staff
):
    client.force_login(front_desk)
    assert client.get("/").status_code == 200
    front_desk.is_active = False
    front_desk.save()
    assert client.get("/").status_code == 302  # to the login page

    other = make_staff(Role.FRONT_DESK)
    client.force_login(other)
    assert client.get("/").status_code == 200
    other.delete()
    assert client.get("/").status_code == 302


def test_a_new_password_ends_the_cached_sessions(client, front_desk):
    client.force_login(front_desk)
    assert client.get("/").status_code == 200
    front_desk.set_password("another long passphrase 77")
    front_desk.save()
    assert client.get("/").status_code == 302


def verified_session(client, user, device):
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.mark.parametrize("how", ["deleted", "unconfirmed", "recovery codes removed"])
def test_a_device_removed_stops_verifying_the_session_on_the_next_request(
    client, manager, how
):
    if how == "recovery codes removed":
        device = StaticDevice.objects.create(user=manager, name="codes")
    else:
        device = TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    verified_session(client, manager, device)
    assert client.get("/").status_code == 200
    _, sql = queries(client, "/")
    assert not any("otp_" in q for q in sql)  # the device came from the cache
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

    if how == "unconfirmed":
        device.confirmed = False
        device.save()
    elif how == "recovery codes removed":
        StaticDevice.objects.filter(user=manager).delete()
    else:
        TOTPDevice.objects.filter(user=manager).delete()

    client.get("/")
    # django-otp found no verifying device and dropped it from the session.
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_sessions_are_read_from_the_cache_and_kept_in_the_database(client, front_desk):
    from django.contrib.sessions.models import Session

    client.force_login(front_desk)
    client.get("/")
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    _, sql = queries(client, "/")
    assert not any("django_session" in q for q in sql)

    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies["sessionid"] = key  # a copy of the old cookie
    assert client.get("/").status_code == 302


def test_the_cache_holds_no_password_hash_and_no_two_factor_seed(client, manager):
    """Redis may be shared with the broker and read on every worker host: what it
    keeps of a signed-in user must not let anyone log in as them (review)."""
    from django.core.cache import cache

    from core.backends import user_key
    from core.two_factor import device_key

    device = TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    verified_session(client, manager, device)
    assert client.get("/").status_code == 200
    assert client.get(REPORTS).status_code == 200  # from the cache, still a manager

    cached_user, session_hash, _key = cache.get(user_key(manager.pk))
    assert "password" not in cached_user.__dict__
    assert manager.password not in repr(vars(cached_user))
    assert session_hash == manager.get_session_auth_hash()
    cached_device = cache.get(device_key(device.persistent_id))
    assert cached_device.pk == device.pk
    assert "key" not in cached_device.__dict__
    # What needs the secret still has it, from the database.
    assert cached_device.key == device.key
    # A password changed elsewhere still ends the session on the next request.
    manager.set_password("a new long passphrase 12")
    manager.save()
    assert client.get("/").status_code == 302


def test_a_user_cached_under_another_secret_key_is_not_taken(client, front_desk):
    """The cached session hash is an HMAC under SECRET_KEY: a process with another
    key (a rotated one; the benchmark's, which makes one per run) read the old one
    and signed every fresh session out as if its password had changed."""
    with override_settings(SECRET_KEY="an old secret key " * 3):
        client.force_login(front_desk)
        assert client.get("/").status_code == 200  # cached under the old key
    client.logout()
    with override_settings(SECRET_KEY="the new secret key " * 3):
        client.force_login(front_desk)
        assert client.get("/").status_code == 200
        # And a change made under one key is forgotten for every process: the
        # entry's name is the same whatever the key.
        front_desk.is_active = False
        front_desk.save()
    with override_settings(SECRET_KEY="an old secret key " * 3):
        from core.backends import StaffBackend

        assert StaffBackend().get_user(front_desk.pk) is None


class Renamed:
    pass


def test_an_entry_another_release_wrote_is_read_again_not_a_500(
    client, front_desk, monkeypatch
):
    """A cached object whose class has since moved cannot be unpickled: a miss."""
    import sys

    from django.core.cache import cache

    from core.backends import user_key

    client.force_login(front_desk)
    cache.set(user_key(front_desk.pk), Renamed(), 300)
    # The class is gone, as after a release that moved it.
    monkeypatch.delattr(sys.modules[__name__], "Renamed")
    assert client.get("/").status_code == 200
