"""Plans and whole-course booking: suitability gate, gap rules, all or nothing, moves,
and what completing the course writes to the outbox."""

from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
import time_machine
from django.core.exceptions import ValidationError

from appointments import services as booking
from appointments.models import Appointment
from clients.models import Intake, Recommendation, SuitabilityDecision
from messaging.models import MessageKind, MessageStatus, OutboundMessage
from messaging.outbox import messages_send_due
from tests.conftest import NOW
from treatments import selectors, services
from treatments.models import PlanStatus


def at(day: date, hour: int, minute: int = 0, *, zone) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


pytestmark = pytest.mark.usefixtures("frozen_now")


class TestPlanCreation:
    def test_a_plan_needs_a_decision_that_allows_treatment(
        self, make_plan, jo, practitioner
    ):
        SuitabilityDecision.objects.create(
            client=jo,
            recommended=Recommendation.NOT_SUITABLE,
            decision=Recommendation.NOT_SUITABLE,
            decided_by=practitioner,
            decided_at=NOW + timedelta(minutes=1),
        )
        with pytest.raises(ValidationError, match="Not suitable"):
            make_plan()
        assert not jo.plans.exists()

    def test_a_plan_gets_a_row_per_planned_session(self, make_plan):
        plan = make_plan(sessions_planned=4)
        assert [s.number for s in plan.sessions.all()] == [1, 2, 3, 4]

    def test_the_gap_range_must_make_sense(self, make_plan):
        with pytest.raises(ValidationError, match="shortest gap"):
            make_plan(gap_min_days=15, gap_max_days=10)

    def test_scar_camouflage_waits_for_the_surgery_plus_nine_months(
        self, make_plan, jo, london
    ):
        Intake.objects.filter(client=jo).update(
            transplant="fut", transplant_on=date(2025, 9, 1)
        )
        plan = make_plan(goal="scar")
        assert plan.surgery_on == date(2025, 9, 1)
        assert selectors.plan_earliest_start(plan) == date(2026, 6, 1)
        proposal = selectors.course_proposal(
            plan=plan, first_day=date(2026, 3, 3), location=london
        )
        assert proposal.rows[0].local_start.date() == date(2026, 6, 1)
        with pytest.raises(ValidationError, match="cannot start before 01 Jun 2026"):
            services.course_book(
                plan=plan,
                starts={1: at(date(2026, 5, 4), 9, 15, zone=london.zone)},
                location=london,
                booked_by=None,
            )


