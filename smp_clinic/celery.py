"""The Celery app and the one beat schedule of the project.

Tasks are thin: they take ids, call a service and leave retries to Celery. Every
periodic job is listed here and nowhere else.
"""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smp_clinic.settings")

app = Celery("smp_clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "record-worker-heartbeat": {
        "task": "smp_clinic.tasks.record_heartbeat",
        "schedule": 60.0,
        # A heartbeat older than a minute says nothing new: drop it rather than queue.
        "options": {"expires": 55},
    },
    "send-due-messages": {
        "task": "messaging.tasks.send_due_messages",
        "schedule": settings.MESSAGE_SWEEP_SECONDS,
        # A sweep not started before the next is sent is replaced by it; claims keep
        # two overlapping sweeps from sending a message twice.
        "options": {"expires": settings.MESSAGE_SWEEP_SECONDS * 0.9},
    },
    "release-unpaid-deposit-holds": {
        "task": "payments.tasks.release_unpaid_holds",
        "schedule": 60.0,
        # The next run releases whatever this one would have: no queue of them.
        "options": {"expires": 55},
    },
    "purge-expired-records": {
        "task": "privacy.tasks.purge_expired_records",
        "schedule": 24 * 3600.0,
        "options": {"expires": 12 * 3600},
    },
    "backup-daily": {
        "task": "operations.tasks.backup_daily",
        "schedule": crontab(hour=settings.BACKUP_HOUR_UTC, minute=0),
        "options": {"expires": 12 * 3600},
    },
}
