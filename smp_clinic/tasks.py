from celery import shared_task

from core.accounts import password_reset_email_send
from smp_clinic.services import heartbeat_record


@shared_task
def record_heartbeat() -> None:
    heartbeat_record()


@shared_task
def send_password_reset(address: str) -> None:
    # An address, not a user id: whether an account has it is the worker's to find
    # out, so that the request does the same work either way.
    password_reset_email_send(address=address)
