from datetime import timedelta

import time_machine
from django.utils import timezone

from smp_clinic import tasks
from smp_clinic.celery import app
from smp_clinic.models import Heartbeat
from smp_clinic.selectors import system_status


def test_the_heartbeat_task_records_when_the_worker_last_ran(db):
    tasks.record_heartbeat()
    first = Heartbeat.objects.get(name="worker").beat_at

    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        tasks.record_heartbeat()

    assert Heartbeat.objects.count() == 1
    assert Heartbeat.objects.get().beat_at - first >= timedelta(minutes=1)


def test_the_worker_is_alive_only_with_a_recent_heartbeat(db):
    assert not system_status().worker_is_alive
    tasks.record_heartbeat()
    assert system_status().worker_is_alive

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert not system_status().worker_is_alive


def test_the_beat_schedule_runs_the_heartbeat_every_minute():
    entry = app.conf.beat_schedule["record-worker-heartbeat"]

    assert entry["task"] == tasks.record_heartbeat.name
    assert entry["schedule"] == 60.0


def test_celery_is_configured_for_reliability_and_never_eager():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_always_eager is False
