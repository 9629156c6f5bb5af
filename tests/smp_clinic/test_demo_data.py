"""The demo data as `make run` seeds it (seed_demo), seeded once for this module at the
tests' Monday, 08:00 UTC: seeding takes 20 to 50 seconds, and each test here only
reads it, or changes it inside its own transaction, rolled back to the seed after it.
The tests that seed with other options, at other times or twice are in
test_seed_demo.py."""

import stat
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from appointments.models import Appointment, Location
from core.roles import Role, primary_role
from messaging.models import OutboundMessage
from tests.appointments.test_booking import overlapping_pairs
from tests.smp_clinic.test_seed_demo import staff_snapshot

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, seeded in a transaction the module's tests run inside (each in a
    savepoint of it, as pytest-django nests a test's own), rolled back at the end."""
    with django_db_blocker.unblock():
        seeded = transaction.atomic()
        # As django.test.TestCase marks the blocks it opens: a test's transaction,
        # not the code's (core.cache.changed_here).
        seeded._from_testcase = True
        seeded.__enter__()
        try:
            with time_machine.travel(MONDAY, tick=False):
                call_command("seed_demo")
        except BaseException:
            transaction.set_rollback(True)
            seeded.__exit__(None, None, None)
            raise
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        seeded.__exit__(None, None, None)


@time_machine.travel(MONDAY, tick=False)
def test_seed_demo_builds_a_schedule_in_two_time_zones(db, demo):
    assert set(Location.objects.values_list("timezone", flat=True)) == {
        "Europe/London",
        "America/New_York",
    }
    assert Appointment.objects.values("practitioner").distinct().count() == 6
    assert Appointment.objects.count() > 100
    assert overlapping_pairs() == 0


@time_machine.travel(MONDAY, tick=False)
def test_seed_demo_writes_the_history_it_is_asked_for_without_overlaps(db, demo):
    now = MONDAY

    # The demo courses' sessions held in the past are noted as such.
    history = Appointment.objects.filter(notes="", starts_at__lt=now)
    assert history.count() == 2_000
    assert set(history.values_list("status", flat=True)) == {
        "completed",
        "no_show",
        "cancelled",
    }
    assert OutboundMessage.objects.filter(status__in=["sent", "cancelled"]).count() >= (
        1_000
    )
    assert overlapping_pairs() == 0


def test_seed_demo_gives_one_demo_login_per_role(db, demo):
    users = get_user_model().objects.filter(
        username__in=["frontdesk", "practitioner", "manager"]
    )
    assert {primary_role(u) for u in users} == set(Role)


def test_seed_demo_refuses_to_seed_twice_unless_told_to_skip(db, demo):
    before = staff_snapshot()

    with pytest.raises(CommandError, match="already there"):
        call_command("seed_demo")
    call_command("seed_demo", "--if-empty")

    assert staff_snapshot() == before


def test_demo_logins_work_and_stay_the_same_between_runs(
    db, demo, settings, tmp_path, capsys
):
    settings.VAR_DIR = tmp_path

    call_command("demo_logins")
    first = capsys.readouterr().out
    call_command("demo_logins")
    second = capsys.readouterr().out

    assert first == second
    rows = [line.split() for line in first.splitlines()[1:4]]
    for *_role, username, password in rows:
        user = get_user_model().objects.get(username=username)
        assert user.check_password(password)
    assert stat.S_IMODE((tmp_path / "demo-logins.txt").stat().st_mode) == 0o600


@time_machine.travel(MONDAY, tick=False)
def test_seed_demo_books_treatments_for_ready_clients_and_holds_one_at_each_gate(
    db, demo
):
    from appointments.gates import is_treatment, treatment_gate
    from appointments.models import Service
    from appointments.services import TreatmentRefused, appointment_book
    from clients.models import Client

    treatments = [
        a
        for a in Appointment.objects.filter(starts_at__gte=MONDAY).select_related(
            "client", "service", "location"
        )
        if is_treatment(a.service)
    ]
    assert treatments
    assert not [
        a
        for a in treatments
        if treatment_gate(a.client, a.service, a.starts_at, location=a.location)
    ]
    smp = Service.objects.get(kind="smp_session")
    held = {
        "Noah": "intake",
        "Priya": "consent",
        "Casey": "age",
        "Liam": "suitability",
    }
    slot = treatments[0]
    for first_name, gate in held.items():
        demo_client = Client.objects.get(
            first_name=first_name, notes__startswith="Demo"
        )
        with pytest.raises(TreatmentRefused) as refused:
            appointment_book(
                client=demo_client,
                service=smp,
                practitioner=slot.practitioner,
                starts_at=slot.starts_at + timedelta(days=1),
                booked_by=None,
            )
        assert gate in [m.gate for m in refused.value.missing], first_name


@time_machine.travel(MONDAY, tick=False)
def test_seed_demo_keeps_a_ledger_the_money_reports_can_show(db, demo):
    """Issue 22: prices, both currencies and every kind of ledger row, each dated
    when the money changed hands, with receipts and invoices numbered as issued."""
    from django.db.models import Count

    from payments.models import Document, LedgerEntry
    from treatments.models import TreatmentPlan

    now = MONDAY

    kinds = dict(
        LedgerEntry.objects.values_list("kind").annotate(n=Count("pk")).order_by()
    )
    assert set(kinds) == {
        "deposit",
        "payment",
        "refund",
        "forfeit",
        "discount",
        "write_off",
    }
    assert kinds["payment"] > 100
    assert set(LedgerEntry.objects.values_list("currency", flat=True)) == {
        "GBP",
        "USD",
    }
    # Every entry is in its place's currency, and none is dated in the future.
    assert not LedgerEntry.objects.filter(recorded_at__gt=now).exists()
    for entry in LedgerEntry.objects.select_related("location")[:200]:
        assert entry.currency == entry.location.currency
    # A late cancellation and a no-show kept their deposits, and say why.
    forfeits = LedgerEntry.objects.filter(kind="forfeit")
    assert forfeits.filter(reason__startswith="No-show").exists()
    assert forfeits.filter(reason__startswith="Cancelled").exists()
    # Each deposit or payment has its receipt; courses and appointments invoices.
    received = LedgerEntry.objects.filter(kind__in=["deposit", "payment"])
    assert Document.objects.filter(kind="receipt").count() == received.count()
    assert Document.objects.filter(kind="invoice", plan__isnull=False).exists()
    assert Document.objects.filter(kind="invoice", appointment__isnull=False).exists()
    assert not TreatmentPlan.objects.filter(price_minor=0).exists()
    # Deposits held: some upcoming bookings are paid for.
    assert received.filter(appointment__starts_at__gt=now).exists()
