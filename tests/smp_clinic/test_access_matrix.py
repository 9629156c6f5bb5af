"""The access matrix: every URL pattern of the project, visited as each role with GET
and POST, against the table below. A new URL without a row fails.

Outcomes: "ok" (served: a page, a redirect that is not to the login page, a form's
422, ...), "login" (sent to the login page), 401, 403, 404 and 405. A server error
never matches a row.

403 or 404: a role that lacks a capability (the front desk on a clinical page) gets
403 whatever the id, so the answer tells nothing about which records exist; a record
that does not exist, or that the user may not see, is 404.
"""

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from appointments import services
from appointments.models import (
    Appointment,
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WaitlistEntry,
    WaitlistOffer,
)
from clients.models import Client, Consent, Contraindication, PatchTest
from core import clinic
from core.roles import Role
from messaging import links
from messaging.models import (
    CLINICAL_MESSAGE_KINDS,
    AftercareStep,
    InboundMessage,
    MessageKind,
    OutboundMessage,
)
from payments import services as payment_services
from payments.checkout import pay_token
from payments.models import LedgerEntry
from pigments.models import PigmentLot
from portal.services import sign_in_link
from tests.portal.conftest import sign_in_as
from treatments.models import Photo, TreatmentSession

# "client": a client signed in to the portal by a link (portal/access.py). To every
# staff page they are a stranger, as anonymous is; the portal's pages (/my/) are
# theirs alone, and a staff session gets 403 there.
ROLES = ("anonymous", "outsider", "front_desk", "practitioner", "manager", "client")

OK = "ok"
LOGIN = "login"
# Sent to the portal's sign-in page.
SIGN_IN = "sign in"
PUBLIC = (OK,) * 6
USER = (LOGIN, OK, OK, OK, OK, LOGIN)
STAFF = (LOGIN, 403, OK, OK, OK, LOGIN)
CLINICAL = (LOGIN, 403, 403, OK, OK, LOGIN)
MANAGER = (LOGIN, 403, 403, 403, OK, LOGIN)
NOT_ALLOWED = (405,) * 6
STAFF_POST_ONLY = (LOGIN, 403, 405, 405, 405, LOGIN)
CLINICAL_POST_ONLY = (LOGIN, 403, 403, 405, 405, LOGIN)
MANAGER_POST_ONLY = (LOGIN, 403, 403, 403, 405, LOGIN)
API = (401, 403, OK, OK, OK, 401)
NOWHERE = (404,) * 6
USER_GET_ONLY = (LOGIN, 405, 405, 405, 405, LOGIN)
# Logging out is POST only and ends at the login page, signed in or not.
LOGIN_PAGE = (LOGIN,) * 6
# The client portal: the signed-in client's; strangers are sent to sign in, staff
# sessions refused.
CLIENT = (SIGN_IN, 403, 403, 403, 403, OK)
# Asking for a sign-in link, and using one: anyone but staff.
NOT_STAFF = (OK, 403, 403, 403, 403, OK)
# Signing out of the portal ends at its sign-in page, whoever asks.
SIGN_IN_PAGE = (SIGN_IN,) * 6
# Twilio's webhooks: POST only, and a request without Twilio's signature is refused,
# whoever sends it.
FORBIDDEN = (403,) * 6

