from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.services import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one encrypted archive of the database and the private media (photos, "
        "signatures, documents) to BACKUP_DIR, encrypted to BACKUP_AGE_RECIPIENTS, "
        "then delete what the retention policy lets go. Runs daily on the beat."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to", type=Path, help="A folder other than BACKUP_DIR for this archive."
        )

    def handle(self, *, to, **options):
        try:
            result = backup_create(folder=to)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{result.archive}\n"
            f"tables {result.tables}, rows {result.rows}, files {result.files}, "
            f"media bytes {result.media_bytes}, archive bytes {result.archive_bytes}, "
            f"seconds {result.seconds:.1f}"
        )
        for name in result.pruned:
            self.stdout.write(f"deleted by retention: {name}")
