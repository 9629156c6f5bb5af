import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from prometheus_client.parser import text_string_to_metric_families

from clients.models import Client
from messaging.models import MessageKind, MessageStatus, OutboundMessage
from operations.models import BackupRun
from operations.retention import archive_name
from tests.conftest import subprocess_env
from tests.processes import BASE_DIR, free_port, worker_database_url

TOKEN = "metrics-token-for-tests-0123456789"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client, token=TOKEN):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def samples(response) -> dict:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_without_a_token_configured_there_is_no_metrics_url(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert scrape(client, "").status_code == 404


def test_a_missing_token_is_401_and_a_wrong_one_403(client, metrics_on, manager):
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert scrape(client, "wrong").status_code == 403
    assert scrape(client, TOKEN[:-1]).status_code == 403
    basic = client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    assert basic.status_code == 403
    # A manager's session is not a token.
    client.force_login(manager)
    assert client.get("/metrics").status_code == 401
    assert client.post(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    ).status_code == (405)


def message(client_record, *, status, due_at, key):
    return OutboundMessage.objects.create(
        client=client_record,
        kind=MessageKind.CONFIRMATION,
        due_at=due_at,
        status=status,
        dedupe_key=key,
        sent_at=due_at if status == MessageStatus.SENT else None,
    )


def test_it_reports_the_outbox_and_the_backups(client, metrics_on, db):
    jo = Client.objects.create(
        first_name="Jo<script>", last_name="Bloggs", email="jo@x.test"
    )
    message(
        jo, status=MessageStatus.PENDING, due_at=NOW - timedelta(minutes=90), key="a"
    )
    message(
        jo, status=MessageStatus.SENDING, due_at=NOW - timedelta(minutes=5), key="b"
    )
    message(jo, status=MessageStatus.PENDING, due_at=NOW + timedelta(days=1), key="c")
    message(jo, status=MessageStatus.FAILED, due_at=NOW - timedelta(days=1), key="d")
    message(jo, status=MessageStatus.SENT, due_at=NOW - timedelta(days=2), key="e")
    backed_up = NOW - timedelta(hours=3)
    BackupRun.objects.create(
        started_at=backed_up,
        finished_at=backed_up,
        status=BackupRun.Status.SUCCEEDED,
        archive_name=archive_name(backed_up),
    )
    BackupRun.objects.create(
        started_at=NOW - timedelta(hours=1),
        finished_at=NOW - timedelta(hours=1),
        status=BackupRun.Status.FAILED,
        error="ArchiveError: no key",
    )

    with time_machine.travel(NOW, tick=False):
        response = scrape(client)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert (
        "no-store" in response["Cache-Control"]
        or "max-age=0" in response["Cache-Control"]
    )
    found = samples(response)
    assert found[("smp_outbox_due_messages", ())] == 2
    assert found[("smp_outbox_oldest_due_age_seconds", ())] == 90 * 60
    assert found[("smp_outbox_failed_messages", ())] == 1
    assert found[("smp_backup_last_success_age_seconds", ())] == 3 * 3600
    assert found[("smp_backup_last_run_failed", ())] == 1
    assert b"jo@x.test" not in response.content and b"Jo" not in response.content


def test_without_any_backup_the_age_is_infinite(client, metrics_on, db):
    found = samples(scrape(client))
    assert found[("smp_backup_last_success_age_seconds", ())] == float("inf")
    assert found[("smp_outbox_oldest_due_age_seconds", ())] == 0


def test_request_latency_is_counted_by_view_never_by_path(client, metrics_on, db):
    def count(view):
        return samples(scrape(client)).get(
            (
                "smp_http_request_duration_seconds_count",
                (("method", "GET"), ("status", "2xx"), ("view", view)),
            ),
            0,
        )

    before = count("healthz")
    client.get("/healthz")
    client.get("/healthz")
    client.get("/m/some-secret-token-123456/")

    assert count("healthz") == before + 2
    body = scrape(client).content.decode()
    assert 'view="message_link"' in body
    assert "some-secret-token" not in body


@pytest.mark.django_db(transaction=True)
def test_several_gunicorn_workers_count_every_request_in_multiprocess_mode(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR, whichever worker answers the scrape reports
    the requests all of them served."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "smp_clinic.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
        ],
        cwd=BASE_DIR,
        env=subprocess_env(
            SECRET_KEY=os.environ["SECRET_KEY"],
            DATABASE_URL=worker_database_url(),
            VAR_DIR=str(tmp_path / "var"),
            METRICS_TOKEN=TOKEN,
            PROMETHEUS_MULTIPROC_DIR=str(shared),
            LOG_LEVEL="WARNING",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Three workers booting on a busy CI machine: a minute at most.
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=30)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for _ in range(30):
            requests.get(f"{base}/healthz", timeout=30)
        counts = []
        for _ in range(5):
            scraped = requests.get(
                f"{base}/metrics",
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
            )
            assert scraped.status_code == 200, scraped.text
            for family in text_string_to_metric_families(scraped.text):
                counts += [
                    s.value
                    for s in family.samples
                    if s.name == "smp_http_request_duration_seconds_count"
                    and s.labels.get("view") == "healthz"
                ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0]

    # Every scrape, whichever worker answered it, counts the thirty requests and
    # those that found the server up (one, or more that timed out while it booted).
    assert len(counts) == 5, output[-2000:]
    assert len(set(counts)) == 1 and counts[0] >= 31, (counts, output[-2000:])
