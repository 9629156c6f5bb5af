import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from smp_clinic.roles import Role
from smp_clinic.services import staff_create

CHROMIUM = Path("/usr/bin/chromium")
# In CI every service is there and a test that needs one must run: it fails, not skips.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
MISSING = "SERVICE MISSING"


# Set for the test process only; a process a test starts must not inherit them.
TEST_ONLY_VARIABLES = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The environment for a process a test starts, less the test-only values."""
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
    return {**env, "DJANGO_SETTINGS_MODULE": "smp_clinic.settings", **overrides}


def redis_url() -> str | None:
    url = settings.CELERY_BROKER_URL
    return url if url.startswith(("redis://", "rediss://")) else None


def _missing_service(item) -> str | None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if item.get_closest_marker("redis") and redis_url() is None:
        return "needs Redis: set CELERY_BROKER_URL=redis://..."
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        return f"needs Chromium at {CHROMIUM}: apt-get install chromium"
    return None


def pytest_runtest_setup(item):
    reason = _missing_service(item)
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 and this test {reason}", pytrace=False)
    pytest.skip(f"{MISSING}: {reason}")


def pytest_terminal_summary(terminalreporter):
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if MISSING in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_sep(
            "!",
            f"{len(skipped)} tests SKIPPED because a service is missing "
            "(PostgreSQL, Redis or Chromium); CI runs them with REQUIRE_SERVICES=1",
            yellow=True,
            bold=True,
        )


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Production serves hashed names from collectstatic's manifest; tests have none.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture(autouse=True)
def _outbox_in_tmp(settings, tmp_path):
    settings.EMAIL_FILE_PATH = tmp_path / "outbox"


@pytest.fixture
def make_staff(db):
    """A staff account with the given role (None: an outsider with no role)."""
    counter = iter(range(1, 10_000))

    def make(role: Role | None, *, password: str | None = None, **fields):
        number = next(counter)
        slug = role.name.lower() if role else "outsider"
        fields.setdefault("username", f"{slug}{number}")
        fields.setdefault("email", f"{fields['username']}@staff.test")
        fields.setdefault("first_name", slug.replace("_", " ").title())
        return staff_create(roles=[role] if role else [], password=password, **fields)

    return make


@pytest.fixture
def front_desk(make_staff):
    return make_staff(Role.FRONT_DESK)


@pytest.fixture
def practitioner(make_staff):
    return make_staff(Role.PRACTITIONER)


@pytest.fixture
def manager(make_staff):
    return make_staff(Role.MANAGER)


@pytest.fixture
def outsider(make_staff):
    return make_staff(None)


@pytest.fixture
def staff_by_role(front_desk, practitioner, manager, outsider):
    return {
        "front_desk": front_desk,
        "practitioner": practitioner,
        "manager": manager,
        "outsider": outsider,
    }
