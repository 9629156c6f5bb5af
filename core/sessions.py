"""Staff sessions end after SESSION_IDLE_MINUTES without a request and
SESSION_MAX_HOURS after login however busy: a shared front-desk computer does not
stay signed in to health records.

The idle clock is kept in the session itself. Writing it on every request would cost
a session write per page (SESSION_SAVE_EVERY_REQUEST), so it is written only when it
has grown older than a sixtieth of the idle limit (at most a minute): the clock lags
the last request by less than that, and a session ends between the limit and the
limit less that lag of no use, which is exact to the minute (a 30-minute limit: within
30 seconds; a 1-minute limit: within a second). The cookie's own age is the 12-hour
cap, as a backstop."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# How stale the idle clock may get before a request writes it again, at most.
SEEN_AT_RESOLUTION_SECONDS = 60


def seen_at_resolution(idle_seconds: float) -> float:
    """How stale the idle clock may get: a sixtieth of the limit, at most a minute.
    (A fixed minute ended a session used every 20 seconds under a 1-minute limit.)"""
    return min(SEEN_AT_RESOLUTION_SECONDS, idle_seconds / 60)


def session_stamp(sender, request, user, **kwargs) -> None:
    """At login (the user_logged_in signal): start both clocks, so the requests that
    follow have nothing to write."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            ended = self._ended(request.session, time.time())
            if ended:
                logout(request)
                messages.info(request, f"You were signed out after {ended}.")
                response = redirect_to_login(request.get_full_path())
                # The browser forgets the pages it kept of the session.
                response["Clear-Site-Data"] = '"cache"'
                return response
        return self.get_response(request)

    def _ended(self, session, now: float) -> str:
        """Why the session has ended, or "" while it stands (then it is stamped)."""
        signed_in_at = session.setdefault(SIGNED_IN_AT, now)
        seen_at = session.get(SEEN_AT, now)
        if now - signed_in_at > settings.SESSION_MAX_HOURS * 3600:
            return f"{settings.SESSION_MAX_HOURS} hours. Sign in again to carry on"
        idle_seconds = settings.SESSION_IDLE_MINUTES * 60
        if now - seen_at > idle_seconds:
            return (
                f"{settings.SESSION_IDLE_MINUTES} minutes without use. Sign in again "
                "to carry on"
            )
        if SEEN_AT not in session or now - seen_at >= seen_at_resolution(idle_seconds):
            session[SEEN_AT] = now
        return ""
