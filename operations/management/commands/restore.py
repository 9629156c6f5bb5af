from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.services import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive made by `manage.py backup` into the configured database "
        "and private media folder, which must be empty (or pass --force). The archive "
        "is decrypted with the age private key in BACKUP_AGE_IDENTITY_FILE (or "
        "--identity) and every file checked against the manifest first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--identity", type=Path, help="The age private key file to decrypt with."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore even though the database or media folder is not empty, "
            "replacing what the archive holds.",
        )

    def handle(self, *, archive, identity, force, **options):
        try:
            result = backup_restore(
                archive=archive, identity_file=identity, force=force
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"restored the backup made {result.created_at}: tables {result.tables}, "
            f"rows {result.rows}, files {result.files}, media bytes "
            f"{result.media_bytes}, seconds {result.seconds:.1f}"
        )
