"""A fixed-window rate limit on the shared cache (CACHE_URL in production)."""

from django.core.cache import cache


def client_address(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request.
    return request.META.get("REMOTE_ADDR", "unknown")


def over_limit(request, *, scope: str, limit: int, window_seconds: int = 600) -> bool:
    """Count this request; true once the address has made more than `limit`."""
    key = f"ratelimit:{scope}:{client_address(request)}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count > limit
