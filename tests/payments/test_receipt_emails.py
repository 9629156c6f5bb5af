"""Receipts and invoices by email (issue 22, step 4): a receipt goes to the client
through the outbox when issued, an invoice when the front desk asks; the row keeps
only the document's id and the PDF is drawn when the sweep sends it; one email per
document, whoever asks and however often."""

import pytest
from django.core import mail

from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import messages_send_due
from payments import services
from payments.models import Document
from tests.payments.test_documents import pay, pdf_text


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def pdf_emails():
    return [m for m in mail.outbox if any(a[0].endswith(".pdf") for a in m.attachments)]


def document_emails():
    return OutboundMessage.objects.filter(kind=MessageKind.DOCUMENT)


def test_a_receipt_is_emailed_with_its_pdf_drawn_at_send_time(
    front_desk, booked, locmem
):
    entry = pay(front_desk, booked, 15000)
    receipt = Document.objects.get(entry=entry)

    (message,) = document_emails()
    assert message.document_id == receipt.pk
    assert message.dedupe_key == f"document:{receipt.pk}"
    assert message.body == ""  # no file in the row, only the reference
    mail.outbox.clear()
    messages_send_due()

    (email,) = pdf_emails()
    assert email.to == [booked.client.email]
    assert f"receipt {receipt.reference}" in email.subject
    (name, content, mimetype) = email.attachments[0]
    assert name == f"{receipt.reference}.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert receipt.reference in pdf_text(content)
    # Sent once: a second sweep and a second ask write and send nothing more.
    mail.outbox.clear()
    messages_send_due()
    assert services.document_email(document=receipt, by=front_desk) is False
    messages_send_due()
    assert pdf_emails() == []
    assert document_emails().count() == 1


def test_an_invoice_is_emailed_when_the_front_desk_asks_once(
    client, front_desk, booked, locmem
):
    invoice = services.invoice_issue(appointment=booked, by=front_desk)
    assert not document_emails().filter(document_id=invoice.pk).exists()
    client.force_login(front_desk)

    first = client.post(
        f"/documents/{invoice.pk}/email/", {"next": "https://evil.example/"}
    )
    again = client.post(f"/documents/{invoice.pk}/email/", follow=True)
    mail.outbox.clear()
    messages_send_due()

    assert first.status_code == 302
    assert first["Location"] == f"/clients/{booked.client_id}/"
    assert "was emailed to the client already" in again.text
    assert document_emails().filter(document_id=invoice.pk).count() == 1
    sent = [m for m in mail.outbox if invoice.reference in m.subject]
    assert len(sent) == 1
    assert sent[0].attachments[0][0] == f"{invoice.reference}.pdf"


def test_a_hostile_name_breaks_neither_the_email_nor_the_pdf(
    front_desk, booked, locmem
):
    client = booked.client
    client.first_name = '<script>alert("x")</script> Zoë 😀'
    client.last_name = "O'Brien"
    client.save()
    pay(front_desk, booked, 15000)
    mail.outbox.clear()

    messages_send_due()

    (email,) = pdf_emails()
    html = email.alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'Hello <script>alert("x")</script> Zoë 😀' in email.body
    content = email.attachments[0][1]
    assert content.startswith(b"%PDF")
    assert "O'Brien" in pdf_text(content)


def test_a_purged_document_is_not_sent(front_desk, booked, locmem):
    entry = pay(front_desk, booked, 15000)
    Document.objects.filter(entry=entry).delete()
    mail.outbox.clear()

    messages_send_due()

    (message,) = document_emails()
    assert message.status == "cancelled"
    assert "no longer there" in message.last_error
    assert pdf_emails() == []


def test_the_receipt_text_is_the_clinics_own(client, manager, db):
    client.force_login(manager)

    page = client.get("/setup/messages/").text

    assert "Receipt or invoice" in page
    assert "{document}" in page


def test_a_role_without_bookings_cannot_send(client, outsider, front_desk, booked):
    invoice = services.invoice_issue(appointment=booked, by=front_desk)
    client.force_login(outsider)

    assert client.post(f"/documents/{invoice.pk}/email/").status_code == 403
    assert not document_emails().filter(document_id=invoice.pk).exists()
