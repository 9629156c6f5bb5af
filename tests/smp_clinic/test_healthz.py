import subprocess
import sys
from pathlib import Path

from tests.conftest import subprocess_env

BASE_DIR = Path(__file__).resolve().parents[2]


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_needs_no_login(client, db):
    assert client.get("/healthz").status_code == 200


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    # A real unreachable database, in a process of its own: nothing is mocked.
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    code = (
        "import django; django.setup(); "
        "from django.test import Client; "
        "r = Client(HTTP_HOST='localhost').get('/healthz'); "
        "print(r.status_code, r.content.decode().strip())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=subprocess_env(DATABASE_URL=f"sqlite:///{missing}", DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == "503 database unavailable", result.stderr
