from celery import shared_task

from smp_clinic.services import heartbeat_record


@shared_task
def record_heartbeat() -> None:
    heartbeat_record()
