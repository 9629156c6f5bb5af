"""GDPR: a client's whole record exported, a client erased, old records purged."""

import io
import json
import os
import zipfile
from datetime import timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from axes.models import AccessLog
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import BookingError, appointment_book
from clients.models import Client, Contraindication, Intake
from core.dates import add_months
from messaging.models import OutboundMessage
from pigments.models import PigmentLot
from privacy.services import ErasureRefused, client_erase, records_purge_expired
from treatments.models import Photo, SessionPigment, TreatmentSession
from treatments.selectors import lot_recall


@pytest.fixture
def record(db, settings, tmp_path):
    """A demo client with a recorded session, a photo, an intake, a signed consent
    and a doctor's letter."""
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", verbosity=0)
    session = (
        TreatmentSession.objects.filter(photos__isnull=False, pigments__isnull=False)
        .select_related("plan__client")
        .first()
    )
    client = session.plan.client
    Intake.objects.update_or_create(
        client=client, defaults={"medications": "Finasteride 1 mg"}
    )
    letter = Contraindication.objects.create(
        client=client, kind="blood_thinners", severity="clearance"
    )
    letter.clearance_document.save("letter.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    consent = client.consents.first()
    consent.signature.save("signature.png", ContentFile(b"\x89PNG\r\n\x1a\nfake"))
    return client, session


def erase(client, manager):
    return client_erase(
        client=client,
        by=manager,
        reason="Request by email on 20 Nov 2026",
        confirm_name=client.full_name,
    )


class TestExport:
    def test_a_manager_downloads_the_whole_record_and_it_is_audited(
        self, client, manager, record
    ):
        person, session = record
        client.force_login(manager)

        response = client.get(f"/clients/{person.pk}/export/")

        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        data = json.loads(archive.read("record.json"))
        assert data["client"][0]["email"] == person.email
        assert data["intake"][0]["medications"] == "Finasteride 1 mg"
        assert {s["id"] for s in data["sessions"]} >= {session.pk}
        lots = {lot["lot_number"] for lot in data["pigment_lots"]}
        assert {use.lot.lot_number for use in session.pigments.all()} <= lots
        names = archive.namelist()
        photos = Photo.objects.filter(client=person).count()
        assert sum(name.startswith("photos/") for name in names) == photos
        assert any(name.startswith("documents/") for name in names)
        assert any(name.startswith("signatures/") for name in names)
        exported = LogEntry.objects.get(additional_data__export="whole record (zip)")
        assert exported.actor == manager
        assert exported.additional_data["client"] == person.pk
        # The export lists who opened the record, this export included.
        assert any(row["page"] == "client record" for row in data["access_and_changes"])

    def test_only_a_manager_exports(self, client, practitioner, record):
        person, _ = record
        client.force_login(practitioner)
        assert client.get(f"/clients/{person.pk}/export/").status_code == 403


class TestErasure:
    def test_a_wrong_name_changes_nothing_and_keeps_what_was_typed(
        self, client, manager, record
    ):
        person, _ = record
        client.force_login(manager)
        response = client.post(
            f"/clients/{person.pk}/erase/",
            {"confirm_name": "Someone Else", "reason": "Request of 20 Nov"},
        )
        assert response.status_code == 422
        assert "Type the client&#x27;s full name exactly" in response.text
        assert 'value="Request of 20 Nov"' in response.text
        person.refresh_from_db()
        assert person.erased_at is None and person.email

    def test_the_person_goes_and_the_regulated_facts_stay(
        self, client, manager, front_desk, record, django_capture_on_commit_callbacks
    ):
        person, session = record
        name, email = person.full_name, person.email
        files = [photo.image.path for photo in Photo.objects.filter(client=person)] + [
            Contraindication.objects.filter(client=person)
            .last()
            .clearance_document.path
        ]
        lots = list(session.pigments.values_list("lot_id", flat=True))
        at = timezone.now() + timedelta(days=40)
        future = Appointment.objects.create(
            client=person,
            service=session.plan.service,
            practitioner=session.plan.practitioner,
            location=session.plan.practitioner.locations.first(),
            starts_at=at,
            ends_at=at + timedelta(hours=2),
            busy_starts_at=at,
            busy_ends_at=at + timedelta(hours=2),
            status="booked",
            source="front_desk",
            notes="Prefers mornings",
        )
        client.force_login(manager)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/clients/{person.pk}/erase/",
                {"confirm_name": f"  {name.upper()} ", "reason": "Request by email"},
            )

        assert response.status_code == 302
        person.refresh_from_db()
        assert person.full_name == f"Erased client {person.pk}"
        assert (person.email, person.phone, person.date_of_birth) == ("", "", None)
        assert person.retain_until is not None
        assert not Intake.objects.filter(client=person).exists()
        assert not Contraindication.objects.filter(client=person).exists()
        assert not Photo.objects.filter(client=person).exists()
        assert not OutboundMessage.objects.filter(client=person).exists()
        assert not any(os.path.exists(path) for path in files)
        assert all(consent.typed_name == "" for consent in person.consents.all())
        future.refresh_from_db()
        assert (future.status, future.notes) == ("cancelled", "")
        # Kept: the session, its practitioner's licence and its pigment lots.
        session.refresh_from_db()
        assert session.licence_number
        assert (
            list(
                SessionPigment.objects.filter(session=session).values_list(
                    "lot_id", flat=True
                )
            )
            == lots
        )
        recall = lot_recall(PigmentLot.objects.get(pk=lots[0]))
        assert person.pk in {use.session.plan.client_id for use in recall}
        # The trail keeps its entries without the name, and records the erasure.
        trail = LogEntry.objects.filter(additional_data__client=person.pk)
        assert trail.count() > 1
        assert not any(name in entry.object_repr for entry in trail)
        assert not any(email in json.dumps(entry.changes) for entry in trail)
        assert trail.filter(additional_data__page="erasure", actor=manager).exists()
        # Gone from the desk: search and the page.
        client.force_login(front_desk)
        for query in (name, "Erased"):
            found = client.get("/clients/", {"q": query}).context["page"]
            assert person not in found.object_list
        assert client.get(f"/clients/{person.pk}/").status_code == 404

    def test_an_erased_client_cannot_be_erased_again_or_booked(self, manager, record):
        person, session = record
        person = erase(person, manager)
        with pytest.raises(ErasureRefused, match="already been erased"):
            erase(person, manager)
        with pytest.raises(BookingError, match="erased"):
            appointment_book(
                client=person,
                service=session.plan.service,
                practitioner=session.plan.practitioner,
                starts_at=timezone.now() + timedelta(days=30),
                booked_by=manager,
            )

    def test_the_facts_are_kept_for_the_years_after_the_last_appointment(
        self, settings, manager, record
    ):
        settings.RECORD_RETENTION_YEARS = 6
        person, _ = record
        last = person.appointments.order_by("-starts_at").first().starts_at
        erased = erase(person, manager)
        expected = add_months(max(last, erased.erased_at).date(), 72)
        assert erased.retain_until == expected


