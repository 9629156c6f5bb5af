"""What the outbox asks of the apps beside it (core/hooks.py), filled in by the
project (smp_clinic/apps.py), since messaging and payments are siblings that import
neither the other."""

from dataclasses import dataclass

from core.hooks import Hook


@dataclass(frozen=True)
class DocumentFile:
    """A receipt or invoice as an email carries it, drawn afresh when it is sent."""

    label: str  # "receipt R-0001-000042", as the email names it
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


# The file of the document with this id (payments' Document), or None when it is no
# longer there (a purged client's): the outbox keeps only the id, never the file.
document_file = Hook("document_file", "document_id")