class TestCourseBooking:
    def test_the_proposal_spaces_every_session_inside_the_gap_limits(
        self, make_plan, london
    ):
        plan = make_plan(gap_min_days=10, gap_max_days=14)
        proposal = selectors.course_proposal(
            plan=plan, first_day=date(2026, 3, 3), location=london
        )
        starts = [row.local_start for row in proposal.rows]
        assert starts[0] == at(date(2026, 3, 3), 9, 15, zone=london.zone)
        assert [(b.date() - a.date()).days for a, b in pairwise(starts)] == [
            10,
            10,
        ]
        # One routine: every session at the first one's time of day.
        assert {start.time() for start in starts} == {time(9, 15)}

    def test_the_whole_course_is_booked_at_once(self, make_plan, london, front_desk):
        plan = make_plan()
        proposal = selectors.course_proposal(
            plan=plan, first_day=date(2026, 3, 3), location=london
        )
        booked = services.course_book(
            plan=plan,
            starts={row.session.number: row.local_start for row in proposal.rows},
            location=london,
            booked_by=front_desk,
        )
        assert len(booked) == 3
        assert [s.appointment for s in plan.sessions.all()] == booked
        assert all(a.notes.startswith("Session ") for a in booked)

    def test_a_gap_outside_the_limits_books_nothing(self, make_plan, london):
        plan = make_plan(gap_min_days=10, gap_max_days=14)
        day = date(2026, 3, 3)
        with pytest.raises(ValidationError) as refused:
            services.course_book(
                plan=plan,
                starts={
                    1: at(day, 9, 15, zone=london.zone),
                    2: at(day + timedelta(days=7), 9, 15, zone=london.zone),
                    3: at(day + timedelta(days=21), 9, 15, zone=london.zone),
                },
                location=london,
                booked_by=None,
            )
        assert "Session 2 is 7 days after session 1: too soon" in str(refused.value)
        assert not Appointment.objects.exists()

    def test_a_conflict_on_the_last_session_books_none_of_them(
        self, make_plan, jo, london, consultation, sam, front_desk
    ):
        plan = make_plan()
        day = date(2026, 3, 3)
        third = at(day + timedelta(days=20), 9, 15, zone=london.zone)
        blocker = booking.appointment_book(
            client=jo,
            service=consultation,
            practitioner=sam,
            starts_at=third + timedelta(minutes=30),
            booked_by=front_desk,
        )
        with pytest.raises(ValidationError, match="Session 3: That time is taken"):
            services.course_book(
                plan=plan,
                starts={
                    1: at(day, 9, 15, zone=london.zone),
                    2: at(day + timedelta(days=10), 9, 15, zone=london.zone),
                    3: third,
                },
                location=london,
                booked_by=front_desk,
            )
        assert list(Appointment.objects.all()) == [blocker]
        assert all(s.appointment is None for s in plan.sessions.all())
        assert not OutboundMessage.objects.exclude(appointment=blocker).exists()

    def test_moving_a_session_shows_which_later_ones_must_move(
        self, make_plan, london, front_desk
    ):
        plan = make_plan()
        day = date(2026, 3, 3)
        services.course_book(
            plan=plan,
            starts={
                n: at(day + timedelta(days=10 * (n - 1)), 9, 15, zone=london.zone)
                for n in (1, 2, 3)
            },
            location=london,
            booked_by=front_desk,
        )
        second = plan.sessions.get(number=2).appointment
        booking.appointment_reschedule(
            appointment=second,
            starts_at=at(day + timedelta(days=14), 9, 15, zone=london.zone),
            by=front_desk,
        )
        problems = selectors.course_gap_problems(plan)
        assert [str(p) for p in problems] == [
            "Session 3 is 6 days after session 2: too soon (the plan allows "
            "10–14 days)."
        ]

    def test_a_cancelled_session_is_booked_again_after_the_others(
        self, make_plan, london, front_desk
    ):
        plan = make_plan()
        day = date(2026, 3, 3)
        services.course_book(
            plan=plan,
            starts={
                n: at(day + timedelta(days=10 * (n - 1)), 9, 15, zone=london.zone)
                for n in (1, 2)
            },
            location=london,
            booked_by=front_desk,
        )
        proposal = selectors.course_proposal(plan=plan, first_day=day, location=london)
        assert [row.session.number for row in proposal.rows] == [3]
        assert proposal.rows[0].local_start.date() == day + timedelta(days=20)


def run_course(plan, london, front_desk, *, sessions=3):
    """Book the course, then hold and complete every session on its day."""
    day = date(2026, 3, 3)
    starts = {
        n: at(day + timedelta(days=10 * (n - 1)), 9, 15, zone=london.zone)
        for n in range(1, sessions + 1)
    }
    services.course_book(
        plan=plan, starts=starts, location=london, booked_by=front_desk
    )
    for number, starts_at in starts.items():
        appointment = plan.sessions.get(number=number).appointment
        with time_machine.travel(starts_at, tick=False):
            booking.appointment_check_in(appointment=appointment, by=front_desk)
            booking.appointment_complete(appointment=appointment, by=front_desk)
    return starts


