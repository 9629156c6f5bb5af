from celery import shared_task

from privacy.services import records_purge_expired


@shared_task
def purge_expired_records() -> None:
    """Daily; the same code path as `manage.py purge_expired_records`."""
    records_purge_expired()
