from django.db import models


class BackupRun(models.Model):
    """One run of `manage.py backup` (or the daily task), successful or not.

    The dashboard's "last successful backup" and the metrics read these rows, so every
    web host sees the same answer whichever host made the backup.
    """

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices)
    # The archive's file name (never a path with credentials in it).
    archive_name = models.CharField(max_length=200, blank=True)
    archive_bytes = models.BigIntegerField(default=0)
    database_rows = models.BigIntegerField(default=0)
    media_files = models.IntegerField(default=0)
    media_bytes = models.BigIntegerField(default=0)
    # Why a run failed, for the operator: an error's class and message, which name
    # settings and files, never a record's contents.
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-finished_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["succeeded", "failed"]),
                name="backup_run_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(finished_at__gte=models.F("started_at")),
                name="backup_run_finishes_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="succeeded") | ~models.Q(archive_name=""),
                name="backup_run_success_names_archive",
            ),
        ]
        indexes = [models.Index(fields=["status", "-finished_at"])]

    def __str__(self):
        return (
            f"{self.get_status_display()} backup at {self.finished_at:%Y-%m-%d %H:%M}"
        )
