"""The audit trail: changes, views and exports, with who and when; read-only."""

from datetime import UTC, date, datetime

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from appointments import services as booking
from clients.models import Client, Intake
from core.audit import MASKED, redaction_allowed
from pigments.models import Pigment, PigmentLot

SESSION_AT = datetime(2026, 3, 4, 9, 15, tzinfo=UTC)


def entries_for(instance, action=None):
    found = LogEntry.objects.get_for_object(instance)
    return found if action is None else found.filter(action=action)


@pytest.fixture
def lot(db):
    pigment = Pigment.objects.create(brand="Perma Blend", shade="SMP Dark")
    return PigmentLot.objects.create(
        pigment=pigment, lot_number="L26001A", expires_on=date(2030, 1, 1)
    )


class TestChanges:
    def test_an_intake_change_names_who_and_hides_the_health_details(
        self, client, practitioner, jo
    ):
        client.force_login(practitioner)
        client.post(
            f"/clients/{jo.pk}/intake/health/",
            {
                "health-medications": "Finasteride 1 mg",
                "health-allergies": "Nickel",
                "health-pigment_reaction": "False",
            },
            headers={"HX-Request": "true"},
        )
        intake = Intake.objects.get(client=jo)
        entry = entries_for(intake, LogEntry.Action.CREATE).get()
        assert entry.actor == practitioner
        assert entry.remote_addr == "127.0.0.1"
        assert entry.additional_data["client"] == jo.pk
        assert entry.changes["medications"] == [MASKED, MASKED]
        assert "Finasteride" not in str(entry.changes)
        assert "Nickel" not in str(entry.changes)

    def test_an_appointment_cancelled_shows_the_status_before_and_after(
        self, client, frozen_now, front_desk, jo, smp_session, sam, rooms,
        treatment_ready,
    ):  # fmt: skip
        treatment_ready(jo)
        appointment = booking.appointment_book(
            client=jo,
            service=smp_session,
            practitioner=sam,
            starts_at=SESSION_AT,
            booked_by=front_desk,
        )
        client.force_login(front_desk)
        client.post(
            f"/appointments/{appointment.pk}/cancel/", {"reason": "Client unwell"}
        )
        entry = entries_for(appointment, LogEntry.Action.UPDATE).get()
        assert entry.actor == front_desk
        assert entry.changes["status"] == ["booked", "cancelled"]
        assert entry.additional_data == {"client": jo.pk}

    def test_a_booking_records_its_own_fields_not_the_rows_pointing_at_it(
        self, frozen_now, front_desk, jo, smp_session, sam, rooms, treatment_ready
    ):
        treatment_ready(jo)
        appointment = booking.appointment_book(
            client=jo,
            service=smp_session,
            practitioner=sam,
            starts_at=SESSION_AT,
            booked_by=front_desk,
        )
        entry = entries_for(appointment, LogEntry.Action.CREATE).get()
        assert entry.changes["status"] == [None, "booked"]
        assert entry.changes["practitioner"] == [None, sam.pk]
        # Its messages, payments and documents are logged as their own rows; here
        # they were only "messaging.OutboundMessage.None".
        assert ".None" not in str(entry.changes)
        assert not {"messages", "ledger_entries", "documents"} & set(entry.changes)

    def test_a_csv_import_is_recorded_client_by_client(self, client, manager):
        client.force_login(manager)
        csv = SimpleUploadedFile(
            "clients.csv",
            b"first_name,last_name,email\nAmy,Ng,amy@x.test\nBen,Oh,ben@x.test\n",
        )
        digest = client.post("/clients/import/", {"file": csv}).context["digest"]
        client.post("/clients/import/", {"confirm": "1", "digest": digest})
        imported = Client.objects.filter(email__in=["amy@x.test", "ben@x.test"])
        assert imported.count() == 2
        for person in imported:
            entry = entries_for(person, LogEntry.Action.CREATE).get()
            assert entry.actor == manager
            assert entry.additional_data == {"client": person.pk, "page": "CSV import"}

    def test_a_deleted_record_leaves_its_entry(self, jo):
        pk = jo.pk
        jo.delete()
        entry = LogEntry.objects.get(object_pk=str(pk), action=LogEntry.Action.DELETE)
        assert entry.object_repr == "Jo Bloggs"


class TestViewsAndExports:
    def test_opening_a_clinical_page_is_recorded(self, client, practitioner, jo):
        client.force_login(practitioner)
        client.get(f"/clients/{jo.pk}/intake/")
        entry = entries_for(jo, LogEntry.Action.ACCESS).get()
        assert entry.actor == practitioner
        assert entry.additional_data == {"client": jo.pk, "page": "intake"}

    def test_the_front_desk_view_of_contact_details_is_not_a_clinical_view(
        self, client, front_desk, jo
    ):
        client.force_login(front_desk)
        assert client.get(f"/clients/{jo.pk}/").status_code == 200
        assert not entries_for(jo, LogEntry.Action.ACCESS).exists()

    def test_a_recall_export_is_recorded_as_an_export(self, client, manager, lot):
        client.force_login(manager)
        client.get(f"/lots/{lot.pk}/recall/?format=csv")
        entry = entries_for(lot, LogEntry.Action.ACCESS).get()
        assert entry.additional_data == {"page": "lot recall", "export": "recall CSV"}


