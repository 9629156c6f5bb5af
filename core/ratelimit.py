"""A fixed-window rate limit on the shared cache (CACHE_URL in production)."""

import logging

from django.conf import settings
from django.core.cache import cache

from core.cache import CacheUnavailable

logger = logging.getLogger(__name__)


def client_address(request) -> str | None:
    """The client's address. X-Forwarded-For is written by whoever sends the
    request, so only the entries our own TRUSTED_PROXY_COUNT proxies appended count:
    the address the nearest of them saw."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    # None when there is none (a request built in code): django-axes stores it in an
    # IP address column, which refuses a placeholder.
    return request.META.get("REMOTE_ADDR") or None


def over_limit(request, *, scope: str, limit: int, window_seconds: int = 600) -> bool:
    """Count this request; true once the address has made more than `limit`.

    With the cache down nothing can be counted: the request passes (a guard must not
    take booking down with Redis) unless RATE_LIMIT_FAIL_CLOSED refuses anonymous
    visitors until it is back."""
    return over_subject_limit(
        scope=scope,
        subject=client_address(request) or "unknown",
        limit=limit,
        window_seconds=window_seconds,
        fail_closed=settings.RATE_LIMIT_FAIL_CLOSED
        and not request.user.is_authenticated,
    )


def over_subject_limit(
    *, scope: str, subject, limit: int, window_seconds: int, fail_closed: bool = False
) -> bool:
    """Count one more for `subject` (an address, an account's id) in `scope`; true
    once more than `limit` were counted in the window. With the cache down nothing
    can be counted: the answer is `fail_closed`."""
    key = f"ratelimit:{scope}:{subject}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    except CacheUnavailable:
        logger.warning(
            "rate limit %s not counted, the cache is down: request %s",
            scope,
            "refused" if fail_closed else "let through",
        )
        return fail_closed
    return count > limit


def login_username(request, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username tried, cut to what a username can be.

    django-axes stores it in a 255-character column; a longer one posted to the login
    form was a server error on PostgreSQL."""
    source = credentials or getattr(request, "data", None) or request.POST
    username = source.get("username")
    return username[:150] if isinstance(username, str) else username
