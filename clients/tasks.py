from celery import shared_task

from clients.outbox import messages_send_due
from clients.services import records_purge_expired


@shared_task
def send_due_messages() -> None:
    """The periodic sweep; the same code path as `manage.py send_due_messages`."""
    messages_send_due()


@shared_task
def purge_expired_records() -> None:
    """Daily; the same code path as `manage.py purge_expired_records`."""
    records_purge_expired()
