"""Where the project joins sibling apps that import neither the other (DESIGN.md's
features layer): each function is a listener on one app's hook that calls the other.
Connected in SmpClinicConfig.ready()."""

from messaging import outbox
from messaging.hooks import DocumentFile
from payments.models import Document
from payments.pdf import document_pdf


def document_to_outbox(*, document: Document) -> bool:
    """payments' document_to_send: email the receipt or invoice through the outbox,
    in the issuing transaction; whether the email is new (one per document)."""
    _message, created = outbox.document_message_write(
        document_id=document.pk, client=document.client
    )
    return created


def document_file(*, document_id: int) -> DocumentFile | None:
    """messaging's document_file: the PDF drawn now from the Document as issued, or
    None when it is gone (a purged client's)."""
    document = (
        Document.objects.select_related("location", "client", "entry")
        .filter(pk=document_id)
        .first()
    )
    if document is None:
        return None
    return DocumentFile(
        label=f"{document.get_kind_display().lower()} {document.reference}",
        filename=f"{document.reference}.pdf",
        content=document_pdf(document),
    )
