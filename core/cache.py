"""A Redis cache that an outage of Redis cannot turn into a server error.

The cache is an optimisation (rendered calendars) and a guard (rate-limit counts): the
database is the record. When Redis does not answer, a read is a miss, a write is
skipped, and a counter raises CacheUnavailable so that its caller decides (the rate
limiter fails open or closed, a calendar version bump is skipped). Each connection
error is logged once per back-off, without the key: keys name addresses and pages.

Sockets time out after CACHE_TIMEOUT_SECONDS and, once Redis has failed, nothing is
tried for CACHE_RETRY_SECONDS: a dead Redis costs each process at most about one
timeout every few seconds, not one per cache call.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import DataError, RedisError, ResponseError

logger = logging.getLogger(__name__)


class CacheUnavailable(Exception):
    """A counter could not be read or moved: the cache does not answer."""


# Per process, shared by the threads' backend instances: the moment each server (by
# its LOCATION) may be tried again.
_retry_at: dict[str, float] = {}
_lock = threading.Lock()


def _is_outage(error: RedisError) -> bool:
    # A refused command or a value that cannot be stored is our mistake, not an
    # outage: it stays an error.
    return not isinstance(error, (ResponseError, DataError))


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, with a miss for a read and a skipped write when Redis
    is down (see the module's docstring)."""

    @property
    def _server_key(self) -> str:
        return ",".join(self._servers)

    def available(self) -> bool:
        return time.monotonic() >= _retry_at.get(self._server_key, 0.0)

    def _failed(self, error: RedisError) -> None:
        with _lock:
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

    def _guarded(self, call, fallback):
        if not self.available():
            return fallback
        try:
            return call()
        except RedisError as error:
            if not _is_outage(error):
                raise
            self._failed(error)
            return fallback

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
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            False,
        )

    def delete(self, key, version=None):
        return self._guarded(
            lambda: super(ResilientRedisCache, self).delete(key, version), False
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
        )

    def delete_many(self, keys, version=None):
        self._guarded(
            lambda: super(ResilientRedisCache, self).delete_many(keys, version), None
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