class TestTheTrailPage:
    def test_a_manager_filters_one_clients_trail(
        self, client, manager, practitioner, jo
    ):
        other = Client.objects.create(first_name="Ann", last_name="Other")
        client.force_login(practitioner)
        client.get(f"/clients/{jo.pk}/intake/")
        client.get(f"/clients/{other.pk}/intake/")
        client.force_login(manager)

        response = client.get(f"/audit/?client={jo.pk}&action=viewed")

        assert response.status_code == 200
        rows = response.context["rows"]
        assert [(row.action, row.client_id, row.page) for row in rows] == [
            ("Viewed", jo.pk, "intake")
        ]
        assert "Audit trail of" in response.text

    def test_exports_filter_apart_from_views(self, client, manager, lot):
        client.force_login(manager)
        client.get(f"/lots/{lot.pk}/recall/")
        client.get(f"/lots/{lot.pk}/recall/?format=csv")
        exported = client.get("/audit/?action=exported").context["rows"]
        viewed = client.get("/audit/?action=viewed").context["rows"]
        assert [row.page for row in exported] == ["lot recall · recall CSV"]
        assert [row.page for row in viewed] == ["lot recall"]

    def test_dates_the_wrong_way_round_are_explained_and_kept(self, client, manager):
        client.force_login(manager)
        response = client.get("/audit/?since=2026-03-10&until=2026-03-01")
        assert response.status_code == 422
        assert "The end date is before the start date." in response.text
        assert 'value="2026-03-10"' in response.text
        assert response.context["rows"] == []

    def test_a_name_is_shown_escaped(self, client, manager):
        Client.objects.create(first_name="<script>alert(1)</script>", last_name="X")
        client.force_login(manager)
        response = client.get("/audit/")
        assert "<script>alert(1)" not in response.text
        assert "&lt;script&gt;alert(1)" in response.text

    def test_the_page_costs_the_same_queries_for_5_or_50_entries(
        self, client, manager, make_client
    ):
        client.force_login(manager)
        for _ in range(5):
            make_client()
        client.get("/audit/")  # warm the session and content types
        with CaptureQueriesContext(connection) as few:
            client.get("/audit/")
        for _ in range(45):
            make_client()
        with CaptureQueriesContext(connection) as many:
            client.get("/audit/")
        assert len(many) == len(few)

    def test_nobody_but_a_manager_reads_it(self, client, front_desk, practitioner):
        for user in (front_desk, practitioner):
            client.force_login(user)
            assert client.get("/audit/").status_code == 403


class TestAppendOnly:
    def test_the_admin_cannot_change_or_delete_an_entry(self, admin_client, jo):
        entry = entries_for(jo).get()
        change = admin_client.get(f"/admin/auditlog/logentry/{entry.pk}/change/")
        assert change.status_code == 200
        assert "Save" not in change.text
        delete = admin_client.post(
            f"/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"}
        )
        assert delete.status_code == 403
        assert LogEntry.objects.filter(pk=entry.pk).exists()

    @pytest.mark.postgres
    def test_the_database_refuses_to_change_or_delete_an_entry(self, jo):
        entry = entries_for(jo).get()
        for attempt in (
            lambda: LogEntry.objects.filter(pk=entry.pk).update(object_repr="edited"),
            lambda: LogEntry.objects.filter(pk=entry.pk).delete(),
        ):
            refused = pytest.raises(DatabaseError, match="cannot be changed or deleted")
            with refused, transaction.atomic():
                attempt()
        entry.refresh_from_db()
        assert entry.object_repr == "Jo Bloggs"

    @pytest.mark.postgres
    def test_erasure_may_redact_inside_its_transaction_only(self, jo):
        entry = entries_for(jo).get()
        with transaction.atomic(), redaction_allowed():
            LogEntry.objects.filter(pk=entry.pk).update(object_repr="Erased client")
        entry.refresh_from_db()
        assert entry.object_repr == "Erased client"
        with pytest.raises(DatabaseError), transaction.atomic():
            LogEntry.objects.filter(pk=entry.pk).update(object_repr="again")

    @pytest.mark.postgres
    def test_a_deleted_staff_account_leaves_its_email_on_the_entry(
        self, client, practitioner, jo
    ):
        client.force_login(practitioner)
        client.get(f"/clients/{jo.pk}/intake/")
        practitioner.delete()
        entry = entries_for(jo, LogEntry.Action.ACCESS).get()
        assert entry.actor is None
        assert entry.actor_email == practitioner.email