# route: (GET, POST). Admin pages are Django's and for superusers only; every role
# here is sent to the admin's own login (see test_no_role_reaches_the_admin).
EXPECTED = {
    "": (STAFF, STAFF),
    "accounts/login/": (PUBLIC, PUBLIC),
    "accounts/logout/": (NOT_ALLOWED, LOGIN_PAGE),
    "accounts/password_change/": (USER, USER),
    "accounts/password_change/done/": (USER, USER_GET_ONLY),
    "accounts/password_reset/": (PUBLIC, PUBLIC),
    "accounts/password_reset/done/": (PUBLIC, NOT_ALLOWED),
    "accounts/reset/<uidb64>/<token>/": (PUBLIC, PUBLIC),
    "accounts/reset/done/": (PUBLIC, NOT_ALLOWED),
    "accounts/two-factor/": (USER, USER),
    "accounts/two-factor/setup/": (USER, USER),
    "accounts/two-factor/verify/": (USER, USER),
    "api/": (NOWHERE, NOWHERE),
    "api/appointments": (NOT_ALLOWED, API),
    "api/appointments/<appointment_id>/cancel": (NOT_ALLOWED, API),
    "api/availability": (API, NOT_ALLOWED),
    "api/docs": (STAFF, STAFF),
    "api/schema": (STAFF, STAFF),
    "appointments/<int:pk>/": (STAFF, STAFF),
    "appointments/<int:pk>/<slug:action>/": (STAFF_POST_ONLY, STAFF),
    "appointments/<int:pk>/cancel/": (STAFF_POST_ONLY, STAFF),
    "appointments/<int:pk>/reschedule/": (STAFF, STAFF),
    "appointments/<int:pk>/session/new/": (CLINICAL_POST_ONLY, CLINICAL),
    "appointments/new/": (STAFF, STAFF),
    "appointments/next-free/": (STAFF, STAFF),
    "appointments/today/": (STAFF, STAFF),
    "calendar/": (STAFF, STAFF),
    "calendar/week/": (STAFF, STAFF),
    "calendar/feed/": (STAFF, STAFF),
    "feeds/<str:token>.ics": (PUBLIC, NOT_ALLOWED),
    "book/": (PUBLIC, NOT_ALLOWED),
    "book/<int:location_id>/": (PUBLIC, NOT_ALLOWED),
    "book/<int:location_id>/<int:service_id>/": (PUBLIC, NOT_ALLOWED),
    "book/<int:location_id>/<int:service_id>/details/": (PUBLIC, PUBLIC),
    "book/done/<str:token>/": (PUBLIC, NOT_ALLOWED),
    "clients/": (STAFF, STAFF_POST_ONLY),
    "clients/<int:pk>/": (STAFF, STAFF),
    "clients/<int:pk>/consents/<slug:kind>/sign/": (CLINICAL, CLINICAL),
    "clients/<int:pk>/contraindications/new/": (CLINICAL_POST_ONLY, CLINICAL),
    "clients/<int:pk>/edit/": (STAFF, STAFF),
    "clients/<int:pk>/erase/": (MANAGER, MANAGER),
    "clients/<int:pk>/export/": (MANAGER, MANAGER_POST_ONLY),
    "clients/<int:pk>/ink-passport/": (CLINICAL, CLINICAL),
    "clients/<int:pk>/intake/": (CLINICAL, CLINICAL),
    "clients/<int:pk>/intake-review/": (CLINICAL, CLINICAL),
    "clients/<int:pk>/intake/<slug:section>/": (CLINICAL_POST_ONLY, CLINICAL),
    "clients/<int:pk>/patch-tests/new/": (CLINICAL, CLINICAL),
    "clients/<int:pk>/photos/": (CLINICAL, CLINICAL),
    "clients/<int:pk>/plans/new/": (CLINICAL, CLINICAL),
    "clients/<int:pk>/suitability/": (CLINICAL, CLINICAL),
    "clients/<int:pk>/waitlist/": (STAFF, STAFF),
    "clients/consent-texts/": (MANAGER, MANAGER),
    "clients/consents/<int:pk>/": (CLINICAL, CLINICAL_POST_ONLY),
    "clients/consents/<int:pk>/signature.png": (CLINICAL, CLINICAL_POST_ONLY),
    "clients/consents/<int:pk>/withdraw/": (CLINICAL_POST_ONLY, CLINICAL),
    "clients/contraindications/<int:pk>/clear/": (CLINICAL, CLINICAL),
    "clients/contraindications/<int:pk>/document/": (CLINICAL, CLINICAL_POST_ONLY),
    "clients/contraindications/<int:pk>/resolve/": (CLINICAL, CLINICAL),
    "clients/import/": (MANAGER, MANAGER),
    "clients/messages/": (STAFF, STAFF_POST_ONLY),
    "clients/messages/<int:pk>/": (STAFF, STAFF_POST_ONLY),
    "clients/messages/<int:pk>/email.html": (STAFF, STAFF_POST_ONLY),
    "clients/messages/<int:pk>/retry/": (STAFF_POST_ONLY, STAFF),
    "clients/replies/": (STAFF, STAFF_POST_ONLY),
    "clients/replies/<int:pk>/reply/": (STAFF_POST_ONLY, STAFF),
    "clients/replies/<int:pk>/done/": (STAFF_POST_ONLY, STAFF),
    "sms/status/": (NOT_ALLOWED, FORBIDDEN),
    "sms/inbound/": (NOT_ALLOWED, FORBIDDEN),
    "clients/new/": (STAFF, STAFF),
    "clients/options/": (STAFF, STAFF_POST_ONLY),
    "clients/patch-tests/<int:pk>/read/": (CLINICAL, CLINICAL),
    "clients/patch-tests/<int:pk>/withdraw/": (CLINICAL, CLINICAL),
    "audit/": (MANAGER, MANAGER_POST_ONLY),
    "reports/": (MANAGER, MANAGER_POST_ONLY),
    "reports/money/": (MANAGER, MANAGER_POST_ONLY),
    "reports/accounting.csv": (MANAGER, MANAGER_POST_ONLY),
    "reports/<slug:slug>.csv": (MANAGER, MANAGER_POST_ONLY),
    "healthz": (PUBLIC, NOT_ALLOWED),
    "favicon.ico": (PUBLIC, NOT_ALLOWED),
    "setup/clinic/": (MANAGER, MANAGER),
    "clinic/logo/<slug:version>.png": (PUBLIC, NOT_ALLOWED),
    # No METRICS_TOKEN in tests: the URL does not exist (test_metrics.py sets one, and
    # a session is never a token).
    "metrics": (NOWHERE, NOT_ALLOWED),
    "my/": (CLIENT, NOT_ALLOWED),
    "my/aftercare/": (CLIENT, NOT_ALLOWED),
    "my/appointments/<int:pk>/cancel/": (CLIENT, CLIENT),
    "my/appointments/<int:pk>/move/": (CLIENT, CLIENT),
    "my/book/": (CLIENT, NOT_ALLOWED),
    "my/book/<slug:slug>/": (CLIENT, CLIENT),
    "my/details/": (CLIENT, CLIENT),
    "my/forms/": (CLIENT, NOT_ALLOWED),
    "my/forms/health/": (CLIENT, CLIENT),
    "my/forms/<int:pk>/": (CLIENT, NOT_ALLOWED),
    "my/forms/<int:pk>/signature.png": (CLIENT, NOT_ALLOWED),
    "my/forms/<int:pk>/withdraw/": (NOT_ALLOWED, CLIENT),
    "my/forms/sign/<slug:kind>/": (CLIENT, CLIENT),
    "my/history/": (CLIENT, NOT_ALLOWED),
    "my/ink-passport/": (CLIENT, NOT_ALLOWED),
    "my/link/<str:token>/": (NOT_STAFF, NOT_STAFF),
    "my/messages/": (CLIENT, NOT_ALLOWED),
    "my/messages/<int:pk>/": (CLIENT, NOT_ALLOWED),
    "my/plan/": (CLIENT, NOT_ALLOWED),
    "my/sign-in/": (NOT_STAFF, NOT_STAFF),
    "my/sign-in/sent/": (PUBLIC, NOT_ALLOWED),
    "my/sign-out/": (NOT_ALLOWED, SIGN_IN_PAGE),
    "lots/<int:pk>/recall/": (MANAGER, MANAGER_POST_ONLY),
    "lots/<int:pk>/recall/notify/": (MANAGER_POST_ONLY, MANAGER),
    "lots/<int:pk>/status/": (MANAGER_POST_ONLY, MANAGER),
    "m/<str:token>/": (PUBLIC, PUBLIC),
    "m/unsubscribe/<str:token>/": (PUBLIC, PUBLIC),
    "m/waitlist/<str:token>/": (PUBLIC, PUBLIC),
    "s/<str:code>/": (PUBLIC, NOT_ALLOWED),
    "photos/<int:pk>/<str:size>/": (CLINICAL, CLINICAL_POST_ONLY),
    "plans/<int:pk>/": (CLINICAL, CLINICAL_POST_ONLY),
    "plans/<int:pk>/book/": (STAFF, STAFF),
    "plans/<int:pk>/cancel/": (CLINICAL_POST_ONLY, CLINICAL),
    "plans/<int:pk>/edit/": (CLINICAL, CLINICAL),
    "plans/<int:pk>/sign-off/": (CLINICAL_POST_ONLY, CLINICAL),
    "sessions/<int:pk>/healing/": (CLINICAL_POST_ONLY, CLINICAL),
    "sessions/<int:pk>/record/": (CLINICAL, CLINICAL),
    "appointments/<int:pk>/payments/new/": (STAFF, STAFF),
    "clients/<int:pk>/payments/new/": (STAFF, STAFF),
    "payments/<int:pk>/void/": (MANAGER, MANAGER),
    "payments/<int:pk>/card-refund/": (MANAGER, MANAGER),
    "appointments/<int:pk>/invoices/new/": (STAFF_POST_ONLY, STAFF),
    "appointments/<int:pk>/deposit/request/": (STAFF_POST_ONLY, STAFF),
    "documents/<int:pk>.pdf": (STAFF, STAFF_POST_ONLY),
    # The client's deposit pages, named by a signed link (without Stripe keys the
    # page says the deposit is paid at the desk, and a POST is refused with 409).
    "pay/deposit/<str:token>/": (PUBLIC, PUBLIC),
    "pay/deposit/<str:token>/paid/": (PUBLIC, NOT_ALLOWED),
    # Stripe's webhook: anyone may POST, and only Stripe's signature is heeded
    # (unsigned, or without Stripe keys, it answers 400 and changes nothing).
    "payments/stripe/webhook/": (NOT_ALLOWED, PUBLIC),
    "documents/<int:pk>/email/": (STAFF_POST_ONLY, STAFF),
    "setup/": (MANAGER, MANAGER),
    "setup/<slug:kind>/": (MANAGER, MANAGER),
    "setup/<slug:kind>/<int:pk>/": (MANAGER, MANAGER),
    "setup/<slug:kind>/new/": (MANAGER, MANAGER),
    "setup/closures/<int:pk>/delete/": (MANAGER_POST_ONLY, MANAGER),
    "setup/gates/": (MANAGER, MANAGER),
    "setup/messages/": (MANAGER, MANAGER),
    "setup/messages/<slug:key>/": (MANAGER, MANAGER),
    "setup/messages/<slug:key>/reset/": (MANAGER_POST_ONLY, MANAGER),
    "setup/practitioners/": (MANAGER, MANAGER),
    "setup/practitioners/<int:pk>/": (MANAGER, MANAGER),
    "setup/practitioners/<int:pk>/hours/": (MANAGER_POST_ONLY, MANAGER),
    "setup/practitioners/<int:pk>/time-off/": (MANAGER_POST_ONLY, MANAGER),
    "setup/practitioners/new/": (MANAGER, MANAGER),
    "setup/time-off/<int:pk>/delete/": (MANAGER_POST_ONLY, MANAGER),
    "waitlist/": (STAFF, STAFF_POST_ONLY),
    "waitlist/<int:pk>/remove/": (STAFF_POST_ONLY, STAFF),
    "waitlist/add/": (STAFF, STAFF_POST_ONLY),
}


