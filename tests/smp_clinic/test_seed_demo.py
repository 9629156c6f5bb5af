import stat
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from appointments.models import Appointment, Location, WorkingHours
from core.roles import Role, primary_role
from messaging.models import OutboundMessage
from tests.appointments.test_booking import overlapping_pairs


def staff_snapshot():
    return sorted(
        (u.username, u.first_name, u.last_name, tuple(g.name for g in u.groups.all()))
        for u in get_user_model().objects.prefetch_related("groups")
    )


def schedule_snapshot():
    return list(
        # Every column shown, so rows at the same time for the same practitioner (two
        # patch tests) come in one order: PostgreSQL returns ties as they lie.
        Appointment.objects.order_by(
            "starts_at",
            "practitioner__user__username",
            "client__email",
            "service__name",
        ).values_list(
            "practitioner__user__username",
            "service__name",
            "client__email",
            "starts_at",
        )
    )


# Transactional: PostgreSQL cannot flush inside the transaction a plain test runs in.
@pytest.mark.django_db(transaction=True)
@time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False)
def test_seed_demo_is_deterministic_for_a_seed():
    call_command("seed_demo", "--seed", "7")
    first = staff_snapshot(), schedule_snapshot()
    call_command("flush", "--no-input")

    call_command("seed_demo", "--seed", "7")

    assert (staff_snapshot(), schedule_snapshot()) == first
    assert len(first[0]) == 6 + 2  # six practitioners, a front desk and a manager


@time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False)
def test_seed_demo_builds_a_schedule_in_two_time_zones(db):
    call_command("seed_demo")

    assert set(Location.objects.values_list("timezone", flat=True)) == {
        "Europe/London",
        "America/New_York",
    }
    assert Appointment.objects.values("practitioner").distinct().count() == 6
    assert Appointment.objects.count() > 100
    assert overlapping_pairs() == 0


@time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False)
def test_seed_demo_writes_the_history_it_is_asked_for_without_overlaps(db):
    call_command("seed_demo")
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

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


def test_seed_demo_gives_one_demo_login_per_role(db):
    call_command("seed_demo")

    users = get_user_model().objects.filter(
        username__in=["frontdesk", "practitioner", "manager"]
    )
    assert {primary_role(u) for u in users} == set(Role)


def test_seed_demo_refuses_to_seed_twice_unless_told_to_skip(db):
    call_command("seed_demo")
    before = staff_snapshot()

    with pytest.raises(CommandError, match="already there"):
        call_command("seed_demo")
    call_command("seed_demo", "--if-empty")

    assert staff_snapshot() == before


def test_demo_logins_work_and_stay_the_same_between_runs(
    db, settings, tmp_path, capsys
):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    capsys.readouterr()

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


def test_demo_logins_needs_the_demo_staff(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path

    with pytest.raises(CommandError, match="seed_demo"):
        call_command("demo_logins")


@time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False)
def test_seed_demo_books_treatments_for_ready_clients_and_holds_one_at_each_gate(db):
    from appointments.gates import is_treatment, treatment_gate
    from appointments.models import Service
    from appointments.services import TreatmentRefused, appointment_book
    from clients.models import Client

    call_command("seed_demo")

    treatments = [
        a
        for a in Appointment.objects.filter(
            starts_at__gte=datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        ).select_related("client", "service", "location")
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


@time_machine.travel(datetime(2026, 3, 4, 8, 0, tzinfo=UTC), tick=False)
def test_seed_demo_history_keeps_working_hours_and_opens_lots_before_use(db):
    """Issue 20 item 7: no past appointment outside its practitioner's hours, and no
    lot on skin before the day it was opened."""
    from collections import defaultdict

    from clients.models import PatchTest
    from pigments.models import PigmentLot
    from treatments.models import SessionPigment

    call_command("seed_demo")
    hours = defaultdict(list)
    for block in WorkingHours.objects.all():
        hours[block.practitioner_id, block.location_id, block.weekday].append(
            (block.start_time, block.end_time)
        )
    now = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    past = Appointment.objects.filter(starts_at__lt=now).select_related("location")
    outside = []
    for appointment in past.exclude(notes__startswith="Demo:"):
        zone = appointment.location.zone
        start = appointment.starts_at.astimezone(zone)
        end = appointment.ends_at.astimezone(zone)
        key = appointment.practitioner_id, appointment.location_id, start.weekday()
        if not any(
            opens <= start.time()
            and end.time() <= closes
            and start.date() == end.date()
            for opens, closes in hours[key]
        ):
            outside.append((appointment.notes, start))
    assert past.count() > 2_000
    assert outside == []
    for lot in PigmentLot.objects.exclude(opened_on=None):
        uses = [
            used.date()
            for used in list(
                PatchTest.objects.filter(lots=lot).values_list("applied_at", flat=True)
            )
            + list(
                SessionPigment.objects.filter(lot=lot).values_list(
                    "session__appointment__starts_at", flat=True
                )
            )
            if used
        ]
        assert all(lot.opened_on <= day for day in uses), lot


# 15:00 in London, 10:00 in New York: outside both locations' quiet hours.
@time_machine.travel(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), tick=False)
def test_the_demo_sends_text_reminders_to_var_sms_and_has_replies_waiting(
    db, settings, tmp_path
):
    from messaging.models import InboundMessage
    from messaging.outbox import messages_send_due

    settings.SMS_BACKEND = "messaging.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("seed_demo")

    waiting = InboundMessage.objects.filter(action="reply", handled_at__isnull=True)
    assert waiting.count() == 4
    assert waiting.filter(client__isnull=True).count() == 1  # a stranger's number
    assert OutboundMessage.objects.filter(
        channel="sms", kind="reminder", due_at__lte=datetime.now(UTC)
    ).exists()
    # The first sweeps (make run's worker) write the texts.
    while messages_send_due().claimed:
        pass
    files = list((tmp_path / "sms").glob("*.txt"))
    reminders = [f for f in files if "a reminder of your" in f.read_text()]
    assert len(reminders) >= 3
    assert all("Reply STOP to opt out." in f.read_text() for f in reminders)
    assert OutboundMessage.objects.filter(
        channel="sms", kind="reminder", status="sent"
    ).count() == len(reminders)


@time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False)
def test_seed_demo_keeps_a_ledger_the_money_reports_can_show(db):
    """Issue 22: prices, both currencies and every kind of ledger row, each dated
    when the money changed hands, with receipts and invoices numbered as issued."""
    from django.db.models import Count

    from payments.models import Document, LedgerEntry
    from treatments.models import TreatmentPlan

    call_command("seed_demo")
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

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


@pytest.mark.django_db(transaction=True)
@time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False)
def test_seed_demo_ledger_is_the_same_for_a_seed():
    from payments.models import LedgerEntry

    def ledger():
        return list(
            LedgerEntry.objects.order_by(
                "recorded_at", "kind", "amount_minor"
            ).values_list("kind", "amount_minor", "currency", "method", "recorded_at")
        )

    call_command("seed_demo", "--seed", "3")
    first = ledger()
    call_command("flush", "--no-input")
    call_command("seed_demo", "--seed", "3")

    assert ledger() == first
    assert len(first) > 300
