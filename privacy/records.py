"""A client's whole record as one zip (GDPR Art. 15 and 20): record.json and files;
and what erasure (Art. 17) removes from the rows about them.

record.json holds every row that concerns the client, field by field (Django's own
serialisation, so a new field is exported without a change here), the pigment lots
used on them, and who opened or changed their record and when (from the audit trail).

Erasure finds the rows about a client by introspection (client_row_models): every
model with a foreign key to Client, and every model below those (an appointment's
session record, a session's pigments), so a model added later cannot be forgotten.
Their free text (char and text fields without choices) is emptied, but for the few
fields the regulations keep (KEPT_TEXT: needles, cartridge lots, the practitioner's
licence, pigment dilutions); some rows go altogether (DELETED_ON_ERASURE).
"""

import json
import tempfile
import zipfile
from pathlib import PurePosixPath

from auditlog.models import LogEntry
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment, WaitlistEntry
from clients.models import (
    Client,
    Consent,
    Contraindication,
    Intake,
    IntakeEntry,
    PatchTest,
    SuitabilityDecision,
)
from messaging.models import InboundMessage, OutboundMessage
from payments.models import LedgerEntry
from pigments.models import PigmentLot
from treatments.models import (
    Photo,
    SessionNeedle,
    SessionPigment,
    TreatmentPlan,
    TreatmentSession,
)

# Spooled in memory up to this size, then on disk: a record with many photos does not
# hold the web worker's memory.
SPOOL_BYTES = 8 * 1024 * 1024


def client_record(client: Client) -> dict:
    sessions = TreatmentSession.objects.filter(client=client)
    uses = SessionPigment.objects.filter(session__in=sessions)
    sections = {
        "client": Client.objects.filter(pk=client.pk),
        "intake": Intake.objects.filter(client=client),
        "intake_entered_by_client": IntakeEntry.objects.filter(client=client),
        "contraindications": Contraindication.objects.filter(client=client),
        "suitability_decisions": SuitabilityDecision.objects.filter(client=client),
        "patch_tests": PatchTest.objects.filter(client=client),
        "consents": Consent.objects.filter(client=client),
        "appointments": Appointment.objects.filter(client=client),
        "treatment_plans": TreatmentPlan.objects.filter(client=client),
        "sessions": sessions,
        "session_pigments": uses,
        "pigment_lots": PigmentLot.objects.filter(uses__in=uses)
        .select_related("pigment")
        .distinct(),
        "photos": Photo.objects.filter(client=client),
        "messages": OutboundMessage.objects.filter(client=client),
        "texts_received": InboundMessage.objects.filter(client=client),
        "payments": LedgerEntry.objects.filter(client=client),
    }
    record = {
        "exported_at": timezone.now(),
        **{
            name: [
                {"id": row["pk"], **row["fields"]}
                for row in serializers.serialize("python", rows.order_by("pk"))
            ]
            for name, rows in sections.items()
        },
    }
    record["access_and_changes"] = [
        {
            "at": entry.timestamp,
            "by": entry.actor_email or "system",
            "action": entry.get_action_display(),
            "record": entry.object_repr,
            "page": (entry.additional_data or {}).get("page", ""),
        }
        for entry in LogEntry.objects.filter(additional_data__client=client.pk)
        .select_related("actor")
        .order_by("timestamp", "pk")
    ]
    return record


def client_export_zip(client: Client):
    """A file object of the zip, positioned at its start."""
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (FileResponse closes it)
    with zipfile.ZipFile(spooled, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "record.json",
            json.dumps(client_record(client), cls=DjangoJSONEncoder, indent=2),
        )
        for folder, file in client_files([client.pk]):
            with file.open("rb") as source:
                name = f"{folder}/{PurePosixPath(file.name).name}"
                archive.writestr(name, source.read(), zipfile.ZIP_STORED)
    spooled.seek(0)
    return spooled


