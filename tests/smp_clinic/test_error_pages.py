"""Error pages: the app's layout (the menu when signed in), plain words, the way back;
the 500 page even with the database gone; /favicon.ico."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import subprocess_env

BASE_DIR = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert(1)</script>"


def test_a_404_for_staff_has_the_menu_and_the_way_back(client, front_desk):
    client.force_login(front_desk)
    response = client.get(f"/clients/999999/?q={HOSTILE}")
    assert response.status_code == 404
    page = response.text
    assert "There is nothing at this address" in page
    assert 'id="main-nav"' in page  # the signed-in menu
    assert 'href="/calendar/"' in page
    assert ">Back to the dashboard</a>" in page
    assert "css/app.css" in page
    assert HOSTILE not in page


def test_a_404_for_a_visitor_has_no_menu_and_offers_booking_and_log_in(client, db):
    response = client.get(f"/no-such-page/{HOSTILE}/")
    assert response.status_code == 404
    page = response.text
    assert 'id="main-nav"' not in page
    assert 'href="/book/"' in page and 'href="/accounts/login/"' in page
    assert "script>alert" not in page


def test_a_403_says_which_role_cannot_and_whom_to_ask(client, front_desk):
    client.force_login(front_desk)
    response = client.get("/setup/")
    assert response.status_code == 403
    page = response.text
    assert "This page is not open to you" in page
    assert "Your account (Front desk) cannot open this page" in page
    assert "ask a manager" in page
    assert 'id="main-nav"' in page and ">Back to the dashboard</a>" in page


def test_too_many_link_requests_get_the_429_page_with_when_to_try_again(
    client, db, settings
):
    settings.MESSAGE_LINK_RATE_LIMIT = 2
    for _ in range(2):
        assert client.get("/m/not-a-token/").status_code == 400
    response = client.get("/m/not-a-token/")
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    page = response.text
    assert "Too many requests: please wait a little" in page
    assert "Try again in 10 minutes." in page
    assert "Nothing was changed." in page
    assert "css/app.css" in page


def test_the_500_page_renders_with_the_database_unreachable(tmp_path):
    # A real unreachable database, in a process of its own, with DEBUG off (the
    # production path: collected static files, hashed names); nothing is mocked.
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    env = subprocess_env(
        DATABASE_URL=f"sqlite:///{missing}",
        DEBUG="0",
        SECRET_KEY="error-page-test-" + "x" * 40,
        STATIC_ROOT=str(tmp_path / "static"),
        VAR_DIR=str(tmp_path / "var"),
        CLINIC_NAME="Hair & <Scalp>",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import django; django.setup(); "
        "from django.test import Client; "
        "c = Client(HTTP_HOST='localhost', raise_request_exception=False); "
        "c.cookies['sessionid'] = 'x' * 32; "
        "r = c.get('/clients/'); "
        "print(r.status_code); print(r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    status, _, page = result.stdout.partition("\n")
    assert status == "500", result.stderr[-3000:]
    assert "Something went wrong on our side" in page
    assert "Back to the dashboard" in page
    assert "Hair &amp; &lt;Scalp&gt;" in page
    assert "unable to open database" in result.stderr  # it was the database


def test_favicon_ico_is_a_real_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age=86400" in response["Cache-Control"]
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO"
    assert (32, 32) in icon.info["sizes"]


@pytest.mark.parametrize("path", ["/accounts/login/", "/book/"])
def test_pages_name_the_icon(client, db, path):
    assert '<link rel="icon" href="/static/favicon.ico">' in client.get(path).text
