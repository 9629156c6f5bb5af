"""Two-factor login (TOTP, django-otp): required for managers, open to all staff.

A password alone opens a half-signed-in session: until the six-digit code from an
authenticator app (or a recovery code) is given, every page sends the person to the
code page, and a manager without an app yet to setting one up. Which of the two a
session needs is decided once, at login, and kept in the session, so an ordinary
request costs no query for it. The device that verified a session comes from the cache
(OTPMiddleware below), forgotten when it is saved or deleted: an app removed or
replaced stops verifying the sessions it verified on their next request.
"""

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.cache import invalidate_on_commit, read_through
from core.roles import Role, user_roles

SESSION_KEY = "two_factor"
VERIFY = "verify"
ENROL = "enrol"

# Reachable while a session still owes its code: the page that settles it, and the
# ways out. A session owing a code cannot reach set-up, where it could swap the app.
OPEN_URL_NAMES = {
    VERIFY: {"two_factor_verify", "logout", "login"},
    ENROL: {"two_factor_setup", "logout", "login"},
}


def required_for(user) -> bool:
    return Role.MANAGER in user_roles(user)


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def login_stamp(sender, request, user, **kwargs) -> None:
    """At login (the user_logged_in signal): what this session owes, if anything."""
    if request is None or not hasattr(request, "session"):
        return
    if not settings.TWO_FACTOR_REQUIRED:
        return
    if has_device(user):
        request.session[SESSION_KEY] = VERIFY
    elif required_for(user):
        request.session[SESSION_KEY] = ENROL


def settled(request) -> None:
    """The code was given (or the app set up): the session owes nothing more."""
    request.session.pop(SESSION_KEY, None)


def device_key(persistent_id: str) -> str:
    return f"auth:device:{persistent_id}"


class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's, with the session's verifying device read from the cache."""

    def _device_from_persistent_id(self, persistent_id: str):
        persistent_id = self._normalize_persistent_id(persistent_id)
        return read_through(
            device_key(persistent_id),
            lambda: _cacheable_device(persistent_id),
            settings.AUTH_CACHE_SECONDS,
        )


def _cacheable_device(persistent_id: str):
    """The device without its secret (a TOTP seed): a request needs only to know
    which device verified it; checking a code reads the seed from the database."""
    device = Device.from_persistent_id(persistent_id)
    if device is not None:
        device.__dict__.pop("key", None)
    return device


def invalidate_device(sender, instance, **kwargs) -> None:
    """post_save / post_delete of any django-otp device."""
    if isinstance(instance, Device) and instance.pk is not None:
        invalidate_on_commit([device_key(instance.persistent_id)])


class TwoFactorMiddleware:
    """After OTPMiddleware: hold a half-signed-in session at the code page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        owed = request.session.get(SESSION_KEY)
        if owed and request.user.is_authenticated and not request.user.is_verified():
            match = _resolve(request.path_info)
            if match is None or match.url_name not in OPEN_URL_NAMES[owed]:
                return self._hold(request, owed)
        return self.get_response(request)

    @staticmethod
    def _hold(request, owed: str):
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"detail": "Two-factor verification needed: sign in again."},
                status=401,
            )
        if owed == ENROL:
            return redirect("two_factor_setup")
        return redirect_to_login(
            request.get_full_path(), login_url=reverse("two_factor_verify")
        )


def _resolve(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None


def secret_of(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it typed in: base32, in groups of 4."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG QR code (no script, no external image)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", omitsize=True, title="QR code"
    )
