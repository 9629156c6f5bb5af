"""Moving the outbox's models from clients to messaging (issue 19) kept every row: a
database migrated to just before the move, with rows in every moved table, is migrated
forwards across it; the counts and the values read through the new models match, and
the content types followed (clients 0018 and messaging 0001 change Django's state only).
"""

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from messaging.models import (
    AftercareStep,
    MessageSettings,
    MessageText,
    OutboundMessage,
    UsedLink,
)

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
    for model, pk in type_ids.items():
        assert ContentType.objects.get(pk=pk).app_label == "messaging", model
    assert ContentType.objects.get_for_model(OutboundMessage).pk == type_ids.get(
        "outboundmessage", ContentType.objects.get_for_model(OutboundMessage).pk
    )
