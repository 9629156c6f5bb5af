"""Managers set when messages go and the clinic's words in them, in the app."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from appointments import services
from messaging.models import MessageKind, MessageSettings, MessageText, OutboundMessage
from messaging.outbox import messages_send_due
from messaging.texts import TEXTS, TextError, fill, placeholders_check
from tests.conftest import NOW, make_treatment_ready

SESSION_AT = datetime(2026, 3, 9, 13, 30, tzinfo=UTC)
SETUP = "/setup/messages/"


@pytest.fixture
def jo(jo, practitioner):
    """Jo passes every gate before treatment (appointments.gates)."""
    return make_treatment_ready(jo, by=practitioner)


pytestmark = pytest.mark.usefixtures("rooms")


def book(jo, service, sam, by, at=SESSION_AT):
    return services.appointment_book(
        client=jo, service=service, practitioner=sam, starts_at=at, booked_by=by
    )


def pending_reminders(appointment):
    return {
        (m.kind, m.due_at)
        for m in OutboundMessage.objects.filter(
            appointment=appointment,
            status="pending",
            kind__in=[MessageKind.REMINDER, MessageKind.PREPARATION],
        )
    }


TIMES = {
    "reminder_hours": "72, 2",
    "preparation_hours": "24",
    "minoxidil_pause_days": "7",
    "course_nudge_days": "3",
    "permanent_check_months": "12",
    "permanent_touch_up_months": "30",
    "temporary_fade_check_months": "4, 8",
}


class TestPlaceholders:
    @pytest.mark.parametrize(
        "text",
        [
            "Hello {name}",
            "{first_name.__class__}",
            "{first_name[0]}",
            "{first_name!r}",
            "{time:>40}",
            "Price {",
            "}",
        ],
    )
    def test_anything_but_a_known_plain_name_is_refused(self, text):
        with pytest.raises(TextError):
            placeholders_check(text, TEXTS["reminder"].placeholders)

    def test_a_plan_text_cannot_use_appointment_placeholders(self):
        with pytest.raises(TextError, match=r"\{time\} is not a placeholder here"):
            placeholders_check("At {time}", TEXTS["touch_up"].placeholders)

    def test_known_names_are_filled_and_doubled_braces_kept(self):
        assert fill("Hi {first_name} {{ok}}", {"first_name": "Jo"}) == "Hi Jo {ok}"

    def test_a_text_broken_outside_the_app_is_sent_as_written(self):
        assert fill("Hi {first_name.x}", {"first_name": "Jo"}) == "Hi {first_name.x}"

    def test_every_default_text_passes_its_own_check(self):
        for kind in TEXTS.values():
            placeholders_check(kind.subject, kind.placeholders)
            placeholders_check(kind.body, kind.placeholders)


class TestTiming:
    def test_a_new_clinic_starts_from_the_settings(self, db, settings):
        settings.MESSAGE_REMINDER_HOURS = [36, 12]
        from messaging.selectors import message_settings

        assert message_settings().reminder_hour_list == [36, 12]

    def test_the_managers_times_decide_new_bookings(
        self, client, manager, frozen_now, jo, smp_session, sam, front_desk
    ):
        client.force_login(manager)
        response = client.post(SETUP, {**TIMES, "apply_to_booked": ""})
        assert response.status_code == 302
        appointment = book(jo, smp_session, sam, front_desk)
        assert pending_reminders(appointment) == {
            (MessageKind.PREPARATION, SESSION_AT - timedelta(hours=24)),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=72)),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=2)),
        }
        assert MessageSettings.objects.get().updated_by == manager

    def test_booked_appointments_are_re_planned_only_when_asked(
        self, client, manager, frozen_now, jo, smp_session, sam, front_desk
    ):
        appointment = book(jo, smp_session, sam, front_desk)
        before = pending_reminders(appointment)
        client.force_login(manager)
        client.post(SETUP, {**TIMES, "apply_to_booked": ""})
        assert pending_reminders(appointment) == before

        response = client.post(SETUP, {**TIMES, "apply_to_booked": "on"}, follow=True)
        assert "Re-planned the reminders of 1 appointments" in response.text
        assert pending_reminders(appointment) == {
            (MessageKind.PREPARATION, SESSION_AT - timedelta(hours=24)),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=72)),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=2)),
        }
        # The confirmation is untouched, and a second save changes nothing more.
        assert OutboundMessage.objects.filter(
            kind="confirmation", status="pending"
        ).exists()
        client.post(SETUP, {**TIMES, "apply_to_booked": "on"})
        assert pending_reminders(appointment) == {
            (MessageKind.PREPARATION, SESSION_AT - timedelta(hours=24)),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=72)),
            (MessageKind.REMINDER, SESSION_AT - timedelta(hours=2)),
        }

    @pytest.mark.parametrize(
        ("field", "value", "error"),
        [
            ("reminder_hours", "48, soon", "“soon” is not a number of hours"),
            ("reminder_hours", "0", "“0” is not a number of hours from 1 to 336"),
            ("temporary_fade_check_months", "6;12", "“6;12” is not a number"),
            ("course_nudge_days", "0", "greater than or equal to 1"),
        ],
    )
    def test_bad_times_are_refused_kept_and_change_nothing(
        self, client, manager, db, field, value, error
    ):
        client.force_login(manager)
        response = client.post(SETUP, {**TIMES, field: value})
        assert response.status_code == 422
        assert error in response.text
        assert f'value="{value}"' in response.text
        assert MessageSettings.objects.get().reminder_hours == "48, 24"

    @pytest.mark.parametrize("who", ["front_desk", "practitioner"])
    def test_only_managers_reach_the_page(self, client, request, who):
        client.force_login(request.getfixturevalue(who))
        assert client.get(SETUP).status_code == 403
        assert client.post(SETUP, TIMES).status_code == 403
        assert client.get(f"{SETUP}reminder/").status_code == 403


class TestTexts:
    def test_the_clinics_words_go_out_in_emails_not_sent_yet(
        self, client, manager, jo, consultation, sam, front_desk, time_machine
    ):
        time_machine.move_to(NOW, tick=False)
        book(jo, consultation, sam, front_desk)
        client.force_login(manager)
        response = client.post(
            f"{SETUP}confirmation/",
            {
                "subject": "See you {date}, {first_name}",
                "body": "Parking is behind the shop.\n<script>alert(1)</script>",
            },
        )
        assert response.status_code == 302
        messages_send_due()
        [email] = mail.outbox
        assert email.subject == "See you Mon 9 Mar, Jo · SMP Clinic"
        assert "Parking is behind the shop." in email.body
        html = email.alternatives[0][0]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>" not in html

    def test_a_bad_placeholder_is_refused_and_the_text_kept(self, client, manager, db):
        client.force_login(manager)
        response = client.post(
            f"{SETUP}reminder/", {"subject": "Soon: {servce}", "body": "See you."}
        )
        assert response.status_code == 422
        assert "{servce} is not a placeholder here" in response.text
        assert 'value="Soon: {servce}"' in response.text
        assert not MessageText.objects.exists()

    def test_the_default_words_come_back_on_request(self, client, manager, db):
        client.force_login(manager)
        client.post(f"{SETUP}touch_up/", {"subject": "Touch-up time", "body": "Hi."})
        page = client.get(SETUP).text
        assert "Touch-up time" in page
        assert "The clinic's own" in page
        client.post(f"{SETUP}touch_up/reset/")
        assert not MessageText.objects.exists()
        assert TEXTS["touch_up"].subject in client.get(SETUP).text

    def test_the_edit_page_shows_the_placeholders_and_an_example(
        self, client, manager, db
    ):
        client.force_login(manager)
        page = client.get(f"{SETUP}reminder/").text
        assert "{practitioner}" in page
        assert "Reminder: SMP session Wed 4 Mar at 13:30" in page
        assert client.get(f"{SETUP}nonsense/").status_code == 404
