"""Who a portal request is for: the client signed in by a link, kept apart from staff.

A client's session holds the client's id (CLIENT_KEY) and the email address they
signed in with; it never holds a staff user, and Django's authentication never sees
it (request.user stays anonymous), so every staff page treats it as a stranger: it
is sent to the staff login like anyone else, and the staff-side middleware (session
lifetime, two-factor) has nothing to act on. The other way round, a staff session
cannot open a client's pages (client_required answers 403) nor take a sign-in link,
and a staff login in a client's browser drops the client (forget_client_on_staff_login).

A client's session ends like a staff one, after SESSION_IDLE_MINUTES without a
request and SESSION_MAX_HOURS after signing in, and at once when the client's email
address changes or the client is erased.
"""

import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.middleware.csrf import rotate_token
from django.shortcuts import render
from django.urls import reverse

from clients.models import Client
from core.sessions import seen_at_resolution

CLIENT_KEY = "portal_client_id"
EMAIL_KEY = "portal_email"
SIGNED_IN_AT = "portal_signed_in_at"
SEEN_AT = "portal_seen_at"
KEYS = (CLIENT_KEY, EMAIL_KEY, SIGNED_IN_AT, SEEN_AT)


def client_session_start(request, client: Client) -> None:
    """A new session for the client: a fresh key (no fixation), nothing of the
    session before it, a new CSRF token."""
    request.session.flush()
    now = time.time()
    request.session[CLIENT_KEY] = client.pk
    request.session[EMAIL_KEY] = client.email
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
    rotate_token(request)


def client_session_end(request) -> None:
    request.session.flush()


def forget_client_on_staff_login(sender, request, user, **kwargs) -> None:
    """user_logged_in: Django's login() keeps the data of an anonymous session; a
    client's identity must not ride into a staff session."""
    if request is not None and hasattr(request, "session"):
        for key in KEYS:
            request.session.pop(key, None)


def _ended(session, now: float) -> str:
    signed_in_at = session.get(SIGNED_IN_AT, 0)
    seen_at = session.get(SEEN_AT, 0)
    if now - signed_in_at > settings.SESSION_MAX_HOURS * 3600:
        return f"{settings.SESSION_MAX_HOURS} hours"
    idle_seconds = settings.SESSION_IDLE_MINUTES * 60
    if now - seen_at > idle_seconds:
        return f"{settings.SESSION_IDLE_MINUTES} minutes without use"
    if now - seen_at >= seen_at_resolution(idle_seconds):
        session[SEEN_AT] = now
    return ""


def session_client(request) -> Client | None:
    """The client this session is signed in as, or None (a session that has ended
    is emptied, with a message saying why)."""
    client_id = request.session.get(CLIENT_KEY)
    if client_id is None or request.user.is_authenticated:
        return None
    ended = _ended(request.session, time.time())
    client = (
        Client.objects.filter(pk=client_id, erased_at__isnull=True).first()
        if not ended
        else None
    )
    if client is not None and client.email == request.session.get(EMAIL_KEY):
        return client
    client_session_end(request)
    messages.info(
        request,
        f"You were signed out after {ended}." if ended else "You were signed out.",
    )
    return None


def staff_refused(request):
    return render(request, "portal/staff_refused.html", status=403)


def client_required(view):
    """View decorator: the signed-in client as the view's second argument; a staff
    session gets 403, anyone else the portal's sign-in page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated:
            return staff_refused(request)
        client = session_client(request)
        if client is None:
            return redirect_to_login(
                request.get_full_path(), login_url=reverse("portal:sign_in")
            )
        return view(request, client, *args, **kwargs)

    return wrapped
