"""Money reports (issue 22): each figure checked against ledger rows written for it
through the payments services, in two currencies that are never added together;
the page, its charts, its CSV, and a fixed number of queries."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments.models import Location
from clients.models import Client
from core.money import Money
from payments import services as payments
from payments.models import LedgerEntry
from payments.selectors import client_money
from smp_clinic import money_reports, reports
from tests.payments.test_ledger import make_decision
from tests.smp_clinic.test_reports import appointment
from treatments.models import TreatmentPlan

MONDAY = date(2026, 3, 2)
WEEK = reports.Period(MONDAY, MONDAY + timedelta(days=6))
IN_WEEK = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)


@pytest.fixture
def new_york(db):
    return Location.objects.create(
        name="New York", timezone="America/New_York", currency="USD", locale="en_US"
    )


@pytest.fixture
def ledger(
    jo, sam, make_practitioner, new_york, smp_session, consultation, manager, front_desk
):
    """A week at two clinics: London takes £450 and £100 and refunds £100; New
    York takes $450 for a session it gave a $50 discount on; a London no-show
    forfeits its £100 deposit. Nothing in the following week counts."""
    smp_session.price_minor, smp_session.deposit_minor = 45000, 10000
    smp_session.save()
    pat = make_practitioner("Pat", location=new_york)
    london_session = appointment(jo, smp_session, sam, 9, status="completed")
    york_session = appointment(jo, smp_session, pat, 15, status="completed")
    cancelled = appointment(
        jo, smp_session, sam, 13, status="cancelled", cancellation_reason="Unwell"
    )
    missed = appointment(
        jo, smp_session, sam, 9, day=MONDAY + timedelta(days=1), status="no_show"
    )

    def record(kind, target, minor, **fields):
        fields.setdefault("method", "cash" if kind != "discount" else "")
        fields.setdefault("recorded_by", manager)
        return payments.entry_record(
            kind=kind,
            client=jo,
            appointment=target,
            amount_minor=minor,
            recorded_at=fields.pop("at", IN_WEEK),
            **fields,
        )

    record("payment", london_session, 45000)
    record("deposit", cancelled, 10000)
    record("refund", cancelled, 10000, reason="Cancelled early.")
    record("discount", york_session, 5000, reason="Loyalty.")
    record("payment", york_session, 40000, method="card_terminal")
    record("deposit", missed, 10000)
    payments.deposit_forfeit_on_missed(appointment=missed, now=IN_WEEK)
    # A payment voided the same week: the reversal nets it out of the revenue.
    voided = record("payment", york_session, 1000)
    with time_machine.travel(IN_WEEK + timedelta(hours=1), tick=False):
        payments.entry_void(entry=voided, by=manager, reason="Typed twice.")
    # Next week: outside the period.
    record(
        "payment",
        appointment(
            jo, smp_session, sam, 9, day=MONDAY + timedelta(days=7), status="completed"
        ),
        45000,
        at=IN_WEEK + timedelta(days=7),
    )
    return {"pat": pat}


def by_currency(sections):
    return {section.currency: section.rows for section in sections}


def test_revenue_by_week_is_money_received_per_currency(ledger):
    weeks = by_currency(money_reports.revenue_by_week(WEEK))

    # £450 + £100 + £100 deposits and payments, £100 refunded; $400 net of the void.
    assert weeks == {
        "GBP": [[MONDAY, 65000, 10000, 55000]],
        "USD": [[MONDAY, 40000, 0, 40000]],
    }


def test_revenue_by_location_practitioner_and_service(ledger, sam):
    locations = by_currency(money_reports.revenue_by_location(WEEK))
    people = by_currency(money_reports.revenue_by_practitioner(WEEK))
    services = by_currency(money_reports.revenue_by_service(WEEK))

    assert locations == {
        "GBP": [["London", 65000, 10000, 55000]],
        "USD": [["New York", 40000, 0, 40000]],
    }
    assert people == {
        "GBP": [[str(sam), 65000, 10000, 55000]],
        "USD": [[str(ledger["pat"]), 40000, 0, 40000]],
    }
    assert services == {
        "GBP": [["SMP session", 65000, 10000, 55000]],
        "USD": [["SMP session", 40000, 0, 40000]],
    }


def test_deposits_taken_refunded_forfeited_and_held(ledger, jo, sam, smp_session):
    ahead = appointment(jo, smp_session, sam, 10, day=MONDAY + timedelta(days=20))
    payments.entry_record(
        kind="deposit",
        client=jo,
        appointment=ahead,
        amount_minor=10000,
        method="cash",
        recorded_by=None,
        check_role=False,
        recorded_at=IN_WEEK,
    )

    rows = by_currency(money_reports.deposits(WEEK, now=IN_WEEK))

    # Taken: three deposits of £100; one refunded, one forfeited, one held ahead.
    assert rows == {"GBP": [["London", 30000, 10000, 10000, 10000]]}


def test_outstanding_balances_match_the_client_page(ledger, jo, sam, smp_session):
    appointment(jo, smp_session, sam, 14, status="completed")  # not paid for

    rows = by_currency(money_reports.balances(WEEK))

    # Everything else is paid: the session in full, New York's less its discount,
    # the no-show's forfeit by its deposit, the early cancellation refunded.
    assert rows == {"GBP": [[jo.full_name, 45000, 0, 45000]]}
    assert client_money(jo).owed == [Money(45000, "GBP")]


def test_balances_count_an_unpaid_session_and_stay_within_a_fixed_query_count(
    jo, sam, consultation, make_client
):
    consultation.price_minor = 45000
    consultation.save()
    appointment(jo, consultation, sam, 9, status="completed")
    period = reports.Period(MONDAY, MONDAY)

    with CaptureQueriesContext(connection) as few:
        rows = by_currency(money_reports.balances(period))
    for hour in (10, 11, 13, 14, 15, 16):
        appointment(make_client(), consultation, sam, hour, status="completed")
    with CaptureQueriesContext(connection) as many:
        more = by_currency(money_reports.balances(period))

    assert rows == {"GBP": [[jo.full_name, 45000, 0, 45000]]}
    assert len(more["GBP"]) == 7
    assert len(many) == len(few)


def test_course_value_and_conversion(jo, sam, consultation, frozen_now):
    consulted = appointment(
        jo, consultation, sam, 6, day=timezone.localdate(), status="completed"
    )
    TreatmentPlan.objects.create(
        client=jo,
        practitioner=sam,
        service=consultation,
        variant="permanent",
        goal="full_head",
        price_basis="per_session",
        price_minor=90000,
        sessions_planned=3,
        currency="GBP",
        suitability=make_decision(jo, sam.user),
        created_by=sam.user,
    )
    today = reports.Period(timezone.localdate(), timezone.localdate())

    value = by_currency(money_reports.course_value(today))
    conversion = money_reports.conversion(today)

    assert value == {"GBP": [[str(sam), 1, 270000, 0]]}
    assert conversion.rows == [["London", 1, 1, 1, "100.0%"]]
    assert consulted.location.name == "London"


def test_the_page_shows_each_currency_with_its_symbol_and_charts(
    client, manager, ledger
):
    client.force_login(manager)

    page = client.get(
        "/reports/money/", {"first_day": "2026-03-02", "last_day": "2026-03-08"}
    ).text

    assert 'id="revenue-week-gbp"' in page and 'id="revenue-week-usd"' in page
    assert "£550.00" in page and "$400.00" in page
    assert page.count('<svg class="chart"') >= 8
    assert "/reports/revenue-week.csv?" in page


def test_the_csv_names_the_currency_of_every_row_and_neutralises_formulas(
    client, manager, ledger, jo, sam, smp_session
):
    appointment(jo, smp_session, sam, 14, status="completed")  # owed
    Client.objects.filter(pk=jo.pk).update(first_name='=HYPERLINK("http://x")')
    client.force_login(manager)
    period = {"first_day": "2026-03-02", "last_day": "2026-03-15"}

    weeks = list(
        csv.reader(io.StringIO(client.get("/reports/revenue-week.csv", period).text))
    )
    owed = client.get("/reports/balances.csv", period).text

    assert weeks[0] == ["Currency", "Week of", "Taken", "Refunded", "Net received"]
    assert ["GBP", "2026-03-02", "650.00", "100.00", "550.00"] in weeks
    assert ["USD", "2026-03-02", "400.00", "0.00", "400.00"] in weeks
    assert "'=HYPERLINK" in owed and "\n=HYPERLINK" not in owed


def test_money_reports_are_a_managers(client, front_desk, practitioner, db):
    for user in (front_desk, practitioner):
        client.force_login(user)
        assert client.get("/reports/money/").status_code == 403
        assert client.get("/reports/revenue-week.csv").status_code == 403


def test_an_unknown_report_is_404(client, manager, db):
    client.force_login(manager)

    assert client.get("/reports/revenue-nowhere.csv").status_code == 404


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", verbosity=0)
    today = timezone.localdate()
    return reports.Period(today - timedelta(weeks=12), today)


def test_the_demo_ledger_fills_every_money_report(demo, client, manager):
    sections = money_reports.all_money_reports(demo)

    slugs = {section.slug for section in sections}
    for family in ("revenue-week", "deposits", "balances", "course-value"):
        assert {f"{family}-gbp", f"{family}-usd"} <= slugs
    # Revenue by location adds up to revenue by week, per currency.
    weeks = by_currency(money_reports.revenue_by_week(demo))
    places = by_currency(money_reports.revenue_by_location(demo))
    for currency, rows in weeks.items():
        assert sum(row[3] for row in rows) == sum(row[3] for row in places[currency])
        net = sum(
            LedgerEntry.objects.filter(
                currency=currency, kind__in=["deposit", "payment"]
            ).values_list("amount_minor", flat=True)
        )
        assert sum(row[1] for row in rows) <= net
    client.force_login(manager)
    assert client.get("/reports/money/").status_code == 200


@pytest.fixture
def invoiced(ledger, jo, sam, smp_session, front_desk, london):
    """Two invoices issued in the week: London's (VAT 20% included) and New York's."""
    london.tax_rate, london.legal_name = 20, "SMP London Ltd"
    london.save()
    Client.objects.filter(pk=jo.pk).update(
        first_name='=cmd|" /C calc"!A0', last_name='O\'Brien, "Jo"'
    )
    jo.refresh_from_db()
    # Clear of the week's other sessions (PostgreSQL refuses an overlap).
    given = appointment(jo, smp_session, sam, 14, status="completed")
    york = appointment(jo, smp_session, ledger["pat"], 9, status="completed")
    with time_machine.travel(IN_WEEK, tick=False):
        first = payments.invoice_issue(appointment=given, by=front_desk)
        second = payments.invoice_issue(appointment=york, by=front_desk)
    return first, second


def read_csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


WEEK_QUERY = {"first_day": "2026-03-02", "last_day": "2026-03-08"}


def test_the_xero_export_has_xeros_columns_and_one_line_an_invoice(
    client, manager, invoiced, london
):
    client.force_login(manager)

    response = client.get(
        "/reports/accounting.csv",
        {**WEEK_QUERY, "system": "xero", "location": london.pk},
    )
    rows = read_csv(response)

    header = response.content.decode().splitlines()[0].split(",")
    for column in (
        "ContactName",
        "EmailAddress",
        "InvoiceNumber",
        "InvoiceDate",
        "DueDate",
        "Description",
        "Quantity",
        "UnitAmount",
        "AccountCode",
        "TaxType",
        "Currency",
    ):
        assert column in header
    assert len(rows) == 1
    (row,) = rows
    assert row["InvoiceNumber"] == invoiced[0].reference
    assert row["InvoiceDate"] == "03/03/2026"  # day first in London
    assert row["UnitAmount"] == "450.00"
    assert row["Quantity"] == "1"
    assert row["Currency"] == "GBP"
    assert row["TaxType"] == "20% (VAT on Income)"
    assert row["AccountCode"] == "200"
    # The hostile name arrives whole, its formula neutralised.
    assert row["ContactName"] == '\'=cmd|" /C calc"!A0 O\'Brien, "Jo"'


def test_the_quickbooks_export_has_its_columns_for_every_location(
    client, manager, invoiced
):
    client.force_login(manager)

    rows = read_csv(
        client.get("/reports/accounting.csv", {**WEEK_QUERY, "system": "quickbooks"})
    )

    assert list(rows[0]) == [
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
    by_currency = {row["Currency"]: row for row in rows}
    assert by_currency["GBP"]["ItemAmount"] == "450.00"
    assert by_currency["GBP"]["ItemTaxAmount"] == "75.00"  # 20% inside £450
    assert by_currency["USD"]["InvoiceDate"] == "03/03/2026"  # month first
    assert by_currency["USD"]["ItemTaxCode"] == "NON"
    assert by_currency["USD"]["Item(Product/Service)"] == "SMP session"


def test_an_export_outside_the_period_or_of_nowhere_is_empty_or_404(
    client, manager, invoiced
):
    client.force_login(manager)

    later = {"first_day": "2026-04-01", "last_day": "2026-04-30"}
    assert read_csv(client.get("/reports/accounting.csv", later)) == []
    assert (
        client.get(
            "/reports/accounting.csv", {**WEEK_QUERY, "location": "999"}
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/reports/accounting.csv", {**WEEK_QUERY, "system": "sage"}
        ).status_code
        == 404
    )
