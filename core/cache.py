"""A Redis cache that an outage of Redis cannot turn into a server error.

The cache is an optimisation (rendered calendars) and a guard (rate-limit counts): the
database is the record. When Redis does not answer, a read is a miss, a write is
skipped, and a counter raises CacheUnavailable so that its caller decides (the rate
limiter fails open or closed, a calendar version bump is skipped). Each connection
error is logged once per back-off, without the key: keys name addresses and pages.

Sockets time out after CACHE_TIMEOUT_SECONDS and, once Redis has failed, nothing is
tried for CACHE_RETRY_SECONDS: a dead Redis costs each process at most about one
timeout every few seconds, not one per cache call.

A write or delete that Redis missed leaves it holding an older value, which it would
serve once it is back (a session signed out, a role taken away during the outage). So
the keys of missed writes and deletes are owed: the first call that reaches Redis again
deletes them before anything else. Owed keys are kept per process, so a key is stale
for at most the time until that process's next cache call, and the cached sign-in
state (core.backends) lasts AUTH_CACHE_SECONDS at most anyway.
"""

import logging
import pickle
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction
from redis.exceptions import (
    DataError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
)

logger = logging.getLogger(__name__)


class CacheUnavailable(Exception):
    """A counter could not be read or moved: the cache does not answer."""


# Per process, shared by the threads' backend instances: the moment each server (by
# its LOCATION) may be tried again, and the keys (made, with prefix and version) it
# missed a write or delete of.
_retry_at: dict[str, float] = {}
_owed: dict[str, set[str]] = {}
# Whether the last failure was Redis out of memory: it still deletes, so a refused
# write deletes its keys at once rather than owing them.
_full: dict[str, bool] = {}
_lock = threading.Lock()
# Beyond this many owed keys in one outage the rest are dropped (and logged): they
# expire on their own timeouts.
MAX_OWED_KEYS = 10_000

# Stored in place of a forgotten value for a few seconds (invalidate(), read_through()):
# a request that read the database before the change committed must not store what it
# read.
TOMBSTONE = "core.cache:invalidated"
# Stored for a lookup that found nothing (read_through() caches None as this).
ABSENT = "core.cache:absent"


def _out_of_memory(error: RedisError) -> bool:
    # Redis before 7 reports a write refused inside a script (incr's) as the
    # script's error, with the refusal in its message.
    return isinstance(error, OutOfMemoryError) or "OOM command not allowed" in str(
        error
    )


