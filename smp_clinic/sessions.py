"""Staff sessions end after SESSION_IDLE_MINUTES without a request and
SESSION_MAX_HOURS after login however busy: a shared front-desk computer does not
stay signed in to health records.

The idle clock is kept in the session itself and written at most once a minute, so
an ordinary request costs no session write (SESSION_SAVE_EVERY_REQUEST would add
one to every page). The cookie's own age is the 12-hour cap, as a backstop."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# How stale the idle clock may get before a request writes it again.
SEEN_AT_RESOLUTION_SECONDS = 60


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
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def _ended(self, session, now: float) -> str:
        """Why the session has ended, or "" while it stands (then it is stamped)."""
        signed_in_at = session.setdefault(SIGNED_IN_AT, now)
        seen_at = session.get(SEEN_AT, now)
        if now - signed_in_at > settings.SESSION_MAX_HOURS * 3600:
            return f"{settings.SESSION_MAX_HOURS} hours. Sign in again to carry on"
        if now - seen_at > settings.SESSION_IDLE_MINUTES * 60:
            return (
                f"{settings.SESSION_IDLE_MINUTES} minutes without use. Sign in again "
                "to carry on"
            )
        if SEEN_AT not in session or now - seen_at >= SEEN_AT_RESOLUTION_SECONDS:
            session[SEEN_AT] = now
        return ""
