"""The accounting export: a location's invoices over a period as a CSV that Xero or
QuickBooks Online imports, one line an invoice, amounts tax-inclusive as the clinic
charges them (choose "tax inclusive" when importing).

Columns as each documents its import file:
- Xero, Sales -> Invoices -> Import: its sales invoice template (ContactName,
  EmailAddress, the postal address, InvoiceNumber, Reference, InvoiceDate, DueDate,
  InventoryItemCode, Description, Quantity, UnitAmount, Discount, AccountCode,
  TaxType, tracking, Currency, BrandingTheme); dates in the organisation's order.
- QuickBooks Online, Settings -> Import data -> Invoices: the columns it maps by
  itself (InvoiceNo, Customer, InvoiceDate, DueDate, Terms, Location, Memo,
  Item(Product/Service), ItemDescription, ItemQuantity, ItemRate, ItemAmount,
  ItemTaxCode, ItemTaxAmount, Currency, Service Date).
The account code and tax names are the ones those products set up by default; a
clinic whose books differ sets ACCOUNTING_SALES_ACCOUNT.
"""

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings

from appointments.models import Location
from core.money import to_major
from core.spreadsheets import safe_cell
from payments.models import Document, DocumentKind

XERO_COLUMNS = [
    "ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "InvoiceNumber",
    "Reference",
    "InvoiceDate",
    "DueDate",
    "InventoryItemCode",
    "Description",
    "Quantity",
    "UnitAmount",
    "Discount",
    "AccountCode",
    "TaxType",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
    "BrandingTheme",
]

QUICKBOOKS_COLUMNS = [
    "InvoiceNo",
    "Customer",
    "InvoiceDate",
    "DueDate",
    "Terms",
    "Location",
    "Memo",
    "Item(Product/Service)",
    "ItemDescription",
    "ItemQuantity",
    "ItemRate",
    "ItemAmount",
    "ItemTaxCode",
    "ItemTaxAmount",
    "Currency",
    "Service Date",
]

SYSTEMS = {"xero": "Xero", "quickbooks": "QuickBooks Online"}


def invoices_for_export(
    *, locations: list[Location], start: datetime, end: datetime
) -> list[Document]:
    """The locations' invoices issued in [start, end), by location and number."""
    return list(
        Document.objects.filter(
            kind=DocumentKind.INVOICE,
            location__in=locations,
            issued_at__gte=start,
            issued_at__lt=end,
        )
        .select_related("client", "location", "appointment__service", "plan")
        .order_by("location__name", "location_id", "number")
    )


def _date(moment: datetime, location: Location) -> str:
    """The date in the location's zone, written as its books would: month first in
    the United States, day first elsewhere."""
    day = moment.astimezone(location.zone).date()
    if location.locale == "en_US":
        return day.strftime("%m/%d/%Y")
    return day.strftime("%d/%m/%Y")


def _item(document: Document) -> str:
    if document.appointment_id:
        return document.appointment.service.name
    return "SMP course"


def _service_day(document: Document) -> datetime:
    if document.appointment_id:
        return document.appointment.starts_at
    return document.issued_at


def xero_tax_type(document: Document) -> str:
    rate = document.tax_rate.normalize()
    if rate:
        return f"{rate:f}% (VAT on Income)"
    return "Tax Exempt" if document.currency == "USD" else "No VAT"


def quickbooks_tax_code(document: Document) -> str:
    rate = document.tax_rate
    if document.currency == "USD":
        return "TAX" if rate else "NON"
    return f"{rate:.1f}% S" if rate else "No VAT"


def xero_rows(documents: list[Document]) -> Iterator[list]:
    for document in documents:
        location = document.location
        amount = to_major(document.total_minor, document.currency)
        row = {
            "ContactName": document.client.full_name,
            "EmailAddress": document.client.email,
            "InvoiceNumber": document.reference,
            "Reference": _item(document),
            "InvoiceDate": _date(document.issued_at, location),
            "DueDate": _date(document.issued_at, location),
            "Description": document.description,
            "Quantity": "1",
            "UnitAmount": amount,
            "AccountCode": settings.ACCOUNTING_SALES_ACCOUNT,
            "TaxType": xero_tax_type(document),
            "Currency": document.currency,
        }
        yield [safe_cell(row.get(column, "")) for column in XERO_COLUMNS]


def quickbooks_rows(documents: list[Document]) -> Iterator[list]:
    for document in documents:
        location = document.location
        amount = to_major(document.total_minor, document.currency)
        row = {
            "InvoiceNo": document.reference,
            "Customer": document.client.full_name,
            "InvoiceDate": _date(document.issued_at, location),
            "DueDate": _date(document.issued_at, location),
            "Terms": "Due on receipt",
            "Location": location.name,
            "Memo": document.description,
            "Item(Product/Service)": _item(document),
            "ItemDescription": document.description,
            "ItemQuantity": "1",
            "ItemRate": amount,
            "ItemAmount": amount,
            "ItemTaxCode": quickbooks_tax_code(document),
            "ItemTaxAmount": to_major(document.tax_minor, document.currency),
            "Currency": document.currency,
            "Service Date": _date(_service_day(document), location),
        }
        yield [safe_cell(row.get(column, "")) for column in QUICKBOOKS_COLUMNS]


def accounting_export(
    *, system: str, locations: list[Location], start: datetime, end: datetime
) -> tuple[list[str], Iterator[list]]:
    """The header and rows of the CSV for `system` (xero or quickbooks); each row
    names its currency, so one file may hold a London and a New York invoice."""
    documents = invoices_for_export(locations=locations, start=start, end=end)
    if system == "xero":
        return XERO_COLUMNS, xero_rows(documents)
    if system == "quickbooks":
        return QUICKBOOKS_COLUMNS, quickbooks_rows(documents)
    raise ValueError(f"No accounting export for {system!r}.")
