"""A real Celery round trip: a task sent through a real broker to a real worker process.

The filesystem broker (the embedded default) needs no server and always runs; Redis runs
where CELERY_BROKER_URL points at it (CI). Nothing runs eagerly.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection

from smp_clinic.models import Heartbeat
from tests.conftest import redis_url, subprocess_env

BASE_DIR = Path(__file__).resolve().parents[2]


def worker_database_url() -> str:
    """The URL of the database this test runs on, for the worker process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    credentials = quote(s["USER"] or "")
    if s["PASSWORD"]:
        credentials += ":" + quote(s["PASSWORD"])
    return (
        f"postgres://{credentials}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}"
    )


def filesystem_broker(var_dir: Path) -> tuple[str, dict]:
    folder = var_dir / "celery-broker"
    return "filesystem://", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
    }


class Worker:
    """A `celery worker` process of the project, on its own queue."""

    def __init__(self, *, broker_url: str, queue: str, var_dir: Path):
        env = subprocess_env(
            DATABASE_URL=worker_database_url(),
            CELERY_BROKER_URL="" if broker_url == "filesystem://" else broker_url,
            CELERY_TASK_DEFAULT_QUEUE=queue,
            VAR_DIR=str(var_dir),
            SECRET_KEY=os.environ["SECRET_KEY"],
            PYTHONPATH=str(BASE_DIR),
        )
        command = [sys.executable, "-m", "celery", "-A", "smp_clinic", "worker"]
        command += ["--pool=solo", "--without-mingle", "--without-gossip", "-l", "INFO"]
        self.process = subprocess.Popen(
            command,
            cwd=var_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if " ready." in line:
                self.ready.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_ready(self, timeout: float = 60) -> None:
        # Until the worker has declared its queue, a message sent to it has no route.
        if not self.ready.wait(timeout):
            self.stop()
            pytest.fail("the worker did not start:\n" + self.output)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)


def round_trip(*, broker_url: str, transport_options: dict, var_dir: Path) -> None:
    queue = f"test-{uuid.uuid4().hex[:12]}"
    worker = Worker(broker_url=broker_url, queue=queue, var_dir=var_dir)
    sender = Celery("test-sender", broker=broker_url)
    sender.conf.broker_transport_options = transport_options
    try:
        worker.wait_until_ready()
        # An explicit connection: Celery prefers $CELERY_BROKER_URL to the app's URL.
        with sender.connection_for_write(broker_url) as connection:
            sender.send_task(
                "smp_clinic.tasks.record_heartbeat", queue=queue, connection=connection
            )
        deadline = time.monotonic() + 60
        while not Heartbeat.objects.exists() and time.monotonic() < deadline:
            assert worker.process.poll() is None, "the worker died:\n" + worker.output
            time.sleep(0.2)
    finally:
        worker.stop()
        sender.close()
    assert Heartbeat.objects.filter(name="worker").exists(), worker.output
    assert "record_heartbeat" in worker.output, worker.output
    assert "succeeded" in worker.output, worker.output


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_task_sent_through_the_filesystem_broker(tmp_path):
    url, options = filesystem_broker(tmp_path)
    for folder in options.values():
        Path(folder).mkdir(parents=True, exist_ok=True)

    round_trip(broker_url=url, transport_options=options, var_dir=tmp_path)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_task_sent_through_redis(tmp_path):
    round_trip(broker_url=redis_url(), transport_options={}, var_dir=tmp_path)