def routes(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def project_routes() -> list[str]:
    return sorted({r for r in routes() if not r.startswith("admin/")})


def outcome(response) -> str | int:
    if response.status_code in (301, 302) and "/login/" in response.get("Location", ""):
        return LOGIN
    if response.status_code == 302 and response["Location"].startswith("/my/sign-in/"):
        return SIGN_IN
    if response.status_code in (401, 403, 404, 405) or response.status_code >= 500:
        return response.status_code
    return OK


def png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(image, "PNG")
    return image.getvalue()


class World:
    """One of each record, from the demo data, and the URL arguments that reach them."""

    def __init__(self):
        call_command("seed_demo", verbosity=0)
        session = (
            TreatmentSession.objects.filter(photos__isnull=False)
            .select_related("plan__client")
            .first()
        )
        self.plan = session.plan
        self.client = self.plan.client
        self.session = session
        self.photo = Photo.objects.filter(client=self.client).first()
        self.appointment = Appointment.objects.filter(
            status="booked", starts_at__gt=timezone.now()
        ).first()
        self.practitioner = Practitioner.objects.first()
        self.time_off = TimeOff.objects.create(
            practitioner=self.practitioner,
            starts_at=timezone.now() + timedelta(days=300),
            ends_at=timezone.now() + timedelta(days=301),
            reason="Leave",
        )
        self.closure = Closure.objects.filter(date__gte=timezone.localdate()).first()
        self.room = Room.objects.first()
        # A booking message: clinical kinds have rows of their own (MESSAGE_KINDS).
        self.message = OutboundMessage.objects.exclude(
            kind__in=CLINICAL_MESSAGE_KINDS
        ).first()
        self.inbound = InboundMessage.objects.create(
            provider_id="SM-access-matrix",
            from_phone="+447700900123",
            body="Can I come earlier?",
            client=self.client,
            action=InboundMessage.Action.REPLY,
            received_at=timezone.now(),
        )
        self.contraindication = Contraindication.objects.first()
        self.contraindication.clearance_document.save(
            "clearance.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n")
        )
        self.patch_test = PatchTest.objects.first()
        self.consent = Consent.objects.filter(client=self.client).first()
        self.consent.signature.save("signature.png", ContentFile(png()))
        self.lot = PigmentLot.objects.first()
        # The world's client's own appointment, for the portal's move and cancel.
        self.client_appointment = Appointment.objects.filter(client=self.client).first()
        self.client_message = OutboundMessage.objects.create(
            client=self.client,
            kind=MessageKind.INK_PASSPORT,
            due_at=timezone.now(),
            sent_at=timezone.now(),
            status="sent",
            dedupe_key="access-matrix:portal",
        )
        self.location = Location.objects.first()
        self.online_service = Service.objects.filter(kind="consultation").first()
        self.ledger_entry = LedgerEntry.objects.create(
            kind="payment",
            amount_minor=5000,
            currency=self.appointment.location.currency,
            method="cash",
            client=self.appointment.client,
            appointment=self.appointment,
            location=self.appointment.location,
        )
        self.receipt = payment_services.receipt_issue(entry=self.ledger_entry)
        self.waitlist_entry = WaitlistEntry.objects.first()
        self.waitlist_offer = WaitlistOffer.objects.create(
            entry=self.waitlist_entry,
            freed=self.appointment,
            freed_starts_at=self.appointment.starts_at,
            practitioner=self.appointment.practitioner,
            location=self.appointment.location,
            starts_at=self.appointment.starts_at,
        )
        # The clinic's logo, public at a URL that names its version.
        clinic.clinic_profile_save(name="SMP Clinic", logo_png=png())

    def pk_for(self, route: str) -> int:
        return self.record_for(route).pk

    def record_for(self, route: str):
        """The record a route's id names."""
        owners = [
            # The portal's: the world's client's own consent and email.
            ("my/forms/", self.consent),
            ("my/appointments/", self.client_appointment),
            ("my/messages/", self.client_message),
            ("appointments/", self.appointment),
            ("api/appointments/", self.appointment),
            ("setup/practitioners/", self.practitioner),
            ("setup/time-off/", self.time_off),
            ("setup/closures/", self.closure),
            ("setup/<slug:kind>/", self.room),
            ("clients/messages/", self.message),
            ("clients/replies/", self.inbound),
            ("clients/contraindications/", self.contraindication),
            ("clients/patch-tests/", self.patch_test),
            ("clients/consents/", self.consent),
            ("clients/", self.client),
            ("plans/", self.plan),
            ("sessions/", self.session),
            ("photos/", self.photo),
            ("lots/", self.lot),
            ("payments/", self.ledger_entry),
            ("documents/", self.receipt),
            ("book/", self.location),
            ("waitlist/", self.waitlist_entry),
        ]
        return next(record for start, record in owners if route.startswith(start))

    def url(self, route: str, *, missing: bool = False) -> str:
        values = {
            "<int:pk>": "999999" if missing else None,
            "<appointment_id>": "999999" if missing else None,
            "<int:location_id>": "999999" if missing else None,
            # A consent kind on consent pages, a set-up page elsewhere.
            "<slug:kind>": "photos"
            if "consents/" in route or "forms/sign/" in route
            else "rooms",
            "<slug:key>": "reminder",
            "<slug:action>": "confirm",
            "<slug:slug>": "fade-check-slug" if route.startswith("my/") else "bookings",
            "<slug:section>": "health",
            "<str:size>": "thumb",
            "<uidb64>": "MQ",
            "<token>": "set-password",
        }
        path = route.replace("<int:service_id>", str(self.online_service.pk))
        for placeholder, value in values.items():
            if placeholder in path:
                path = path.replace(placeholder, value or str(self.pk_for(route)), 1)
        if route == "m/<str:token>/":
            path = path.replace(
                "<str:token>", links.action_token("confirm", self.appointment)
            )
        if route == "book/done/<str:token>/":
            path = path.replace("<str:token>", "received")
        if route.startswith("pay/deposit/"):
            path = path.replace("<str:token>", pay_token(self.appointment))
        if route == "feeds/<str:token>.ics":
            token = services.practitioner_feed_renew(practitioner=self.practitioner)
            path = path.replace("<str:token>", token)
        if route == "m/waitlist/<str:token>/":
            path = path.replace(
                "<str:token>", links.waitlist_token(self.waitlist_offer)
            )
        if route == "my/book/<slug:slug>/":
            fade_check = Service.objects.get(kind=Service.Kind.FADE_CHECK)
            path = path.replace("fade-check-slug", f"service-{fade_check.pk}")
        if route == "my/link/<str:token>/":
            path = path.replace(
                "<str:token>", sign_in_link(self.client).split("/my/link/")[1][:-1]
            )
        if route == "s/<str:code>/":
            path = path.replace(
                "<str:code>", links.short_code(self.message.pk, "confirm")
            )
        if route == "clinic/logo/<slug:version>.png":
            path = path.replace(
                "<slug:version>",
                "0" * 12 if missing else clinic.clinic_identity().logo_version,
            )
        if route == "m/unsubscribe/<str:token>/":
            path = path.replace("<str:token>", links.unsubscribe_token(self.client))
        return "/" + path


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return World()