class TestRetention:
    def test_it_purges_what_has_passed_its_period_and_nothing_else(
        self, settings, manager, record, make_client, django_capture_on_commit_callbacks
    ):
        settings.RECORD_RETENTION_YEARS = 6
        person, session = record
        name = person.full_name
        erased = erase(person, manager)
        kept = make_client()
        lot_ids = list(session.pigments.values_list("lot_id", flat=True))
        AccessLog.objects.create(username="dana", ip_address="10.0.0.1")

        with (
            time_machine.travel(
                timezone.now() + timedelta(days=365 * 6 + 400), tick=False
            ),
            django_capture_on_commit_callbacks(execute=True),
        ):
            out = io.StringIO()
            call_command("purge_expired_records", stdout=out)

        assert not Client.objects.filter(pk=erased.pk).exists()
        assert not TreatmentSession.objects.filter(pk=session.pk).exists()
        assert PigmentLot.objects.filter(pk__in=lot_ids).count() == len(lot_ids)
        # Every demo client has been inactive as long: all of them go, and the
        # client added today (as old as the others by the clock) goes too.
        assert not Client.objects.filter(pk=kept.pk).exists()
        assert not AccessLog.objects.exists()
        assert "erased clients purged 1" in out.getvalue()
        assert not LogEntry.objects.filter(object_repr__contains=name).exists()

    def test_a_client_seen_within_the_period_is_kept(self, settings, record):
        settings.RECORD_RETENTION_YEARS = 6
        person, _ = record
        result = records_purge_expired()
        assert result.inactive_clients_purged == 0
        assert Client.objects.filter(pk=person.pk).exists()
