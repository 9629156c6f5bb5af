"""A real Celery round trip: a task sent through a real broker to a real worker process.

The filesystem broker (the embedded default) needs no server and always runs; Redis runs
where CELERY_BROKER_URL points at it (CI). Nothing runs eagerly.
"""

import time
import uuid
from pathlib import Path

import pytest
from celery import Celery

from smp_clinic.models import Heartbeat
from tests.conftest import redis_url
from tests.processes import Worker


def filesystem_broker(var_dir: Path) -> tuple[str, dict]:
    folder = var_dir / "celery-broker"
    return "filesystem://", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
    }


def round_trip(*, broker_url: str, transport_options: dict, var_dir: Path) -> None:
    queue = f"test-{uuid.uuid4().hex[:12]}"
    worker = Worker(
        var_dir=var_dir,
        CELERY_BROKER_URL="" if broker_url == "filesystem://" else broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
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