@pytest.fixture
def staff_users(make_staff):
    return {
        "anonymous": None,
        "outsider": make_staff(None),
        "front_desk": make_staff(Role.FRONT_DESK),
        "practitioner": make_staff(Role.PRACTITIONER),
        "manager": make_staff(Role.MANAGER),
    }


@pytest.fixture
def users(staff_users, world):
    # Signed in to the portal as the world's client (tests/portal/conftest.py).
    return {**staff_users, "client": world.client}


class Rollback(Exception):
    pass


# POSTs carry no form data (a form answers 422, which counts as served), except
# where an empty body would be refused before the record is looked up.
POST_BODIES = {
    "api/appointments/<appointment_id>/cancel": {"reason": "Access matrix"},
}


def visit(client, user, method: str, url: str, route: str):
    """One request whose changes are undone, so each visit sees the same world."""
    try:
        with transaction.atomic():
            client.logout()
            if isinstance(user, Client):
                sign_in_as(client, user)
            elif user is not None:
                client.force_login(user)
            if method == "POST" and route in POST_BODIES:
                response = client.post(
                    url, POST_BODIES[route], content_type="application/json"
                )
            else:
                response = getattr(client, method.lower())(url)
            raise Rollback(response)
    except Rollback as done:
        return done.args[0]


