from celery import shared_task

from messaging.outbox import messages_send_due


@shared_task
def send_due_messages() -> None:
    """The periodic sweep; the same code path as `manage.py send_due_messages`."""
    messages_send_due()
