import subprocess
import sys
from pathlib import Path

from tests.conftest import subprocess_env

BASE_DIR = Path(__file__).resolve().parents[2]


def test_healthz_answers_ok_with_each_dependency_when_all_answer(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_needs_no_login(client, db):
    assert client.get("/healthz").status_code == 200


def test_healthz_answers_503_only_when_the_database_does_not_answer(tmp_path):
    # A real unreachable database, in a process of its own: nothing is mocked.
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    code = (
        "import django; django.setup(); "
        "from django.test import Client; "
        "r = Client(HTTP_HOST='localhost').get('/healthz'); "
        "print(r.status_code, r.json()['status'], r.json()['database'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=subprocess_env(DATABASE_URL=f"sqlite:///{missing}", DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == "503 down down", result.stderr
