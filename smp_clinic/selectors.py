from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from appointments.models import Location
from core.roles import Capability, Role, can
from smp_clinic.models import Heartbeat
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


@dataclass(frozen=True)
class AuditFilters:
    client_id: int | None = None
    actor_id: int | None = None
    action: str = ""
    record: int | None = None  # a content type id
    since: date | None = None
    until: date | None = None


# What a reader sees for an entry's action; an access with an export is "exported".
AUDIT_ACTIONS = {
    "created": Q(action=LogEntry.Action.CREATE),
    "changed": Q(action=LogEntry.Action.UPDATE),
    "deleted": Q(action=LogEntry.Action.DELETE),
    "viewed": Q(action=LogEntry.Action.ACCESS) & ~Q(additional_data__has_key="export"),
    "exported": Q(action=LogEntry.Action.ACCESS, additional_data__has_key="export"),
}


def audit_entries(*, user, filters: AuditFilters) -> QuerySet[LogEntry]:
    """The audit trail, newest first, for managers only (everyone else: 404)."""
    if not can(user, Capability.MANAGEMENT):
        raise Http404("No audit trail here.")
    entries = LogEntry.objects.select_related("actor", "content_type").order_by(
        "-timestamp", "-pk"
    )
    if filters.client_id is not None:
        entries = entries.filter(additional_data__client=filters.client_id)
    if filters.actor_id is not None:
        entries = entries.filter(actor_id=filters.actor_id)
    if filters.action:
        entries = entries.filter(AUDIT_ACTIONS[filters.action])
    if filters.record is not None:
        entries = entries.filter(content_type_id=filters.record)
    zone = timezone.get_current_timezone()
    if filters.since:
        entries = entries.filter(
            timestamp__gte=datetime.combine(filters.since, time.min, zone)
        )
    if filters.until:
        day_after = filters.until + timedelta(days=1)
        entries = entries.filter(
            timestamp__lt=datetime.combine(day_after, time.min, zone)
        )
    return entries


def audited_record_kinds() -> list[ContentType]:
    """The kinds of record the trail covers, for the filter's choices."""
    from core.audit import audited_models

    return sorted(
        ContentType.objects.get_for_models(*audited_models()).values(),
        key=lambda kind: kind.name,
    )


def export_locations() -> list[Location]:
    """The locations a manager exports the accounts of (Reports -> Money)."""
    return list(Location.objects.order_by("name"))