class TestRecalls:
    def test_a_permanent_course_gets_a_check_at_12_months_and_a_touch_up_at_36(
        self, make_plan, london, front_desk
    ):
        plan = make_plan(variant="permanent")
        run_course(plan, london, front_desk)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.COMPLETED
        recalls = {
            (m.kind, m.due_at.astimezone(london.zone).date())
            # The course's confirmation is the plan's too, sent when it was booked.
            for m in OutboundMessage.objects.filter(plan=plan).exclude(
                kind=MessageKind.COURSE_CONFIRMATION
            )
        }
        assert recalls == {
            (MessageKind.FADE_CHECK, date(2027, 3, 23)),
            (MessageKind.TOUCH_UP, date(2029, 3, 23)),
        }

    def test_a_temporary_course_gets_fade_checks_at_6_12_and_18_months(
        self, make_plan, london, front_desk
    ):
        plan = make_plan(variant="temporary")
        run_course(plan, london, front_desk)
        due = sorted(
            m.due_at.astimezone(london.zone)
            for m in OutboundMessage.objects.filter(plan=plan, kind="fade_check")
        )
        assert [d.date() for d in due] == [
            date(2026, 9, 23),
            date(2027, 3, 23),
            date(2027, 9, 23),
        ]
        assert {d.time() for d in due} == {time(10)}

    def test_a_recall_is_sent_when_due_and_not_before(
        self, make_plan, london, front_desk, mailoutbox
    ):
        plan = make_plan(variant="temporary")
        run_course(plan, london, front_desk)
        mailoutbox.clear()
        first = date(2026, 9, 23)
        with time_machine.travel(at(first, 9, 59, zone=london.zone), tick=False):
            messages_send_due()
        assert not [m for m in mailoutbox if "fade check" in m.subject]
        with time_machine.travel(at(first, 10, 1, zone=london.zone), tick=False):
            messages_send_due()
        sent = [m for m in mailoutbox if "fade check" in m.subject.lower()]
        assert len(sent) == 1
        assert "Temporary SMP fades" in sent[0].body

    def test_a_cancelled_plan_sends_no_recalls(self, make_plan, london, front_desk):
        plan = make_plan(variant="temporary")
        run_course(plan, london, front_desk)
        plan.status = PlanStatus.CANCELLED
        plan.save()
        with time_machine.travel(datetime(2028, 1, 1, 12, tzinfo=london.zone)):
            messages_send_due()
        assert set(
            OutboundMessage.objects.filter(plan=plan).values_list("status", flat=True)
        ) == {MessageStatus.CANCELLED}

    def test_an_unbooked_next_session_gets_a_nudge_unless_booked_by_then(
        self, make_plan, london, front_desk, mailoutbox
    ):
        plan = make_plan()
        day = date(2026, 3, 3)
        services.course_book(
            plan=plan,
            starts={1: at(day, 9, 15, zone=london.zone)},
            location=london,
            booked_by=front_desk,
        )
        first = plan.sessions.get(number=1).appointment
        with time_machine.travel(at(day, 9, 15, zone=london.zone), tick=False):
            booking.appointment_check_in(appointment=first, by=front_desk)
            booking.appointment_complete(appointment=first, by=front_desk)
        nudge = OutboundMessage.objects.get(plan=plan, kind=MessageKind.COURSE_NUDGE)
        assert nudge.due_at == at(day + timedelta(days=2), 10, zone=london.zone)

        with time_machine.travel(at(day, 12, zone=london.zone), tick=False):
            services.course_book(
                plan=plan,
                starts={
                    2: at(day + timedelta(days=10), 9, 15, zone=london.zone),
                    3: at(day + timedelta(days=20), 9, 15, zone=london.zone),
                },
                location=london,
                booked_by=front_desk,
            )
        with time_machine.travel(nudge.due_at + timedelta(minutes=1), tick=False):
            messages_send_due()
        nudge.refresh_from_db()
        assert nudge.status == MessageStatus.CANCELLED
        assert nudge.last_error == "Every session of the course is booked."
