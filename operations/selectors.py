from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from operations.models import BackupRun


@dataclass(frozen=True)
class BackupStatus:
    """What the manager's dashboard and /metrics say about backups."""

    configured: bool
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_archive_name: str

    @property
    def age(self) -> timedelta | None:
        if self.last_success_at is None:
            return None
        return timezone.now() - self.last_success_at

    @property
    def is_overdue(self) -> bool:
        """No successful backup for BACKUP_STALE_HOURS (26: a daily backup and two
        hours' grace), or none at all."""
        age = self.age
        return age is None or age > timedelta(hours=settings.BACKUP_STALE_HOURS)

    @property
    def last_run_failed(self) -> bool:
        return self.last_failure_at is not None and (
            self.last_success_at is None or self.last_failure_at > self.last_success_at
        )


def backup_status() -> BackupStatus:
    success = (
        BackupRun.objects.filter(status=BackupRun.Status.SUCCEEDED)
        .order_by("-finished_at")
        .only("finished_at", "archive_name")
        .first()
    )
    failure_at = (
        BackupRun.objects.filter(status=BackupRun.Status.FAILED)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    return BackupStatus(
        configured=bool(settings.BACKUP_AGE_RECIPIENTS),
        last_success_at=success.finished_at if success else None,
        last_failure_at=failure_at,
        last_archive_name=success.archive_name if success else "",
    )
