from celery import shared_task

from operations.services import backup_create


@shared_task
def backup_daily() -> None:
    """Daily on the beat; the same code path as `manage.py backup`. A failure is
    recorded (the dashboard turns red) and raised for the worker's log."""
    backup_create()
