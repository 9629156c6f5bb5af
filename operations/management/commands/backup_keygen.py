import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from pyrage import x25519


class Command(BaseCommand):
    help = (
        "Make an age key pair for backups: the private key goes to FILE (readable by "
        "you only; keep it off the hosts that make backups), the public key is "
        "printed for BACKUP_AGE_RECIPIENTS."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *, file, **options):
        identity = x25519.Identity.generate()
        try:
            descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as error:
            raise CommandError(f"{file} exists already; not overwritten.") from error
        public = str(identity.to_public())
        with os.fdopen(descriptor, "w") as out:
            out.write(f"# SMP Clinic backup key\n# public key: {public}\n{identity}\n")
        self.stdout.write(f"BACKUP_AGE_RECIPIENTS={public}")