def observe(client, world, users, *, missing=False):
    observed = {}
    for route in project_routes():
        if missing and "<int:pk>" not in route and "<appointment_id>" not in route:
            continue
        url = world.url(route, missing=missing)
        observed[route] = tuple(
            tuple(
                outcome(visit(client, users[role], method, url, route))
                for role in ROLES
            )
            for method in ("GET", "POST")
        )
    return observed


def test_every_url_pattern_has_a_row():
    assert set(project_routes()) == set(EXPECTED), (
        "Add a row to EXPECTED for each new URL (and drop the rows of removed ones): "
        f"missing {sorted(set(project_routes()) - set(EXPECTED))}, "
        f"stale {sorted(set(EXPECTED) - set(project_routes()))}"
    )


def report(capsys, title: str, checked: int, wrong: list, expected_table: dict):
    allowed = sum(
        outcome == OK
        for pair in expected_table.values()
        for row in pair
        for outcome in row
    )
    unexpected_successes = [w for w in wrong if w[-1] == OK]
    server_errors = [w for w in wrong if isinstance(w[-1], int) and w[-1] >= 500]
    with capsys.disabled():
        print(
            f"\n{title}: {len(expected_table)} URLs x {len(ROLES)} roles x GET/POST = "
            f"{checked} requests ({allowed} allowed by the table); unexpected "
            f"successes {len(unexpected_successes)}, server errors "
            f"{len(server_errors)}, other differences "
            f"{len(wrong) - len(unexpected_successes) - len(server_errors)}"
        )


