"""Settings are read from the environment; production refuses unsafe ones."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import subprocess_env

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-like-secret-key-" + "x" * 40,
    "SITE_URL": "https://clinic.example.com",
    "DATABASE_URL": "sqlite:////tmp/smp-clinic-check-deploy.sqlite3",
}


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_django("print('started')", DEBUG="0")

    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_runs_with_a_development_key():
    result = run_django(
        "from django.conf import settings; print(settings.SECRET_KEY[:15])", DEBUG="1"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django-insecure"


def test_debug_is_off_unless_asked_for():
    result = run_django(
        "from django.conf import settings; print(settings.DEBUG)",
        SECRET_KEY="k" * 50,
    )

    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_boolean_that_is_not_one_is_refused_by_name(value):
    result = run_django("pass", DEBUG=value)

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_an_https_site_url_switches_on_secure_cookies_and_hsts():
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS[0], s.CSRF_TRUSTED_ORIGINS)",
        **PRODUCTION,
    )

    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "clinic.example.com",
        "['https://clinic.example.com']",
    ], result.stderr


def test_check_deploy_with_production_variables_reports_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=subprocess_env(**PRODUCTION),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_database_and_broker_come_from_the_environment():
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)",
        DEBUG="1",
        DATABASE_URL="postgres://u@db.internal:5432/clinic",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
    )

    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://cache.internal:6379/0",
    ], result.stderr


def test_the_embedded_default_needs_no_server(tmp_path):
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND)",
        DEBUG="1",
        VAR_DIR=str(tmp_path),
        DATABASE_URL="",
        CELERY_BROKER_URL="",
        EMAIL_HOST="",
    )

    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "core.mail.EmlFileBackend",
    ], result.stderr
    assert (tmp_path / "celery-broker" / "queue").is_dir()


def test_the_embedded_default_keeps_its_sqlite_connection_between_requests(tmp_path):
    """Opened once with its pragmas, kept when a request ends (request_finished
    calls close_old_connections), not opened again for every request."""
    result = run_django(
        "from django.db import close_old_connections, connection; "
        "cursor = connection.cursor(); "
        "cursor.execute('PRAGMA journal_mode'); journal = cursor.fetchone()[0]; "
        "cursor.execute('PRAGMA synchronous'); synchronous = cursor.fetchone()[0]; "
        "raw = connection.connection; close_old_connections(); "
        "print(journal, synchronous, connection.connection is raw)",
        DEBUG="1",
        VAR_DIR=str(tmp_path),
        DATABASE_URL="",
    )

    # WAL kept, synchronous NORMAL (1), the same connection after the request ends.
    assert result.stdout.split() == ["wal", "1", "True"], result.stderr
