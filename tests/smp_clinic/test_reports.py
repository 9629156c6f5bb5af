"""Reports for managers: each figure checked against rows written for it, or against
an independent count of the demo world; the page, its charts and its CSV."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from appointments.models import Appointment
from messaging.models import MessageKind, OutboundMessage
from payments.models import LedgerEntry
from pigments.models import PigmentLot
from smp_clinic import reports
from treatments.models import SessionPigment, TreatmentSession

MONDAY = date(2026, 3, 2)
WEEK = reports.Period(MONDAY, MONDAY + timedelta(days=6))


def appointment(client, service, practitioner, hour, *, day=MONDAY, **fields):
    """A row as history would hold it (the booking service books only ahead)."""
    starts_at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    ends_at = starts_at + service.duration
    return Appointment.objects.create(
        client=client,
        service=service,
        practitioner=practitioner,
        location=practitioner.locations.get(),
        room=fields.pop("room", None),
        starts_at=starts_at,
        ends_at=ends_at,
        busy_starts_at=starts_at - service.buffer_before,
        busy_ends_at=ends_at + service.buffer_after,
        source="front_desk",
        **fields,
    )


@pytest.fixture
def week_of_bookings(jo, sam, consultation, smp_session, rooms):
    room = rooms[0]
    deposited = appointment(jo, smp_session, sam, 9, room=room, status="completed")
    LedgerEntry.objects.create(
        kind="deposit",
        amount_minor=10000,
        currency="GBP",
        method="cash",
        client=jo,
        appointment=deposited,
        location=deposited.location,
    )
    appointment(jo, consultation, sam, 13, status="completed")
    appointment(jo, consultation, sam, 14, status="no_show")
    appointment(
        jo, consultation, sam, 15, status="cancelled", cancellation_reason="Unwell"
    )
    appointment(
        jo, consultation, sam, 10, day=MONDAY + timedelta(days=7), status="completed"
    )  # the next week: outside the period
    return room


def test_bookings_by_week_count_statuses_rates_and_deposits(week_of_bookings):
    report = reports.bookings_by_week(WEEK)

    assert report.rows == [[MONDAY, 4, 2, 1, 1, "33.3%", "25.0%", "£100.00"]]


def test_utilisation_is_time_held_over_working_time(week_of_bookings, sam, alex):
    one_day = reports.Period(MONDAY, MONDAY)

    by_practitioner, by_room = reports.utilisation(one_day)

    # Sam works 09-12 and 13-17 (7 h). Held: the SMP session with its buffers (2.5 h)
    # and the completed consultation (0.5 h); a cancellation or a no-show holds none.
    rows = {row[0]: row[1:] for row in by_practitioner.rows}
    assert rows[str(sam)] == [Decimal("7.0"), Decimal("3.0"), "42.9%"]
    assert rows[str(alex)] == [Decimal("7.0"), Decimal("0.0"), "0.0%"]
    # The location is open while anyone works there: the same 7 hours.
    rooms = {row[0]: row[1:] for row in by_room.rows}
    room = week_of_bookings
    assert rooms[f"{room.name}, {room.location.name}"] == [
        Decimal("7.0"),
        Decimal("2.5"),
        "35.7%",
    ]


def test_recalls_ahead_are_counted_by_month(jo, frozen_now):
    today = timezone.localdate()
    for months_ahead, kind in [(0, "touch_up"), (2, "fade_check"), (2, "fade_check")]:
        OutboundMessage.objects.create(
            client=jo,
            kind=kind,
            due_at=timezone.now() + timedelta(days=31 * months_ahead + 1),
            dedupe_key=f"recall:{months_ahead}:{kind}:{OutboundMessage.objects.count()}",
        )
    OutboundMessage.objects.create(
        client=jo,
        kind=MessageKind.TOUCH_UP,
        due_at=timezone.now() + timedelta(days=40),
        status="sent",
        sent_at=timezone.now(),
        dedupe_key="recall:sent",
    )

    rows = reports.recalls_ahead(today, months=4).rows

    assert [row[1:] for row in rows] == [[1, 0, 1], [0, 0, 0], [0, 2, 2], [0, 0, 0]]
    assert rows[0][0] == today.replace(day=1)


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", verbosity=0)
    today = timezone.localdate()
    return reports.Period(today - timedelta(days=365), today + timedelta(days=60))


def test_course_completion_counts_the_sessions_held(demo):
    report = reports.course_completion(demo)

    held = TreatmentSession.objects.filter(
        appointment__status="completed", plan__status__in=["active", "completed"]
    ).count()
    planned = sum(
        session.plan.sessions_planned
        for session in TreatmentSession.objects.filter(
            number=1, plan__status__in=["active", "completed"]
        ).select_related("plan")
    )
    assert sum(row[3] for row in report.rows) == held > 0
    assert sum(row[2] for row in report.rows) == planned


def test_lots_used_name_each_lot_with_its_sessions_and_clients(demo):
    report = reports.lots_used(demo)

    for lot_number, _, _, sessions, clients in report.rows:
        uses = SessionPigment.objects.filter(lot__lot_number=lot_number)
        assert sessions == uses.values("session").distinct().count()
        assert clients == uses.values("session__plan__client").distinct().count()
    assert {row[0] for row in report.rows} == set(
        PigmentLot.objects.filter(uses__isnull=False).values_list(
            "lot_number", flat=True
        )
    )


def test_a_manager_reads_every_report_with_its_chart(client, manager, demo):
    client.force_login(manager)

    page = client.get("/reports/").text

    for slug in reports.REPORTS:
        assert f'id="{slug}"' in page
    assert page.count('<svg class="chart"') >= 4
    month = timezone.localdate().replace(day=1)
    assert f">{month:%B} {month.year}</th>" in page  # months read as months
    assert "Download CSV" in page


def test_a_period_the_wrong_way_round_is_explained_and_kept(client, manager, db):
    client.force_login(manager)

    response = client.get(
        "/reports/", {"first_day": "2026-05-01", "last_day": "2026-04-01"}
    )

    assert response.status_code == 422
    assert "The first day comes after the last." in response.text
    assert 'value="2026-05-01"' in response.text
    assert (
        client.get(
            "/reports/bookings.csv",
            {"first_day": "2026-05-01", "last_day": "2026-04-01"},
        ).status_code
        == 404
    )


def test_the_csv_has_the_tables_figures_and_no_formulas(
    client, manager, week_of_bookings, make_practitioner
):
    make_practitioner('=HYPERLINK("http://x")')
    client.force_login(manager)
    period = {"first_day": "2026-03-02", "last_day": "2026-03-08"}

    bookings = list(
        csv.reader(
            io.StringIO(client.get("/reports/bookings.csv", period).content.decode())
        )
    )
    people = client.get("/reports/practitioner-utilisation.csv", period)

    assert bookings[0][:3] == ["Week of", "Appointments", "Completed"]
    assert bookings[1][:5] == ["2026-03-02", "4", "2", "1", "1"]
    assert people["Content-Disposition"].startswith("attachment;")
    assert "'=HYPERLINK" in people.content.decode()
    assert client.get("/reports/nothing.csv", period).status_code == 404


def test_a_quiet_week_is_a_row_of_zeros(week_of_bookings):
    three_weeks = reports.Period(MONDAY - timedelta(days=7), MONDAY + timedelta(days=7))

    rows = reports.bookings_by_week(three_weeks).rows

    assert [row[0] for row in rows] == [
        MONDAY - timedelta(days=7),
        MONDAY,
        MONDAY + timedelta(days=7),
    ]
    assert rows[0][1:] == [0, 0, 0, 0, "–", "–", "–"]
    assert rows[2][1:5] == [1, 1, 0, 0]
