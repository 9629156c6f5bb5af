from django.db import transaction
from django.utils import timezone

from smp_clinic.models import Heartbeat

WORKER_HEARTBEAT = "worker"


@transaction.atomic
def heartbeat_record(*, name: str = WORKER_HEARTBEAT) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now()}
    )
    return heartbeat
