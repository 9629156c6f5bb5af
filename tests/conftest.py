import os
import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from appointments.models import (
    Location,
    Practitioner,
    Room,
    Service,
    WorkingHours,
)
from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import Client, ConsentKind, HairLossCause
from clients.services import consent_text_publish
from core.accounts import staff_create
from core.roles import Role

CHROMIUM = Path("/usr/bin/chromium")
# axe-core, from the npm registry (tests/e2e/package.json; `make install-test`).
AXE = Path(__file__).resolve().parent / "e2e/node_modules/axe-core/axe.min.js"
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
    if item.get_closest_marker("redis_server") and not shutil.which("redis-server"):
        return "needs the redis-server program: apt-get install redis-server"
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        return f"needs Chromium at {CHROMIUM}: apt-get install chromium"
    if item.get_closest_marker("axe") and not AXE.exists():
        return "needs axe-core: npm ci --prefix tests/e2e (make install-test)"
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
            "(PostgreSQL, Redis, Chromium or axe-core); CI runs them with "
            "REQUIRE_SERVICES=1",
            yellow=True,
            bold=True,
        )


# Rows the migrations write: the role groups and the default aftercare texts. A
# transactional test empties every table as it ends. Run alone, pytest-django puts
# those tests last; spread over processes (pytest-xdist), the next test in the same
# process may need the rows, so they are put back after each such test.
MIGRATION_DATA = ("auth.Group", "messaging.AftercareStep")
_migration_rows: dict[str, str] = {}
_db_blocker = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.apps import apps
    from django.core import serializers

    with django_db_blocker.unblock():
        for label in MIGRATION_DATA:
            _migration_rows[label] = serializers.serialize(
                "json",
                apps.get_model(label).objects.all(),
                use_natural_foreign_keys=True,
            )
    _db_blocker.append(django_db_blocker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        # After the last test the test database is gone (nextitem is None). Any test
        # that used the database is checked, however pytest-django emptied it
        # (transaction=True, live_server, reset_sequences, a TransactionTestCase).
        if _db_blocker and nextitem is not None and _used_the_database(item):
            _restore_migration_rows()


def _used_the_database(item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(
        names & {"_django_db_helper", "db", "transactional_db", "live_server"}
    )


def _restore_migration_rows() -> None:
    from django.apps import apps
    from django.core import serializers
    from django.core.management.color import no_style

    with _db_blocker[0].unblock():
        for label, rows in _migration_rows.items():
            model = apps.get_model(label)
            if model.objects.exists():
                continue
            for row in serializers.deserialize("json", rows):
                row.save()
            # As loaddata does: the next id after those put back, not 1 again after
            # a test that reset the sequences.
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                    cursor.execute(sql)


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
def _cache_in_memory(settings):
    # Not the embedded default's files under var/: a test's cache is its process's.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    # Every LocMemCache with the same location shares one store for the process:
    # without this, rate-limit counts (signed links, logins) carried over from earlier
    # tests under a frozen clock, and a test refused with 429 depended on the order.
    from django.core.cache import cache

    from appointments import calendar_cache

    cache.clear()
    # What a process keeps under the set-up's version goes with the cache it is
    # keyed on: under a frozen clock each test's cache starts the same version.
    calendar_cache.set_up_forget()


@pytest.fixture(autouse=True)
def _outbox_in_tmp(settings, tmp_path):
    settings.EMAIL_FILE_PATH = tmp_path / "outbox"


@pytest.fixture(autouse=True)
def _two_factor_settled(settings):
    """force_login stands for a finished login, second factor included.
    tests/smp_clinic/test_two_factor.py turns the requirement back on."""
    settings.TWO_FACTOR_REQUIRED = False


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


# Scheduling fixtures shared by the appointments and clients tests.

# A Monday; the tests' clock stands here unless they move it.
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def london(db):
    return Location.objects.create(name="London", timezone="Europe/London")


@pytest.fixture
def rooms(london):
    return [Room.objects.create(location=london, name=f"Room {n}") for n in (1, 2)]


@pytest.fixture
def smp_session(db):
    return Service.objects.create(
        name="SMP session",
        kind=Service.Kind.SMP_SESSION,
        duration_minutes=120,
        buffer_before_minutes=15,
        buffer_after_minutes=15,
        needs_room=True,
        price_minor=40000,
        deposit_minor=10000,
    )


@pytest.fixture
def consultation(db):
    return Service.objects.create(
        name="Consultation",
        kind=Service.Kind.CONSULTATION,
        duration_minutes=30,
        needs_room=False,
    )


@pytest.fixture
def make_practitioner(make_staff, london):
    """A practitioner at London, 09:00–12:00 and 13:00–17:00 every day."""

    def make(name="Sam", *, location=None, blocks=((9, 12), (13, 17))):
        location = location or london
        user = make_staff(Role.PRACTITIONER, first_name=name, last_name="Okafor")
        practitioner = Practitioner.objects.create(user=user, licence_number="BA-1")
        practitioner.locations.add(location)
        WorkingHours.objects.bulk_create(
            WorkingHours(
                practitioner=practitioner,
                location=location,
                weekday=weekday,
                start_time=time(start),
                end_time=time(end),
            )
            for weekday in range(7)
            for start, end in blocks
        )
        return practitioner

    return make


@pytest.fixture
def sam(make_practitioner):
    return make_practitioner("Sam")


@pytest.fixture
def alex(make_practitioner):
    return make_practitioner("Alex")


@pytest.fixture
def jo(db):
    return Client.objects.create(first_name="Jo", last_name="Bloggs", email="jo@x.test")


@pytest.fixture
def make_client(db):
    counter = iter(range(1, 100_000))

    def make():
        n = next(counter)
        return Client.objects.create(first_name=f"Client{n}", last_name="Test")

    return make


def make_treatment_ready(client: Client, *, by, born: date = date(1985, 5, 5)):
    """Give `client` what every gate before treatment asks for (appointments.gates):
    a date of birth, a complete intake, a suitability decision that allows treatment
    and the treatment consent signed on the current text. What the client already
    has is kept (their intake answers, a decision already made); a test about one
    gate takes its item away afterwards. Patch tests and hairline sign-off belong to
    the test (they depend on the service and the plan)."""
    if client.date_of_birth is None:
        client.date_of_birth = born
        client.save(update_fields=["date_of_birth"])
    intake = client_selectors.intake_for(client)
    answers = {
        "hair_loss_cause": HairLossCause.ANDROGENETIC,
        "scale": "norwood",
        "stage": "IV",
        "fitzpatrick": 3,
        "pigment_reaction": False,
    }
    fields = {
        name: value
        for name, value in answers.items()
        if intake is None or getattr(intake, name) in ("", None)
    }
    if intake is not None and intake.scale and intake.stage:
        fields.pop("scale", None)
        fields.pop("stage", None)
    if fields:
        client_services.intake_save(client=client, fields=fields, by=by)
    if client_selectors.suitability_latest(client) is None:
        assessment = client_selectors.client_assessment(client)
        client_services.suitability_decide(
            client=client, decision=assessment.recommendation, by=by
        )
    status = client_selectors.treatment_consent_status(client)
    text = status.text or consent_text_publish(
        kind=ConsentKind.TREATMENT,
        title="Treatment consent",
        body="I agree to scalp micropigmentation.",
    )
    if status.text is None or status.needs_signature:
        client_services.consent_sign(
            client=client, text=text, typed_name=client.full_name or "Client", by=by
        )
    return client


@pytest.fixture
def treatment_ready(practitioner):
    """make_treatment_ready(client), with a practitioner recording it."""

    def make(client: Client, **kwargs):
        return make_treatment_ready(client, by=kwargs.pop("by", practitioner), **kwargs)

    return make


@pytest.fixture
def consent_texts(db):
    return {
        kind: consent_text_publish(
            kind=kind, title=f"{label} consent", body=f"I agree to {label.lower()}."
        )
        for kind, label in ConsentKind.choices
    }
