"""Clinical records keep what an edit did not change, and who recorded them.

Each round-trip test loads a fully filled record, opens its edit page as a browser
would, posts back exactly what the page pre-filled (read from the HTML, textareas
with the CRLF line breaks browsers send) and checks that no field changed and that
the audit trail has no change entry.
"""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from django.forms.models import model_to_dict
from django.urls import reverse

from appointments import services as booking
from appointments.models import Appointment
from messaging.models import MessageKind, OutboundMessage
from pigments.models import PigmentLot
from tests.html_forms import form_data
from treatments import services
from treatments.models import TreatmentPlan, TreatmentSession

pytestmark = pytest.mark.usefixtures("frozen_now")

DAY = date(2026, 3, 3)
HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'
LONG_NOTES = f"Line one {HOSTILE}\nLine two\n\n" + "much detail " * 400 + "end"


def local(day, hour, minute, zone):
    return datetime.combine(day, time(hour, minute), zone)


def changes_since(mark: int) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(pk__gt=mark).exclude(action=LogEntry.Action.ACCESS)
    )


def last_entry() -> int:
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def lots(pigment):
    return [
        PigmentLot.objects.create(
            pigment=pigment, lot_number=f"L{n}", expires_on=date(2030, 1, 1)
        )
        for n in range(1, 5)
    ]


@pytest.fixture
def held(make_plan, london, front_desk):
    """Session 1 of a plan, booked at 09:15 on DAY and checked in."""
    plan = make_plan(hairline_style="soft", recession="mature", design_notes=LONG_NOTES)
    starts_at = local(DAY, 9, 15, london.zone)
    services.course_book(
        plan=plan, starts={1: starts_at}, location=london, booked_by=front_desk
    )
    session = plan.sessions.get(number=1)
    with time_machine.travel(starts_at, tick=False):
        booking.appointment_check_in(appointment=session.appointment, by=front_desk)
    return session


@pytest.fixture
def recorded(held, lots, sam):
    """Every field of the record filled, four lots (more than the form's three rows)."""
    with time_machine.travel(held.appointment.starts_at + timedelta(hours=3)):
        return services.session_record(
            session=held,
            zones={"frontal_hairline": "light", "crown": "dense", "back": "medium"},
            pigments=[(lot, f"{n}0% {HOSTILE}") for n, lot in enumerate(lots, 1)],
            by=sam.user,
            needle="3RL",
            cartridge_lot=f"C-{HOSTILE}"[:64],
            depth_note=("deep " + HOSTILE)[:200],
            anaesthetic=("lidocaine " + HOSTILE)[:200],
            skin_reaction=("mild redness " + HOSTILE)[:200],
            notes=LONG_NOTES,
            duration_minutes=170,
        )


def session_state(session: TreatmentSession) -> dict:
    session.refresh_from_db()
    return {
        **model_to_dict(session),
        "recorded_at": session.recorded_at,
        "pigments": sorted(session.pigments.values_list("lot_id", "dilution")),
    }


class TestSessionRecordRoundTrip:
    def test_an_unchanged_save_by_another_user_changes_no_field(
        self, client, recorded, manager
    ):
        before = session_state(recorded)
        client.force_login(manager)
        url = reverse("session_record", args=[recorded.pk])
        page = client.get(url)
        assert page.status_code == 200
        data = form_data(page.content.decode(), having="notes")
        assert "\r\n" in data["notes"][0]
        mark = last_entry()
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert session_state(recorded) == before
        assert changes_since(mark) == []

    def test_changing_the_cartridge_lot_keeps_duration_reaction_and_notes(
        self, client, recorded, manager
    ):
        before = session_state(recorded)
        client.force_login(manager)
        url = reverse("session_record", args=[recorded.pk])
        data = form_data(client.get(url).content.decode(), having="notes")
        data["cartridge_lot"] = ["C-NEW-2"]
        mark = last_entry()
        assert client.post(url, data).status_code == 302
        after = session_state(recorded)
        assert after == {**before, "cartridge_lot": "C-NEW-2"}
        entries = changes_since(mark)
        assert [(e.action, set(e.changes_dict)) for e in entries] == [
            (LogEntry.Action.UPDATE, {"cartridge_lot"})
        ]


