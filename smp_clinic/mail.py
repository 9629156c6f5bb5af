"""The embedded default email backend: one .eml file per message.

Django's own file backend appends every message of a connection to one .log file;
an .eml file per message opens in any mail program, attachments included.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str | None = None, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.file_path = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        sent = 0
        try:
            self.file_path.mkdir(parents=True, exist_ok=True)
            for message in email_messages:
                if not message.recipients():
                    continue
                stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
                path = self.file_path / f"{stamp}-{secrets.token_hex(4)}.eml"
                path.write_bytes(message.message().as_bytes(linesep="\n"))
                sent += 1
        except OSError:
            if not self.fail_silently:
                raise
        return sent