def compare(observed: dict, expected: dict) -> list:
    wrong = []
    for route, pair in observed.items():
        for method, got_row, want_row in zip(
            ("GET", "POST"), pair, expected[route], strict=True
        ):
            for role, got, want in zip(ROLES, got_row, want_row, strict=True):
                if got != want:
                    wrong.append((route, method, role, want, got))
    return wrong


def test_each_role_gets_what_the_table_says(client, world, users, capsys):
    observed = observe(client, world, users)
    wrong = compare(observed, EXPECTED)
    report(capsys, "access matrix", len(observed) * len(ROLES) * 2, wrong, EXPECTED)
    assert wrong == [], "route, method, role, expected, got:\n" + "\n".join(
        map(str, wrong)
    )


def missing_record(row: tuple) -> tuple:
    # Whoever may look gets 404 for a record that is not there; the rest get what
    # they get for any id.
    return tuple(404 if outcome == OK else outcome for outcome in row)


def test_a_record_that_is_not_there_is_404_for_whoever_may_look(
    client, world, users, capsys
):
    observed = observe(client, world, users, missing=True)
    expected = {
        route: tuple(map(missing_record, EXPECTED[route])) for route in observed
    }
    wrong = compare(observed, expected)
    report(capsys, "missing records", len(observed) * len(ROLES) * 2, wrong, expected)
    assert wrong == [], "route, method, role, expected, got:\n" + "\n".join(
        map(str, wrong)
    )