class TestTheRecorderStays:
    def test_an_edit_by_another_user_keeps_the_recorder_and_licence(
        self, client, recorded, sam, manager
    ):
        recorded_at = recorded.recorded_at
        sam.licence_number = "BA-NEW"
        sam.save()
        client.force_login(manager)
        url = reverse("session_record", args=[recorded.pk])
        data = form_data(client.get(url).content.decode(), having="notes")
        data["skin_reaction"] = ["none"]
        mark = last_entry()
        assert client.post(url, data).status_code == 302
        recorded.refresh_from_db()
        assert recorded.recorded_by == sam.user
        assert recorded.licence_number == "BA-1"
        assert recorded.recorded_at == recorded_at
        [entry] = changes_since(mark)
        assert entry.actor == manager
        assert set(entry.changes_dict) == {"skin_reaction"}

    def test_the_page_names_the_recorder_not_the_editor(
        self, client, recorded, manager
    ):
        client.force_login(manager)
        page = client.get(reverse("session_record", args=[recorded.pk]))
        assert "recorded by Sam Okafor, licence BA-1" in page.content.decode()


class TestPlanEditRoundTrip:
    def test_an_unchanged_save_changes_no_field(self, client, held, manager):
        plan = held.plan
        TreatmentPlan.objects.filter(pk=plan.pk).update(surgery_on=date(2025, 1, 1))
        before = model_to_dict(TreatmentPlan.objects.get(pk=plan.pk))
        client.force_login(manager)
        url = reverse("plan_edit", args=[plan.pk])
        data = form_data(client.get(url).content.decode(), having="design_notes")
        mark = last_entry()
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert model_to_dict(TreatmentPlan.objects.get(pk=plan.pk)) == before
        assert changes_since(mark) == []


class TestRecordingCompletesTheAppointment:
    def test_the_same_save_completes_it_and_starts_the_aftercare(
        self, client, held, lots, practitioner
    ):
        url = reverse("session_record", args=[held.pk])
        with time_machine.travel(held.appointment.starts_at + timedelta(hours=2)):
            client.force_login(practitioner)
            data = form_data(client.get(url).content.decode(), having="notes")
            assert data["complete_appointment"] == ["on"]
            data.update(zone_crown=["light"], lot_1=[str(lots[0].pk)])
            assert client.post(url, data).status_code == 302
        held.appointment.refresh_from_db()
        assert held.appointment.status == Appointment.Status.COMPLETED
        assert OutboundMessage.objects.filter(
            appointment=held.appointment, kind=MessageKind.AFTERCARE
        ).exists()

    def test_unticked_it_records_and_leaves_the_appointment_checked_in(
        self, client, held, lots, practitioner
    ):
        url = reverse("session_record", args=[held.pk])
        with time_machine.travel(held.appointment.starts_at + timedelta(hours=2)):
            client.force_login(practitioner)
            data = form_data(client.get(url).content.decode(), having="notes")
            del data["complete_appointment"]
            data.update(zone_crown=["light"], lot_1=[str(lots[0].pk)])
            assert client.post(url, data).status_code == 302
        held.refresh_from_db()
        assert held.is_recorded
        assert held.appointment.status == Appointment.Status.CHECKED_IN

    def test_before_the_start_it_is_not_offered_and_a_forged_tick_is_ignored(
        self, client, held, lots, practitioner
    ):
        url = reverse("session_record", args=[held.pk])
        with time_machine.travel(held.appointment.starts_at - timedelta(minutes=30)):
            client.force_login(practitioner)
            data = form_data(client.get(url).content.decode(), having="notes")
            assert "complete_appointment" not in data
            data.update(
                zone_crown=["light"],
                lot_1=[str(lots[0].pk)],
                complete_appointment=["on"],
            )
            assert client.post(url, data).status_code == 302
        held.appointment.refresh_from_db()
        assert held.appointment.status == Appointment.Status.CHECKED_IN

    def test_an_appointment_that_refuses_to_complete_is_a_message_not_a_500(
        self, client, held, lots, practitioner
    ):
        # An appointment row that fails its own validation (an older row with no
        # source) refuses the completion on the same save: the practitioner reads why,
        # and nothing of what they typed is lost or recorded half.
        Appointment.objects.filter(pk=held.appointment.pk).update(source="")
        url = reverse("session_record", args=[held.pk])
        with time_machine.travel(held.appointment.starts_at + timedelta(hours=2)):
            client.force_login(practitioner)
            data = form_data(client.get(url).content.decode(), having="notes")
            data.update(
                zone_crown=["light"], lot_1=[str(lots[0].pk)], notes=["kept <b>x</b>"]
            )
            response = client.post(url, data)
        assert response.status_code == 422
        page = response.content.decode()
        assert "This field cannot be blank." in page
        assert "kept &lt;b&gt;x&lt;/b&gt;" in page
        held.refresh_from_db()
        assert not held.is_recorded
