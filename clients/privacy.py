"""A client's whole record as one zip (GDPR Art. 15 and 20): record.json and files.

record.json holds every row that concerns the client, field by field (Django's own
serialisation, so a new field is exported without a change here), the pigment lots
used on them, and who opened or changed their record and when (from the audit trail).
"""

import json
import tempfile
import zipfile
from pathlib import PurePosixPath

from auditlog.models import LogEntry
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from appointments.models import Appointment
from clients.models import (
    Client,
    Consent,
    Contraindication,
    Intake,
    OutboundMessage,
    PatchTest,
    SuitabilityDecision,
)
from treatments.models import (
    Photo,
    PigmentLot,
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