def client_files(client_ids: list[int], *, thumbnails: bool = False):
    """(folder, file) for every stored file of these clients, in three queries:
    photos, doctors' documents and drawn signatures."""
    for photo in Photo.objects.filter(client__in=client_ids):
        yield "photos", photo.image
        if thumbnails:
            yield "photos", photo.thumbnail
    for item in Contraindication.objects.filter(client__in=client_ids):
        if item.clearance_document:
            yield "documents", item.clearance_document
    for consent in Consent.objects.filter(client__in=client_ids):
        if consent.signature:
            yield "signatures", consent.signature


# Erasure (GDPR Art. 17).

# Rows that go with the person: nothing in them is a regulated fact.
DELETED_ON_ERASURE = (
    Intake,
    IntakeEntry,
    Contraindication,
    OutboundMessage,
    InboundMessage,
    Photo,
    WaitlistEntry,
)
# Free text the regulations keep with the session (body-art codes, EN 17169,
# REACH entry 75): which needles and cartridge, by whom, how the pigment was diluted.
KEPT_TEXT = {
    TreatmentSession: {"needle", "cartridge_lot", "licence_number"},
    SessionNeedle: {"needle", "cartridge_lot"},
    SessionPigment: {"dilution"},
    # Accounting records are kept whole (HMRC six years, the IRS three to seven):
    # the ledger is append-only, so erasure leaves its rows as they are.
    LedgerEntry: {"provider_reference", "reason"},
}
# Where a database constraint wants text (a cancellation and a deliberate overlap
# name their reason), the erased row keeps this instead of what was written.
ERASED_TEXT = "(erased)"
PLACEHOLDERS = {
    Appointment: {"cancellation_reason": ERASED_TEXT, "overlap_reason": ERASED_TEXT},
    # A hairline signed off keeps the fact (and its time), not the typed name.
    TreatmentPlan: {"design_signed_name": ERASED_TEXT},
    # A withdrawn patch test keeps the fact that it was withdrawn (the database
    # wants a reason with it), not the words.
    PatchTest: {"withdrawal_reason": ERASED_TEXT},
}
MAX_DEPTH = 4


def client_row_models() -> dict[type[models.Model], list[str]]:
    """Every model with rows about a client, with the lookups that lead from it to
    the client (`client`, `appointment__client`, `session__plan__client`...)."""
    found: dict[type[models.Model], list[str]] = {}

    def walk(model, path: str, visited: tuple) -> None:
        if len(visited) > MAX_DEPTH:
            return
        for relation in model._meta.related_objects:
            if not (relation.one_to_many or relation.one_to_one):
                continue
            child = relation.related_model
            if child in visited:
                continue
            lookup = f"{relation.field.name}__{path}" if path else relation.field.name
            found.setdefault(child, []).append(lookup)
            walk(child, lookup, (*visited, child))

    walk(Client, "", (Client,))
    return found


def free_text_fields(model) -> list[str]:
    """Fields that hold whatever someone typed: char and text fields without choices."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField)) and not field.choices
    ]


def erased_text_fields(model) -> list[str]:
    kept = KEPT_TEXT.get(model, set())
    return [name for name in free_text_fields(model) if name not in kept]


def rows_about(model, lookups: list[str], client_ids: list[int]):
    match = Q()
    for lookup in lookups:
        match |= Q(**{f"{lookup}__in": client_ids})
    return model._default_manager.filter(match)


def client_rows_erase(client: Client) -> None:
    """Delete DELETED_ON_ERASURE rows and empty the free text of every other row
    about the client (inside the erasure's transaction)."""
    row_models = client_row_models()
    for model in DELETED_ON_ERASURE:
        rows_about(model, row_models[model], [client.pk]).delete()
    for model, lookups in row_models.items():
        if model in DELETED_ON_ERASURE:
            continue
        rows = rows_about(model, lookups, [client.pk])
        placeholders = PLACEHOLDERS.get(model, {})
        emptied = {
            name: "" for name in erased_text_fields(model) if name not in placeholders
        }
        if emptied:
            rows.update(**emptied)
        for name, placeholder in placeholders.items():
            rows.exclude(**{name: ""}).update(**{name: placeholder})
