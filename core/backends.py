"""The staff login backend: Django's, but a request's user comes with their roles,
from the cache.

Every page asks `core.roles` what the user may do, and every request loads the user.
Joined with the roles that was one query a request; now the user with their roles is
kept in the cache (the deployment's: Redis, or files in the embedded default) for
AUTH_CACHE_SECONDS, and forgotten the moment it changes: a save or delete of the user,
a change of their groups, a group renamed or deleted (the signals in invalidate_*
below, connected in core.apps). A role taken away or an account deactivated takes
effect on the next request, as before.
"""

import hashlib
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Aggregate, CharField

from core.cache import invalidate_on_commit, read_through
from core.roles import roles_from_names

SEPARATOR = "\x1f"  # a character no group name holds


def user_key(user_id) -> str:
    # v3: the user without the password hash, with the session hash and the key it
    # was made under.
    return f"auth:user:v3:{user_id}"


def _secret_digest() -> str:
    """Which SECRET_KEY a cached session hash was made under: it is an HMAC under
    that key, and a process with another (a rotation under way; the benchmark's,
    one a run) must not take it, or every session it checks would end as if the
    password had changed. The key itself names no secret, so that every process
    forgets the same entry when the user changes."""
    return _digest(settings.SECRET_KEY)


@lru_cache(maxsize=4)
def _digest(secret: str) -> str:  # once a process, not on every request
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class JoinedNames(Aggregate):
    """Values joined by SEPARATOR: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite."""

    function = "STRING_AGG"
    template = f"%(function)s(%(expressions)s, '{SEPARATOR}')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="GROUP_CONCAT", **extra_context
        )


def user_with_roles(user_id):
    """The user and their roles in one query, or None."""
    user = (
        get_user_model()
        ._default_manager.annotate(group_names=JoinedNames("groups__name"))
        .filter(pk=user_id)
        .first()
    )
    if user is None:
        return None
    names = user.group_names.split(SEPARATOR) if user.group_names else []
    user._smp_roles = roles_from_names(names, superuser=user.is_superuser)
    return user


def _cacheable_user(user_id):
    """What the cache keeps of a user: no password hash (a cache is not where a
    password hash belongs; Redis may be shared with the broker and its workers), but
    the session hash Django checks on every request, computed from it now."""
    user = user_with_roles(user_id)
    if user is None:
        return None
    session_hash = user.get_session_auth_hash()
    # Deferred: read from the database if anything asks (a password change).
    del user.__dict__["password"]
    return user, session_hash, _secret_digest()


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        found = read_through(
            user_key(user_id),
            lambda: _cacheable_user(user_id),
            settings.AUTH_CACHE_SECONDS,
        )
        if found is not None and found[2] != _secret_digest():
            found = _cacheable_user(user_id)  # made under another key: not ours
        if found is None:
            return None
        user, session_hash, _digest = found
        if not self.user_can_authenticate(user):
            return None
        # Django compares the session's hash with this on every request.
        user.get_session_auth_hash = lambda: session_hash
        return user


def invalidate_user(sender, instance, update_fields=None, **kwargs) -> None:
    """post_save / post_delete of a user (a password, is_active, a name...). The time
    of the last login, saved at each login, changes nothing a request needs."""
    if update_fields is not None and set(update_fields) == {"last_login"}:
        return
    invalidate_on_commit([user_key(instance.pk)])


def invalidate_members(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """m2m_changed of User.groups, from either side."""
    if not action.startswith(("post_", "pre_clear")):
        return
    if not reverse:
        user_ids = [instance.pk]
    elif pk_set is not None:
        user_ids = list(pk_set)
    else:  # group.user_set.clear(): before, while the members are known
        user_ids = list(instance.user_set.values_list("pk", flat=True))
    invalidate_on_commit(user_key(pk) for pk in user_ids)


def invalidate_group(sender, instance, **kwargs) -> None:
    """pre_save / pre_delete of a group: its name is a role."""
    if instance.pk is None:
        return
    invalidate_on_commit(
        user_key(pk) for pk in instance.user_set.values_list("pk", flat=True)
    )
