"""Receipts and invoices as PDF (fpdf2: pure Python, from PyPI alone).

Drawn from the Document row as issued, so the same document always prints the same.
The PDF core fonts know Latin-1 only: a character outside it (an emoji in a name)
prints as "?", and an amount whose symbol is outside it (€) is written with its code.

fpdf2 is imported when a PDF is drawn: with fontTools under it, it is some 45 MB of
every process that imports it, and few requests draw one (bench/RESULTS.md).
"""

from core.money import format_money, to_major
from payments.models import Document


def latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def amount(minor: int, currency: str, locale: str) -> str:
    written = format_money(minor, currency, locale)
    if latin1(written) == written:
        return written
    return f"{currency} {to_major(minor, currency):,}"


def document_pdf(document: Document) -> bytes:
    location = document.location
    locale = location.locale
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"{document.get_kind_display()} {document.reference}"))
    pdf.set_creator("SMP Clinic")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(
        0,
        10,
        latin1(location.legal_name or location.name),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=10)
    for line in (location.address or "").splitlines():
        pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    if location.tax_number:
        pdf.cell(
            0,
            5,
            latin1(f"Tax number: {location.tax_number}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(
        0,
        8,
        latin1(f"{document.get_kind_display()} {document.reference}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=10)
    issued = document.issued_at.astimezone(location.zone)
    pdf.cell(0, 5, f"Issued {issued:%d %b %Y %H:%M}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 5, latin1(f"To: {document.client.full_name}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(140, 7, "Description", border="B")
    pdf.cell(0, 7, "Amount", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(140, 7, latin1(document.description))
    total = amount(document.total_minor, document.currency, locale)
    pdf.cell(0, 7, total, align="R", new_x="LMARGIN", new_y="NEXT")
    if document.entry_id and document.entry.method:
        pdf.cell(
            0,
            6,
            latin1(f"Paid by {document.entry.get_method_display().lower()}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)
    rate = f"{document.tax_rate.normalize():f}%"
    pdf.cell(140, 6, latin1(f"Of which tax at {rate}"))
    pdf.cell(
        0,
        6,
        amount(document.tax_minor, document.currency, locale),
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "B", 11)
    label = "Total paid" if document.kind == Document.Kind.RECEIPT else "Total due"
    pdf.cell(140, 8, label, border="T")
    pdf.cell(0, 8, total, border="T", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