@pytest.mark.parametrize("role", ["outsider", "front_desk", "practitioner", "manager"])
def test_no_role_reaches_the_admin(client, staff_users, role):
    client.force_login(staff_users[role])
    response = client.get("/admin/clients/client/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_superuser_reaches_the_admin(client, make_staff):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@x.test", None)
    client.force_login(admin)
    assert client.get("/admin/clients/client/").status_code == 200


# Messages by kind. Those that quote the health or treatment record (the ink
# passport's pigments, lots and dilutions, aftercare, preparation) are for clinical
# roles: to the front desk, which may open messages, they are records it may not
# see (404), in the list as in the page.
MESSAGE_ROUTES = (
    "clients/messages/<int:pk>/",
    "clients/messages/<int:pk>/email.html",
    "clients/messages/<int:pk>/retry/",
)
BOOKING_MESSAGE = (
    (STAFF, STAFF_POST_ONLY),
    (STAFF, STAFF_POST_ONLY),
    (STAFF_POST_ONLY, STAFF),
)
FRONT_DESK_404 = (LOGIN, 403, 404, OK, OK, LOGIN)
CLINICAL_MESSAGE = (
    (FRONT_DESK_404, STAFF_POST_ONLY),
    (FRONT_DESK_404, STAFF_POST_ONLY),
    (STAFF_POST_ONLY, FRONT_DESK_404),
)
MESSAGE_KINDS = {
    MessageKind.CONFIRMATION: BOOKING_MESSAGE,
    MessageKind.MOVED: BOOKING_MESSAGE,
    MessageKind.COURSE_CONFIRMATION: BOOKING_MESSAGE,
    MessageKind.CANCELLED: BOOKING_MESSAGE,
    MessageKind.CANCELLED_BY_CLIENT: BOOKING_MESSAGE,
    MessageKind.PREPARATION: CLINICAL_MESSAGE,
    MessageKind.REMINDER: BOOKING_MESSAGE,
    MessageKind.AFTERCARE: CLINICAL_MESSAGE,
    MessageKind.COURSE_NUDGE: BOOKING_MESSAGE,
    MessageKind.FADE_CHECK: BOOKING_MESSAGE,
    MessageKind.TOUCH_UP: BOOKING_MESSAGE,
    MessageKind.INK_PASSPORT: CLINICAL_MESSAGE,
    MessageKind.LOT_RECALL: CLINICAL_MESSAGE,
    MessageKind.WAITLIST_OFFER: BOOKING_MESSAGE,
    MessageKind.WAITLIST_GONE: BOOKING_MESSAGE,
    MessageKind.DEPOSIT_REQUEST: BOOKING_MESSAGE,
    # A receipt or invoice: money, the front desk's as much as anyone's.
    MessageKind.DOCUMENT: BOOKING_MESSAGE,
    # The front desk's answer to a text: a text itself, with no HTML version.
    MessageKind.REPLY: (
        (STAFF, STAFF_POST_ONLY),
        ((LOGIN, 403, 404, 404, 404, LOGIN), STAFF_POST_ONLY),
        (STAFF_POST_ONLY, STAFF),
    ),
}


