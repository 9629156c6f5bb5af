"""Moving models between apps (issue 19) kept every row: a database migrated to just
before a move, with rows in every moved table and in the tables that point at them, is
migrated forwards across it; the counts and the values read through the new models
match, the links still lead to the same rows, and the content types followed.

- The outbox's models, clients -> messaging (clients 0018, messaging 0001).
- Pigments and lots, treatments -> pigments (pigments 0001, clients 0019, messaging
  0002, treatments 0008).
Each of these migrations changes Django's state only; the tables keep their names.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clients.models import PatchTest
from messaging.models import (
    AftercareStep,
    MessageSettings,
    MessageText,
    OutboundMessage,
    UsedLink,
)
from pigments.models import Pigment, PigmentLot
from treatments.models import SessionPigment

BEFORE = [("clients", "0017_treatment_gates_pigment_reaction"), ("messaging", None)]
MOVED = {
    "AftercareStep": AftercareStep,
    "MessageSettings": MessageSettings,
    "MessageText": MessageText,
    "OutboundMessage": OutboundMessage,
    "UsedLink": UsedLink,
}


def migrate(targets):
    executor = MigrationExecutor(connection)
    return executor.migrate(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_outbox_tables_keep_every_row_across_the_move():
    old = migrate(BEFORE)
    try:
        Client = old.get_model("clients", "Client")
        client = Client.objects.create(
            first_name="Zoë", last_name="O'Brien <b>", email="zoe@example.com"
        )
        step = old.get_model("clients", "AftercareStep").objects.create(
            day_offset=3, subject="Day 3", body="Keep it dry.\nNo gym."
        )
        old.get_model("clients", "MessageText").objects.create(
            key="reminder", subject="See you {date}", body="Hello {first_name}"
        )
        old.get_model("clients", "UsedLink").objects.create(digest="d" * 64)
        OldMessage = old.get_model("clients", "OutboundMessage")
        for n in range(25):
            OldMessage.objects.create(
                client=client,
                kind="aftercare" if n % 2 else "reminder",
                aftercare_step=step if n % 2 else None,
                due_at=datetime(2026, 12, 1 + n % 28, 10, tzinfo=UTC),
                dedupe_key=f"move-test:{n}",
                status="sent" if n % 3 else "pending",
                sent_at=datetime(2026, 11, 30, 9, n, tzinfo=UTC) if n % 3 else None,
                subject=f"Subject {n} – ünïcode",
            )
        before = {
            name: old.get_model("clients", name).objects.count() for name in MOVED
        }
        sample = {
            m["dedupe_key"]: m
            for m in OldMessage.objects.values(
                "dedupe_key",
                "client_id",
                "kind",
                "due_at",
                "status",
                "subject",
                "sent_at",
            )
        }
        type_ids = {
            ct.model: ct.pk
            for ct in ContentType.objects.filter(
                app_label="clients", model__in=[m.lower() for m in MOVED]
            )
        }
    finally:
        migrate(latest())

    after = {name: model.objects.count() for name, model in MOVED.items()}
    assert after == before
    assert before["OutboundMessage"] == 25 and before["UsedLink"] == 1
    moved = {
        m["dedupe_key"]: m
        for m in OutboundMessage.objects.values(
            "dedupe_key", "client_id", "kind", "due_at", "status", "subject", "sent_at"
        )
    }
    assert moved == sample
    assert AftercareStep.objects.get(subject="Day 3").body == "Keep it dry.\nNo gym."
    assert MessageText.objects.get(key="reminder").subject == "See you {date}"
    # The content types moved with the models: the same rows, relabelled.
    assert set(type_ids) == {name.lower() for name in MOVED}
    for model, pk in type_ids.items():
        assert ContentType.objects.get(pk=pk).app_label == "messaging", model
    outbox_type = ContentType.objects.get_for_model(OutboundMessage)
    assert outbox_type.pk == type_ids["outboundmessage"]


PIGMENTS_BEFORE = [("pigments", None)]


@pytest.mark.django_db(transaction=True)
def test_pigments_and_lots_keep_every_row_and_every_link_across_the_move():
    old = migrate(PIGMENTS_BEFORE)
    try:
        OldPigment = old.get_model("treatments", "Pigment")
        OldLot = old.get_model("treatments", "PigmentLot")
        Client = old.get_model("clients", "Client")
        client = Client.objects.create(first_name="Ana", last_name="Ruiz")
        lots = []
        for n in range(3):
            pigment = OldPigment.objects.create(
                brand="Perma Blend", shade=f"SMP Dark {n} – «noir»"
            )
            for m in range(4):
                lots.append(
                    OldLot.objects.create(
                        pigment=pigment,
                        lot_number=f"L{n}{m}<b>",
                        expires_on=f"2028-0{m + 1}-15",
                        status="recalled" if m == 3 else "in_use",
                        status_reason="Supplier notice" if m == 3 else "",
                        status_changed_at=datetime(2026, 11, 1, tzinfo=UTC)
                        if m == 3
                        else None,
                    )
                )
        test = old.get_model("clients", "PatchTest").objects.create(
            client=client, applied_at=datetime(2026, 11, 2, 10, tzinfo=UTC)
        )
        test.lots.set(lots[:2])
        session = old.get_model("treatments", "TreatmentSession").objects.create(
            client=client, number=1
        )
        old.get_model("treatments", "SessionPigment").objects.create(
            session=session, lot=lots[5], dilution="50%"
        )
        old.get_model("messaging", "OutboundMessage").objects.create(
            client=client,
            kind="lot_recall",
            lot=lots[3],
            due_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
            dedupe_key="lot-recall:move-test",
        )
        counts = (OldPigment.objects.count(), OldLot.objects.count())
        values = sorted(
            OldLot.objects.values_list(
                "pk", "pigment__shade", "lot_number", "expires_on", "status"
            )
        )
        type_ids = {
            ct.model: ct.pk
            for ct in ContentType.objects.filter(
                app_label="treatments", model__in=["pigment", "pigmentlot"]
            )
        }
    finally:
        migrate(latest())

    assert (Pigment.objects.count(), PigmentLot.objects.count()) == counts == (3, 12)
    assert (
        sorted(
            PigmentLot.objects.values_list(
                "pk", "pigment__shade", "lot_number", "expires_on", "status"
            )
        )
        == values
    )
    moved_test = PatchTest.objects.get(client__first_name="Ana")
    assert sorted(moved_test.lots.values_list("pk", flat=True)) == sorted(
        lot.pk for lot in lots[:2]
    )
    assert SessionPigment.objects.get().lot_id == lots[5].pk
    assert OutboundMessage.objects.get(kind="lot_recall").lot_id == lots[3].pk
    assert set(type_ids) == {"pigment", "pigmentlot"}
    for model, pk in type_ids.items():
        assert ContentType.objects.get(pk=pk).app_label == "pigments", model
    assert ContentType.objects.get_for_model(PigmentLot).pk == type_ids["pigmentlot"]
