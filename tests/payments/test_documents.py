"""Receipts and invoices: numbered per location in an unbroken sequence (a locked
counter row: concurrent issues neither skip nor repeat a number), drawn as PDF from
the row as issued, downloadable by staff."""

import re
import threading
import zlib

import pytest
from django.db import connection, transaction
from django.urls import reverse

from appointments.models import Appointment
from payments import services
from payments.models import Document, LedgerEntry


def pay(user, appointment, minor=5000, kind="payment"):
    return services.entry_record(
        kind=kind,
        client=appointment.client,
        appointment=appointment,
        amount_minor=minor,
        method="cash",
        recorded_by=user,
    )


def pdf_text(content: bytes) -> str:
    """The text drawn on a PDF's pages (fpdf2 deflates each page's stream)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    text = b""
    for stream in streams:
        try:
            text += zlib.decompress(stream)
        except zlib.error:
            text += stream
    return text.decode("latin-1")


def test_each_payment_gets_the_next_receipt_number_of_its_location(
    front_desk, booked, new_york
):
    first, second = pay(front_desk, booked), pay(front_desk, booked, kind="deposit")
    receipts = [first.receipt, second.receipt]
    assert [r.number for r in receipts] == [1, 2]
    assert receipts[0].reference == f"R-{booked.location_id:04d}-000001"
    assert receipts[0].total_minor == 5000 and receipts[0].currency == "GBP"
    # Another location counts from 1.
    Appointment.objects.filter(pk=booked.pk).update(location=new_york)
    booked.refresh_from_db()
    assert pay(front_desk, booked).receipt.number == 1


def test_a_rolled_back_payment_gives_its_number_back(front_desk, booked):
    pay(front_desk, booked)
    with pytest.raises(RuntimeError), transaction.atomic():
        pay(front_desk, booked)
        raise RuntimeError("the card terminal failed")
    assert pay(front_desk, booked).receipt.number == 2
    assert LedgerEntry.objects.count() == 2


def test_staff_download_a_receipt_with_the_clinic_s_details_and_tax(
    client, front_desk, outsider, booked
):
    location = booked.location
    location.legal_name, location.tax_number = "Hairline <Studio> Ltd", "GB123456789"
    location.address, location.tax_rate = "12 Curtain Road\nLondon", 20
    location.save()
    booked.client.first_name = "Jo 💈"
    booked.client.save()
    receipt = pay(front_desk, booked, minor=12000).receipt
    assert receipt.tax_minor == 2000
    client.force_login(front_desk)
    page = client.get(reverse("appointment_detail", args=[booked.pk])).text
    url = reverse("document_pdf", args=[receipt.pk])
    assert url in page
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="{receipt.reference}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in (
        "Hairline <Studio> Ltd",
        "GB123456789",
        receipt.reference,
        "\xa3120.00",
        "\xa320.00",
        "20%",
        "Jo ?",
    ):
        assert expected in text, expected
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_the_front_desk_issues_one_invoice_for_an_appointment(
    client, front_desk, booked
):
    client.force_login(front_desk)
    url = reverse("appointment_invoice", args=[booked.pk])
    response = client.post(url, follow=True)
    assert "alert-danger" not in response.text, response.text[-3000:]
    invoice = Document.objects.get(kind="invoice")
    assert (invoice.number, invoice.total_minor) == (1, 40000)
    assert f"Issued Invoice {invoice.reference}" in response.text
    response = client.post(url, follow=True)
    assert "has its invoice already" in response.text
    assert Document.objects.filter(kind="invoice").count() == 1


def test_a_cancelled_appointment_is_not_invoiced(front_desk, booked):
    Appointment.objects.filter(pk=booked.pk).update(
        status="cancelled", cancellation_reason="Ill"
    )
    booked.refresh_from_db()
    with pytest.raises(Exception, match="not invoiced"):
        services.invoice_issue(appointment=booked, by=front_desk)
    assert not Document.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_neither_skip_nor_repeat_a_number(
    frozen_now, jo, consultation, sam, front_desk, rooms
):
    from datetime import UTC, datetime

    from appointments import services as booking

    appointment = booking.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC),
        booked_by=front_desk,
    )
    start = threading.Barrier(8)
    errors = []

    def one():
        try:
            start.wait()
            pay(front_desk, appointment, minor=1000)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    numbers = sorted(Document.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 9))