def message_of_kind(world: World, kind: str) -> OutboundMessage:
    """A sent message of the kind, about the world's records."""
    related = {}
    if kind in (
        MessageKind.CONFIRMATION,
        MessageKind.MOVED,
        MessageKind.COURSE_CONFIRMATION,
        MessageKind.CANCELLED,
        MessageKind.CANCELLED_BY_CLIENT,
        MessageKind.PREPARATION,
        MessageKind.REMINDER,
        MessageKind.AFTERCARE,
        MessageKind.DEPOSIT_REQUEST,
    ):
        related["appointment"] = world.appointment
    if kind == MessageKind.AFTERCARE:
        related["aftercare_step"] = AftercareStep.objects.first()
    if kind in (
        MessageKind.COURSE_NUDGE,
        MessageKind.FADE_CHECK,
        MessageKind.TOUCH_UP,
        MessageKind.COURSE_CONFIRMATION,
    ):
        related["plan"] = world.plan
    if kind == MessageKind.LOT_RECALL:
        related["lot"] = world.lot
    if kind in (MessageKind.WAITLIST_OFFER, MessageKind.WAITLIST_GONE):
        related["waitlist_offer"] = world.waitlist_offer
    client = (
        world.waitlist_offer.entry.client
        if "waitlist_offer" in related
        else world.appointment.client
        if "appointment" in related
        else world.client
    )
    if kind == MessageKind.REPLY:
        related.update(channel="sms", body="See you then.")
    if kind == MessageKind.DOCUMENT:
        related["document_id"] = world.receipt.pk
        client = world.receipt.client
    return OutboundMessage.objects.create(
        client=client,
        kind=kind,
        due_at=timezone.now(),
        sent_at=timezone.now(),
        status="sent",
        dedupe_key=f"access-matrix:{kind}",
        **related,
    )


def test_every_message_kind_has_a_row():
    assert set(MESSAGE_KINDS) == set(MessageKind)
    clinical = {k for k, rows in MESSAGE_KINDS.items() if rows == CLINICAL_MESSAGE}
    assert clinical == CLINICAL_MESSAGE_KINDS


def test_each_role_opens_the_message_kinds_the_table_says(client, world, users, capsys):
    observed, expected = {}, {}
    listed = {role: set() for role in ROLES}
    messages = {kind: message_of_kind(world, kind) for kind in MESSAGE_KINDS}
    for kind, message in messages.items():
        for route, rows in zip(MESSAGE_ROUTES, MESSAGE_KINDS[kind], strict=True):
            url = "/" + route.replace("<int:pk>", str(message.pk))
            observed[f"{kind}: {route}"] = tuple(
                tuple(
                    outcome(visit(client, users[role], method, url, route))
                    for role in ROLES
                )
                for method in ("GET", "POST")
            )
            expected[f"{kind}: {route}"] = rows
    for role in ("outsider", "front_desk", "practitioner", "manager"):
        client.force_login(users[role])
        page = client.get("/clients/messages/?status=sent").text
        listed[role] = {
            kind for kind, m in messages.items() if f"/clients/messages/{m.pk}/" in page
        }
    wrong = compare(observed, expected)
    report(
        capsys,
        f"message kinds ({len(MESSAGE_KINDS)} kinds x {len(MESSAGE_ROUTES)} URLs)",
        len(observed) * len(ROLES) * 2,
        wrong,
        expected,
    )
    assert wrong == [], "kind: route, method, role, expected, got:\n" + "\n".join(
        map(str, wrong)
    )
    everything = set(MESSAGE_KINDS)
    assert listed == {
        "anonymous": set(),
        "outsider": set(),
        "front_desk": everything - CLINICAL_MESSAGE_KINDS,
        "practitioner": everything,
        "manager": everything,
        "client": set(),
    }
