"""The ledger: rows are only added; the front desk records payments taken at the
desk, a manager voids with a reason (a reversing row); balances are sums."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from payments import selectors, services
from payments.models import LedgerEntry

HOSTILE = "<script>alert(1)</script> \"quoted\" 'single' 💳"


def record(user, appointment, minor, kind="payment", **fields):
    fields.setdefault("method", "card_terminal" if kind != "discount" else "")
    return services.entry_record(
        kind=kind,
        client=appointment.client,
        appointment=appointment,
        amount_minor=minor,
        recorded_by=user,
        **fields,
    )


def test_the_front_desk_records_a_deposit_from_the_appointment_page(
    client, front_desk, booked
):
    client.force_login(front_desk)
    url = reverse("appointment_payment_new", args=[booked.pk])
    page = client.get(url).text
    assert "amounts in <strong>GBP</strong>" in page
    # The desk records payments and deposits only.
    assert 'value="discount"' not in page and 'value="refund"' not in page
    response = client.post(
        url,
        {
            "kind": "deposit",
            "amount_minor": "100",
            "method": "card_terminal",
            "provider_reference": HOSTILE,
        },
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount_minor, entry.currency) == ("deposit", 10000, "GBP")
    assert (entry.client, entry.location, entry.recorded_by) == (
        booked.client,
        booked.location,
        front_desk,
    )
    page = client.get(reverse("appointment_detail", args=[booked.pk])).text
    assert "£100.00: not paid" not in page and "£100.00 paid" in page
    assert "£300.00 to pay" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # No void button for the front desk.
    assert reverse("entry_void", args=[entry.pk]) not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount_minor": "0"}, "above zero"),
        ({"amount_minor": "-5"}, "greater than or equal to 0"),
        ({"amount_minor": "abc"}, "Enter a number"),
        ({"amount_minor": "10.001"}, "decimal places"),
        ({"method": ""}, "Say how the money was paid"),
        ({"method": "cheque"}, "Select a valid choice"),
        ({"kind": "discount", "reason": "Loyal client"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    client, front_desk, booked, data, message
):
    client.force_login(front_desk)
    response = client.post(
        reverse("appointment_payment_new", args=[booked.pk]),
        {"kind": "payment", "amount_minor": "50", "method": "cash", **data},
    )
    assert response.status_code == 422
    assert message in response.text
    assert not LedgerEntry.objects.exists()


def test_a_manager_discounts_with_a_reason_and_voids_with_a_reason(
    client, manager, front_desk, booked
):
    payment = record(front_desk, booked, 30000)
    client.force_login(manager)
    url = reverse("appointment_payment_new", args=[booked.pk])
    response = client.post(url, {"kind": "discount", "amount_minor": "50"})
    assert response.status_code == 422 and "Give the reason." in response.text
    response = client.post(
        url, {"kind": "discount", "amount_minor": "50", "reason": "Loyal client"}
    )
    assert response.status_code == 302
    money = selectors.appointment_money(booked)
    assert (money.received.minor, money.credited.minor, money.balance.minor) == (
        30000,
        5000,
        5000,
    )

    void_url = reverse("entry_void", args=[payment.pk])
    response = client.post(void_url, {"reason": ""})
    assert response.status_code == 422
    assert LedgerEntry.objects.count() == 2
    response = client.post(void_url, {"reason": f"Wrong card {HOSTILE}"})
    assert response.status_code == 302
    reversal = LedgerEntry.objects.get(reverses=payment)
    assert reversal.amount_minor == -30000 and reversal.recorded_by == manager
    assert reversal.kind == "payment" and reversal.reason.startswith("Wrong card")
    # The original stays as it was: a row is never edited.
    payment.refresh_from_db()
    assert payment.amount_minor == 30000 and payment.reason == ""
    assert selectors.appointment_money(booked).balance.minor == 35000
    page = client.get(reverse("appointment_detail", args=[booked.pk])).text
    assert "Voided" in page and "Void of payment" in page
    assert "<script>alert(1)</script>" not in page
    # Voided once: a second void, or voiding the reversal, is refused.
    with pytest.raises(ValidationError, match="voided already"):
        services.entry_void(entry=payment, by=manager, reason="Again")
    with pytest.raises(ValidationError, match="cannot itself be voided"):
        services.entry_void(entry=reversal, by=manager, reason="Undo")
    assert LedgerEntry.objects.count() == 3


def test_only_a_manager_voids(client, front_desk, practitioner, booked):
    payment = record(front_desk, booked, 1000)
    for user in (front_desk, practitioner):
        client.force_login(user)
        url = reverse("entry_void", args=[payment.pk])
        assert client.post(url, {"reason": "Mine"}).status_code == 403
        with pytest.raises(PermissionDenied):
            services.entry_void(entry=payment, by=user, reason="Mine")
    assert LedgerEntry.objects.count() == 1


def test_the_desk_cannot_write_off_through_the_service_either(front_desk, booked):
    with pytest.raises(PermissionDenied):
        record(front_desk, booked, 1000, kind="write_off", reason="Bad debt")
    assert not LedgerEntry.objects.exists()


def test_an_amount_is_in_the_currency_of_where_it_is_given(
    front_desk, booked, new_york
):
    Appointment.objects.filter(pk=booked.pk).update(location=new_york)
    booked.refresh_from_db()
    entry = record(front_desk, booked, 2500)
    assert entry.currency == "USD"
    assert selectors.appointment_money(booked).received.format("en_US") == "$25.00"


def test_the_database_refuses_a_row_that_breaks_the_rules(front_desk, booked):
    base = {
        "kind": "payment",
        "currency": "GBP",
        "client": booked.client,
        "appointment": booked,
        "location": booked.location,
    }
    for fields in (
        {"amount_minor": -100, "method": "cash"},  # negative without reversing
        {"amount_minor": 100, "method": ""},  # money without a method
        {"amount_minor": 100, "method": "cash", "kind": "write_off"},  # no reason
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.create(**{**base, **fields})


def test_the_client_page_lists_payments_and_records_one_for_a_plan_or_visit(
    client, front_desk, booked, jo, make_client
):
    other = make_client()
    client.force_login(front_desk)
    url = reverse("client_payment_new", args=[jo.pk])
    page = client.get(url).text
    assert f'value="a{booked.pk}"' in page
    response = client.post(
        url,
        {
            "target": f"a{booked.pk}",
            "kind": "payment",
            "amount_minor": "40",
            "method": "cash",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("client_detail", args=[jo.pk])).text
    assert "Paid: <strong>£40.00</strong>" in page
    # Another client's appointment is not a choice on Jo's page.
    other_url = reverse("client_payment_new", args=[other.pk])
    response = client.post(
        other_url,
        {
            "target": f"a{booked.pk}",
            "kind": "payment",
            "amount_minor": "40",
            "method": "cash",
        },
    )
    assert response.status_code == 422
    assert LedgerEntry.objects.count() == 1


def test_a_completed_visit_not_paid_is_owed_by_the_client(
    client, front_desk, booked, jo
):
    Appointment.objects.filter(pk=booked.pk).update(status="completed")
    record(front_desk, booked, 10000, kind="deposit")
    money = selectors.client_money(jo)
    assert [m.minor for m in money.received] == [10000]
    assert [(m.minor, m.currency) for m in money.owed] == [(30000, "GBP")]
    client.force_login(front_desk)
    page = client.get(reverse("client_detail", args=[jo.pk])).text
    assert "Owed now: <strong>£300.00</strong>" in page


@pytest.mark.postgres
def test_postgresql_refuses_to_change_or_delete_a_ledger_row(front_desk, booked):
    entry = record(front_desk, booked, 1000)
    for statement in (
        "UPDATE payments_ledgerentry SET amount_minor = 1 WHERE id = %s",
        "DELETE FROM payments_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises(Exception, match="cannot be changed or deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.amount_minor == 1000
    # The retention purge alone may delete, inside its own transaction.
    with transaction.atomic():
        assert services.client_ledger_purge(client_ids=[booked.client_id]) == 1
    assert not LedgerEntry.objects.exists()


def test_a_plan_shows_paid_due_and_owed(client, practitioner, front_desk, booked, jo):
    from treatments.models import TreatmentPlan

    plan = TreatmentPlan.objects.create(
        client=jo,
        practitioner=booked.practitioner,
        service=booked.service,
        variant="permanent",
        goal="full_head",
        sessions_planned=3,
        price_basis="per_session",
        price_minor=50000,
        currency="GBP",
        suitability=make_decision(jo, practitioner),
        created_by=practitioner,
    )
    plan.sessions.create(client=jo, number=1, appointment=booked)
    Appointment.objects.filter(pk=booked.pk).update(status="completed")
    services.entry_record(
        kind="payment",
        client=jo,
        plan=plan,
        amount_minor=20000,
        method="cash",
        recorded_by=front_desk,
    )
    money = selectors.plan_money(plan)
    assert (money.price.minor, money.received.minor) == (150000, 20000)
    assert (money.due.minor, money.owed.minor) == (130000, 30000)
    # The course session is charged on its course, not again on its own.
    assert selectors.appointment_money(booked).course == plan
    assert [m.minor for m in selectors.client_money(jo).owed] == [30000]
    client.force_login(practitioner)
    page = client.get(reverse("plan_detail", args=[plan.pk])).text
    assert "still due <strong>£1,300.00</strong>" in page
    assert "owed now <strong>£300.00</strong>" in page


def make_decision(client, by):
    from clients.models import SuitabilityDecision

    return SuitabilityDecision.objects.create(
        client=client,
        recommended="suitable",
        decision="suitable",
        decided_by=by,
        decided_at=timezone.now(),
    )
