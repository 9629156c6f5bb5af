from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from appointments.models import Appointment, WorkingHours
from messaging.models import OutboundMessage


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


def test_demo_logins_needs_the_demo_staff(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path

    with pytest.raises(CommandError, match="seed_demo"):
        call_command("demo_logins")


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
