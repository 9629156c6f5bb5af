"""Mail helpers: plain-text rendering of email bodies, and the embedded default
email backend (one .eml file per message).

Django's own file backend appends every message of a connection to one .log file;
an .eml file per message opens in any mail program, attachments included.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import timezone


def render_plain_text(template_name: str, context: dict) -> str:
    """A text email's body (or subject) as a plain str.

    Text templates are written under `{% autoescape off %}`: in plain text `&` is an
    ampersand, not `&amp;`. Django returns the rendering marked safe, so a page that
    printed it (the staff view of a message) would serve a client's name, written by
    any visitor to the booking page, as live HTML. The plain str returned here is
    escaped like any other value wherever a template shows it."""
    # str.__str__ makes an exact str: str() keeps SafeString, whose __str__ is itself.
    return str.__str__(render_to_string(template_name, context))


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
