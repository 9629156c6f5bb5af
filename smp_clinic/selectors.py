from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from smp_clinic.models import Heartbeat
from smp_clinic.roles import Role
from smp_clinic.services import WORKER_HEARTBEAT

# The beat schedule records a heartbeat every minute; allow for one missed beat.
HEARTBEAT_STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class SystemStatus:
    database_vendor: str
    broker: str
    email_delivery: str
    worker_beat_at: datetime | None

    @property
    def worker_is_alive(self) -> bool:
        return (
            self.worker_beat_at is not None
            and timezone.now() - self.worker_beat_at < HEARTBEAT_STALE_AFTER
        )


def system_status() -> SystemStatus:
    """What a manager needs to know to trust that reminders go out."""
    broker_scheme = settings.CELERY_BROKER_URL.split("://", 1)[0]
    if settings.EMAIL_HOST:
        email_delivery = f"SMTP via {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    else:
        email_delivery = f"Local outbox folder {settings.EMAIL_FILE_PATH}"
    heartbeat = Heartbeat.objects.filter(name=WORKER_HEARTBEAT).first()
    return SystemStatus(
        database_vendor=connection.display_name,
        broker=broker_scheme,
        email_delivery=email_delivery,
        worker_beat_at=heartbeat.beat_at if heartbeat else None,
    )


def staff_by_role() -> dict[str, list]:
    """Active staff accounts grouped by role name, for the manager's dashboard."""
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .prefetch_related("groups")
        .order_by("first_name", "last_name", "username")
    )
    grouped: dict[str, list] = {role.value: [] for role in Role}
    grouped["No role"] = []
    for user in users:
        names = [group.name for group in user.groups.all() if group.name in grouped]
        if user.is_superuser and Role.MANAGER.value not in names:
            names.append(Role.MANAGER.value)
        for name in names or ["No role"]:
            grouped[name].append(user)
    return grouped