def _is_outage(error: RedisError) -> bool:
    # A Redis out of memory (with no eviction) or read-only (a replica during a
    # failover) refuses every write: for a cache, as good as down, and what it missed
    # is owed like any other outage's. Any other refused command, or a value that
    # cannot be stored, is our mistake, not an outage: it stays an error.
    if _out_of_memory(error) or isinstance(error, ReadOnlyError):
        return True
    if "READONLY" in str(error):  # refused inside a script, before Redis 7
        return True
    return not isinstance(error, (ResponseError, DataError))


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one redis.Redis per connection pool. Django's makes a
    new one for every cache call, and its constructor registers some 200 response
    callbacks: more CPU than the GET it serves (0.2 to 0.4 ms each here; a booking
    makes eight cache calls, every signed-in request two). A redis.Redis is safe to
    share: each command takes a connection from the pool and gives it back. Its
    incr is one round trip (INCR_EXISTING)."""

    # INCRBY only a key that is there, in one round trip. Django's incr asks EXISTS
    # first (two round trips, and the key may expire between them); the calendar
    # version and the rate limits each move a counter on every booking or attempt.
    INCR_EXISTING = (
        "if redis.call('EXISTS', KEYS[1]) == 1 then "
        "return redis.call('INCRBY', KEYS[1], ARGV[1]) end return false"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._incr_scripts: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            # EVALSHA, loading the script again if the server lost it (a restart).
            script = self._incr_scripts[id(client)] = client.register_script(
                self.INCR_EXISTING
            )
        found = script(keys=[key], args=[delta])
        if found is None:
            raise ValueError(f"Key '{key}' not found.")
        return found


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, with a miss for a read and a skipped write when Redis
    is down (see the module's docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    @property
    def _server_key(self) -> str:
        return ",".join(self._servers)

    def available(self) -> bool:
        return time.monotonic() >= _retry_at.get(self._server_key, 0.0)

    def _failed(self, error: RedisError) -> None:
        with _lock:
            _full[self._server_key] = _out_of_memory(error)
            first = self.available()
            _retry_at[self._server_key] = (
                time.monotonic() + settings.CACHE_RETRY_SECONDS
            )
        if first:
            logger.warning(
                "cache unavailable (%s); serving without it for %s s",
                type(error).__name__,
                settings.CACHE_RETRY_SECONDS,
            )

    def _guarded(self, call, fallback, *, owe=()):
        """call() if Redis answers, else fallback; a missed write or delete owes its
        keys (owe: the keys as the caller named them, with the version)."""
        if self.available():
            try:
                self._pay_owed()
                return call()
            except RedisError as error:
                if not _is_outage(error):
                    raise
                self._failed(error)
        if owe and _full.get(self._server_key) and self._forget(owe):
            return fallback
        if owe:
            self._owe(owe)
        return fallback

    def _forget(self, owe) -> bool:
        """Delete at once the keys of a write Redis refused for want of memory (it
        still deletes, and still answers the other processes' reads, which would
        otherwise be served the value the write was to replace)."""
        keys, version = owe
        try:
            self._cache.delete_many(
                [self.make_and_validate_key(key, version=version) for key in keys]
            )
        except RedisError as error:
            if _is_outage(error):
                self._failed(error)  # down now: the next writes owe, not wait
            return False
        return True

    def _owe(self, owe) -> None:
        keys, version = owe
        made = {self.make_and_validate_key(key, version=version) for key in keys}
        with _lock:
            owed = _owed.setdefault(self._server_key, set())
            room = MAX_OWED_KEYS - len(owed)
            if len(made) > room:
                logger.warning(
                    "cache unavailable: more than %s keys owed; the rest expire "
                    "on their timeouts",
                    MAX_OWED_KEYS,
                )
                made = set(list(made)[: max(room, 0)])
            owed |= made

    def _pay_owed(self) -> None:
        """Delete the keys missed during an outage, before anything else is read."""
        if not _owed.get(self._server_key):
            return
        with _lock:
            owed = _owed.pop(self._server_key, set())
        try:
            self._cache.delete_many(list(owed))
        except RedisError:
            with _lock:
                _owed.setdefault(self._server_key, set()).update(owed)
            raise

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            False,
        )

    def get(self, key, default=None, version=None):
        return self._guarded(
            lambda: super(ResilientRedisCache, self).get(key, default, version),
            default,
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guarded(
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            None,
            owe=([key], version),
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            False,
        )

    def delete(self, key, version=None):
        return self._guarded(
            lambda: super(ResilientRedisCache, self).delete(key, version),
            False,
            owe=([key], version),
        )

    def get_many(self, keys, version=None):
        return self._guarded(
            lambda: super(ResilientRedisCache, self).get_many(keys, version), {}
        )

    def has_key(self, key, version=None):
        return self._guarded(
            lambda: super(ResilientRedisCache, self).has_key(key, version), False
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            list(data),
            owe=(list(data), version),
        )

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._guarded(
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            None,
            owe=(keys, version),
        )

    def clear(self):
        return self._guarded(lambda: super(ResilientRedisCache, self).clear(), False)

    def incr(self, key, delta=1, version=None):
        # A counter has no safe "miss": its caller chooses what an outage means.
        unavailable = object()
        found = self._guarded(
            lambda: super(ResilientRedisCache, self).incr(key, delta, version),
            unavailable,
        )
        if found is unavailable:
            raise CacheUnavailable("the cache does not answer")
        return found


# How long invalidate() keeps read_through() from storing a forgotten key again.
INVALIDATION_HOLD_SECONDS = 2


def invalidate(keys, *, hold: float = INVALIDATION_HOLD_SECONDS) -> None:
    """Forget cached values whose source changed, and for `hold` seconds let
    read_through() load them without storing them: a request that read the old rows
    just before the change committed cannot store them again."""
    cache.set_many(dict.fromkeys(keys, TOMBSTONE), hold)


class AfterCommit:
    """An on_commit callback naming the cache keys whose source its transaction
    changed (changed_here())."""

    def __init__(self, keys, action):
        self.keys = frozenset(keys)
        self.action = action
        # Django names a robust callback that raised by its __qualname__ when it logs
        # it; without one the log line itself raised, after the commit, and the
        # callbacks queued after this one never ran.
        self.__qualname__ = getattr(action, "__qualname__", type(self).__qualname__)

    def __call__(self):
        self.action()


def changed_here(key: str) -> bool:
    """Whether the transaction in progress changed what `key` caches, not yet
    committed: what it reads now includes its own uncommitted rows, and stored it
    would outlive a rollback (a user's rename rolled back, still shown for
    AUTH_CACHE_SECONDS). Django drops a rolled-back block's on_commit callbacks, so
    what is pending is exactly what may still commit."""
    connection = transaction.get_connection()
    blocks = connection.atomic_blocks
    if not connection.in_atomic_block or not blocks:
        return False
    if getattr(blocks[0], "_from_testcase", False):
        # A test case's own blocks stand for autocommit (they are rolled back after
        # the test, never committed): pending is only what a block of the code under
        # test registered, while that block is open. savepoint_ids[i] is the
        # savepoint of atomic_blocks[i + 1].
        open_here = {
            sid
            for block, sid in zip(blocks[1:], connection.savepoint_ids, strict=True)
            if sid is not None and not getattr(block, "_from_testcase", False)
        }
    else:
        open_here = None
    return any(
        isinstance(callback, AfterCommit)
        and key in callback.keys
        and (open_here is None or savepoints & open_here)
        for savepoints, callback, _robust in connection.run_on_commit
    )


def invalidate_on_commit(keys) -> None:
    """Forget cached values now, so the changing request sees the change, and again
    (invalidate()) when its transaction commits, so that a value read meanwhile from
    the old rows is not kept. Until then read_through() does not store them."""
    keys = list(keys)
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(AfterCommit(keys, lambda: invalidate(keys)), robust=True)


def read_through(key: str, load, seconds: float):
    """The cached value of key, else load() (stored unless just invalidated, or
    changed by the transaction in progress). A None from load() is cached too, as
    ABSENT."""
    try:
        found = cache.get(key)
    except (pickle.UnpicklingError, AttributeError, ImportError, TypeError, EOFError):
        # Written by another release (a class renamed or moved since): a miss.
        logger.warning("cache: unreadable entry %s, read again", key)
        found = None
    if isinstance(found, str) and found in (TOMBSTONE, ABSENT):
        return None if found == ABSENT else load()
    if found is not None:
        return found
    value = load()
    if changed_here(key):
        return value
    # add, not set: a tombstone written since the get stays.
    cache.add(key, ABSENT if value is None else value, seconds)
    return value


def cache_ok(cache) -> bool:
    """Whether the cache stores and returns a value now (for /healthz)."""
    probe = f"healthz:{time.monotonic_ns()}"
    try:
        cache.set(probe, 1, 10)
        found = cache.get(probe)
        cache.delete(probe)
    except (RedisError, OSError) as error:
        logger.warning("healthz: cache unavailable (%s)", type(error).__name__)
        return False
    return found == 1
