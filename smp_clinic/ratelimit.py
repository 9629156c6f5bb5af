"""A fixed-window rate limit on the shared cache (CACHE_URL in production)."""

from django.conf import settings
from django.core.cache import cache


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
    """Count this request; true once the address has made more than `limit`."""
    key = f"ratelimit:{scope}:{client_address(request) or 'unknown'}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count > limit


def login_username(request, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username tried, cut to what a username can be.

    django-axes stores it in a 255-character column; a longer one posted to the login
    form was a server error on PostgreSQL."""
    source = credentials or getattr(request, "data", None) or request.POST
    username = source.get("username")
    return username[:150] if isinstance(username, str) else username
