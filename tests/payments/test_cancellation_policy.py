"""The cancellation policy of each location: a deposit is refundable until N hours
before (48 by default); a later cancellation the client asks for, or a no-show,
forfeits it automatically and visibly; a manager waives it with a reason."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from appointments import services as booking
from payments import selectors, services
from payments.models import LedgerEntry


@pytest.fixture
def deposited(booked, front_desk):
    services.entry_record(
        kind="deposit",
        client=booked.client,
        appointment=booked,
        amount_minor=10000,
        method="card_terminal",
        recorded_by=front_desk,
    )
    return booked


def cancel_at(client, user, appointment, when, asked_by="client"):
    with time_machine.travel(when, tick=False):
        client.force_login(user)
        return client.post(
            reverse("appointment_cancel", args=[appointment.pk]),
            {"reason": "Cannot make it", "asked_by": asked_by},
        )


def test_a_late_cancellation_the_client_asks_for_forfeits_the_deposit(
    client, front_desk, deposited
):
    response = cancel_at(
        client, front_desk, deposited, deposited.starts_at - timedelta(hours=20)
    )
    assert response.status_code == 302
    forfeit = LedgerEntry.objects.get(kind="forfeit")
    assert forfeit.amount_minor == 10000 and forfeit.recorded_by is None
    assert forfeit.reason == (
        "Cancelled 20 hours before: deposits are refundable until 48 hours before."
    )
    deposited.refresh_from_db()
    money = selectors.appointment_money(deposited)
    assert (money.charged.minor, money.balance.minor) == (10000, 0)
    page = client.get(reverse("appointment_detail", args=[deposited.pk])).text
    assert "<strong>forfeited</strong>" in page
    assert "Forfeited deposit" in page and "refundable until 48 hours" in page


def test_an_early_cancellation_or_the_clinic_s_leaves_the_deposit_to_refund(
    client, front_desk, deposited, booked
):
    cancel_at(client, front_desk, deposited, deposited.starts_at - timedelta(hours=49))
    assert not LedgerEntry.objects.filter(kind="forfeit").exists()
    deposited.refresh_from_db()
    money = selectors.appointment_money(deposited)
    assert money.balance.minor == -10000  # owed back to the client
    page = client.get(reverse("appointment_detail", args=[deposited.pk])).text
    assert "£100.00 to refund" in page


def test_the_clinic_cancelling_late_forfeits_nothing(client, front_desk, deposited):
    cancel_at(
        client,
        front_desk,
        deposited,
        deposited.starts_at - timedelta(hours=2),
        asked_by="clinic",
    )
    assert not LedgerEntry.objects.filter(kind="forfeit").exists()


def test_the_policy_is_the_location_s(client, front_desk, deposited):
    deposited.location.deposit_refundable_hours = 12
    deposited.location.save()
    cancel_at(client, front_desk, deposited, deposited.starts_at - timedelta(hours=20))
    assert not LedgerEntry.objects.filter(kind="forfeit").exists()


def test_a_no_show_forfeits_the_deposit(front_desk, deposited):
    with time_machine.travel(deposited.starts_at + timedelta(minutes=30), tick=False):
        booking.appointment_mark_no_show(appointment=deposited, by=front_desk)
    forfeit = LedgerEntry.objects.get(kind="forfeit")
    assert forfeit.amount_minor == 10000
    assert forfeit.reason.startswith("No-show")


def test_without_a_deposit_paid_nothing_is_forfeited(client, front_desk, booked):
    cancel_at(client, front_desk, booked, booked.starts_at - timedelta(hours=1))
    assert not LedgerEntry.objects.filter(kind="forfeit").exists()


def test_a_manager_waives_a_forfeit_with_a_reason(
    client, front_desk, manager, deposited
):
    cancel_at(client, front_desk, deposited, deposited.starts_at - timedelta(hours=3))
    forfeit = LedgerEntry.objects.get(kind="forfeit")
    client.force_login(manager)
    page = client.get(reverse("appointment_detail", args=[deposited.pk])).text
    assert "Waive" in page
    url = reverse("entry_void", args=[forfeit.pk])
    assert "Waive the forfeited deposit" in client.get(url).text
    assert client.post(url, {"reason": ""}).status_code == 422
    response = client.post(url, {"reason": "Hospital admission <b>x</b>"})
    assert response.status_code == 302
    waiver = LedgerEntry.objects.get(reverses=forfeit)
    assert waiver.amount_minor == -10000 and waiver.recorded_by == manager
    deposited.refresh_from_db()
    assert selectors.appointment_money(deposited).balance.minor == -10000
    # The front desk cannot waive.
    client.force_login(front_desk)
    assert client.post(url, {"reason": "Kind"}).status_code == 403
