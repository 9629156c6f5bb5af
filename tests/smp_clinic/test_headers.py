"""Security headers, read off real responses: a Content Security Policy with no inline
scripts, and the rest of OWASP's list; in production HSTS and secure cookies too."""

import json
import re

from core.headers import FEATURES_OFF
from messaging import links
from messaging.models import OutboundMessage
from tests.smp_clinic.test_access_matrix import World, project_routes
from tests.smp_clinic.test_settings import PRODUCTION, run_django
from tests.smp_clinic.test_stored_html import AT


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part)
    }


def test_every_page_carries_a_policy_without_inline_scripts(client, front_desk):
    client.force_login(front_desk)
    response = client.get("/calendar/")
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_the_one_inline_style_carries_the_responses_nonce(client, front_desk, sam):
    client.force_login(front_desk)
    response = client.get("/calendar/")
    [nonce] = [v for v in csp(response)["style-src"] if v.startswith("'nonce-")]
    assert f'<style nonce="{nonce[7:-1]}">' in response.text
    again = csp(client.get("/calendar/"))["style-src"]
    assert nonce not in again


def test_pages_send_the_owasp_headers(client, db):
    response = client.get("/accounts/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Content-Security-Policy" in response


def test_no_page_has_an_inline_script(client, manager):
    client.force_login(manager)
    for url in ("/", "/calendar/", "/clients/", "/setup/", "/setup/messages/"):
        page = client.get(url).text
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert scripts and all("src=" in tag for tag in scripts), (url, scripts)
        assert not re.search(r"\son[a-z]+\s*=", page), url


def test_production_sends_hsts_and_secure_httponly_cookies():
    # Plain static storage: production's manifest comes from collectstatic.
    code = (
        "import json; from django.test import Client; from django.test.utils import "
        "setup_test_environment, override_settings; setup_test_environment(); "
        "override_settings(STORAGES={'default': {'BACKEND': "
        "'django.core.files.storage.FileSystemStorage'}, 'staticfiles': {'BACKEND': "
        "'django.contrib.staticfiles.storage.StaticFilesStorage'}}).enable(); "
        "c = Client(); "
        "r = c.get('/accounts/login/', secure=True, HTTP_HOST='clinic.example.com'); "
        "cookie = r.cookies['csrftoken']; "
        "from django.conf import settings as s; "
        "print(json.dumps({'hsts': r.get('Strict-Transport-Security'), "
        "'csrf_secure': cookie['secure'], 'session_secure': s.SESSION_COOKIE_SECURE, "
        "'session_httponly': s.SESSION_COOKIE_HTTPONLY, "
        "'plain': c.get('/accounts/login/', HTTP_HOST='clinic.example.com')"
        ".status_code}))"
    )
    result = run_django(code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout.strip().splitlines()[-1])
    assert headers == {
        "hsts": "max-age=31536000; includeSubDomains; preload",
        "csrf_secure": True,
        "session_secure": True,
        "session_httponly": True,
        "plain": 301,
    }


def test_every_page_of_the_project_sends_them(
    client, manager, settings, tmp_path, capsys
):
    """Every URL pattern, as a manager in the demo world: the headers on every answer,
    and no inline script or event handler in any HTML page."""
    settings.MEDIA_ROOT = tmp_path
    world = World()
    client.force_login(manager)
    checked = html = 0
    missing, inline = [], []
    for route in project_routes():
        if route == "accounts/logout/":
            continue
        response = client.get(world.url(route))
        checked += 1
        required = {
            **REQUIRED,
            **FRAMED.get(route, {}),
            # Signed in: nothing a page or file shows is kept by a browser or proxy.
            "Cache-Control": "private, no-store",
            "Permissions-Policy": permissions(camera=route in CAMERA_ROUTES),
        }
        for header, value in required.items():
            if response.get(header) != value:
                missing.append((route, header, response.get(header)))
        policy = response.get("Content-Security-Policy", "")
        if route in FRAMED:
            if not policy.startswith("default-src 'none'") or "sandbox" not in policy:
                missing.append((route, "Content-Security-Policy", policy))
        elif "script-src 'self'" not in policy:
            missing.append((route, "Content-Security-Policy", None))
        if response.get("Content-Type", "").startswith("text/html") and not getattr(
            response, "streaming", False
        ):
            html += 1
            page = response.content.decode()
            tags = re.findall(r"<script\b[^>]*>", page)
            # A JSON data block (the API docs' settings) is never run.
            runnable = [tag for tag in tags if 'type="application/json"' not in tag]
            if any("src=" not in tag for tag in runnable) or re.search(
                r"\son[a-z]+\s*=", page
            ):
                inline.append(route)
    with capsys.disabled():
        print(
            f"\nheaders: {checked} URLs ({html} HTML pages) checked; missing or wrong "
            f"headers {len(missing)}, pages with inline script {len(inline)}"
        )
    assert missing == []
    assert inline == []


REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# An email's HTML version is framed by the message page (and by nothing else), with
# a policy of its own: nothing runs, nothing loads, an opaque origin.
FRAMED = {
    "clients/messages/<int:pk>/email.html": {"X-Frame-Options": "SAMEORIGIN"},
}

# Pages that take photos with the device's camera.
CAMERA_ROUTES = {"clients/<int:pk>/photos/"}


def permissions(*, camera: bool) -> str:
    return ", ".join(
        f"{f}=(self)" if camera and f == "camera" else f"{f}=()" for f in FEATURES_OFF
    )


def test_the_permissions_policy_turns_every_feature_off(client, db):
    policy = client.get("/accounts/login/")["Permissions-Policy"]
    features = dict(part.split("=") for part in policy.split(", "))
    assert features["camera"] == "()"
    assert features["geolocation"] == features["microphone"] == "()"
    assert set(features.values()) == {"()"}


def test_only_the_photo_page_may_use_the_camera_and_only_for_this_site(
    client, practitioner, settings, tmp_path
):
    from clients.models import Client

    settings.MEDIA_ROOT = tmp_path
    jo = Client.objects.create(first_name="Jo", last_name="Bloggs")
    client.force_login(practitioner)
    photos = client.get(f"/clients/{jo.pk}/photos/")
    assert "camera=(self)" in photos["Permissions-Policy"]
    assert "camera=()" in client.get(f"/clients/{jo.pk}/")["Permissions-Policy"]


def test_a_signed_in_page_is_private_no_store_and_a_public_page_is_not(
    client, front_desk
):
    assert "no-store" not in client.get("/book/").get("Cache-Control", "")
    client.force_login(front_desk)
    assert client.get("/calendar/")["Cache-Control"] == "private, no-store"


def test_the_pages_of_signed_links_in_emails_are_private_no_store(
    client, frozen_now, london, sam, consultation, front_desk, settings
):
    from appointments import services
    from clients.models import Client

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    jo = Client.objects.create(
        first_name="Jo", last_name="Bloggs", email="jo@x.test", reminder_consent=True
    )
    appointment = services.appointment_book(
        client=jo, service=consultation, practitioner=sam, starts_at=AT, booked_by=None
    )
    assert OutboundMessage.objects.filter(appointment=appointment).exists()
    for url in (
        f"/m/{links.action_token('confirm', appointment)}/",
        f"/m/unsubscribe/{links.unsubscribe_token(jo)}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url


def test_logging_out_clears_the_browsers_cache_of_the_site(client, front_desk):
    client.force_login(front_desk)
    response = client.post("/accounts/logout/")
    assert response["Clear-Site-Data"] == '"cache"'
    assert response["Cache-Control"] == "private, no-store"
