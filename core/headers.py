"""Response headers about what a browser may keep and use.

- `Cache-Control: private, no-store` on every response to a signed-in person (pages
  and files: client records, intake, consents, signatures, clearance letters, plans,
  sessions, photos, exports) and on the pages of signed links in clients' emails: a
  shared tablet's back button after logout, or a proxy, keeps no copy.
- `Permissions-Policy` with every powerful feature off; the camera only on the
  pages that take photos (views decorated `@uses_camera`), and only for this site.
- `Clear-Site-Data: "cache"` when a person logs out (SessionLifetimeMiddleware sends
  it too when it signs a session out).

Static files are answered by WhiteNoise before this middleware and stay cacheable;
a practitioner's calendar feed keeps its own `private, max-age=300` for calendar apps.
"""

from collections.abc import Callable
from functools import wraps

NO_STORE = "private, no-store"
CLEAR_CACHE = '"cache"'

# Every feature a page of ours could ask for and none needs; the camera is added
# back for the photo pages.
FEATURES_OFF = (
    "accelerometer",
    "autoplay",
    "bluetooth",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)


def permissions_policy(*, camera: bool = False) -> str:
    return ", ".join(
        f"{feature}=(self)" if camera and feature == "camera" else f"{feature}=()"
        for feature in FEATURES_OFF
    )


POLICY = permissions_policy()
POLICY_WITH_CAMERA = permissions_policy(camera=True)

# The public pages a signed link in an email opens: they show the client's
# appointment, offer or name to whoever holds the link.
SIGNED_LINK_VIEWS = frozenset(
    {
        "message_link",
        "waitlist_offer_link",
        "unsubscribe",
        "book_done",
    }
)


def uses_camera(view: Callable) -> Callable:
    """View decorator: this page takes photos, so the camera is allowed on it."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.uses_camera = True
        return response

    return wrapped


class PrivacyHeadersMiddleware:
    """After AuthenticationMiddleware, so it knows who is signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        match = request.resolver_match
        url_name = match.url_name if match else None
        if signed_in or request.user.is_authenticated or url_name in SIGNED_LINK_VIEWS:
            response["Cache-Control"] = NO_STORE
        if url_name == "logout" and request.method == "POST":
            response["Clear-Site-Data"] = CLEAR_CACHE
            response["Cache-Control"] = NO_STORE
        response["Permissions-Policy"] = (
            POLICY_WITH_CAMERA if getattr(response, "uses_camera", False) else POLICY
        )
        return response
