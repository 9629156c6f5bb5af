"""The calendar grid's pure arithmetic: rows, cells, spans, DST days."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appointments.slots import Interval, calendar_column, wall_rows, wall_to_utc

LONDON = ZoneInfo("Europe/London")
STEP = timedelta(minutes=15)
MONDAY = date(2026, 3, 2)  # GMT: wall time equals UTC.


def at(hour, minute=0, day=MONDAY):
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def column(entries=(), working=((9, 17),), earliest=None, day=MONDAY, zone=LONDON):
    rows = wall_rows(time(9), time(12), STEP)
    return calendar_column(
        day=day,
        zone=zone,
        rows=rows,
        step=STEP,
        working=[
            Interval(
                wall_to_utc(day, time(start), zone), wall_to_utc(day, time(end), zone)
            )
            for start, end in working
        ],
        entries=list(entries),
        earliest=earliest or at(0, day=day),
    )


def test_rows_run_from_the_floored_start_to_the_ceiled_end():
    rows = wall_rows(time(8, 50), time(10, 5), STEP)
    assert rows[0] == time(8, 45)
    assert rows[-1] == time(10)
    assert len(rows) == 6


def test_rows_stop_at_midnight():
    rows = wall_rows(time(23), time(23, 59), STEP)
    assert rows[-1] == time(23, 45)


def test_an_appointment_spans_the_rows_it_touches_and_the_rows_below_are_skipped():
    cells = column([(Interval(at(9, 30), at(10, 30)), "A")])
    assert cells[2].kind == "busy"
    assert cells[2].rowspan == 4
    assert cells[2].entries == ["A"]
    assert cells[3:6] == [None, None, None]
    assert cells[6].kind == "free"
    assert cells[6].starts_at == at(10, 30)


def test_an_appointment_off_the_grid_still_covers_the_rows_it_touches():
    cells = column([(Interval(at(9, 5), at(9, 20)), "A")])
    assert cells[0].kind == "busy"
    assert cells[0].rowspan == 2


def test_overlapping_entries_share_one_cell_so_the_table_stays_rectangular():
    cells = column(
        [
            (Interval(at(9), at(10)), "A"),
            (Interval(at(9, 45), at(10, 30)), "B"),
        ]
    )
    assert cells[0].kind == "busy"
    assert cells[0].entries == ["A", "B"]
    assert cells[0].rowspan == 6
    assert sum(cell.rowspan for cell in cells if cell) == len(cells)


def test_cells_outside_working_hours_are_off_and_before_notice_are_past():
    cells = column(working=((9, 10), (11, 12)), earliest=at(9, 30))
    kinds = [cell.kind for cell in cells]
    assert kinds[:2] == ["past", "past"]
    assert kinds[2:4] == ["free", "free"]
    assert kinds[4:8] == ["off"] * 4
    assert kinds[8:] == ["free"] * 4


def test_entries_outside_the_rows_are_left_out():
    cells = column([(Interval(at(7), at(8)), "early"), (Interval(at(13), at(14)), "x")])
    assert all(cell.kind != "busy" for cell in cells)


def test_on_the_spring_forward_day_a_wall_time_row_is_its_real_instant():
    # London, 29 March 2026: clocks go from 01:00 GMT to 02:00 BST; 09:00 is 08:00 UTC.
    day = date(2026, 3, 29)
    booked = Interval(
        datetime(2026, 3, 29, 8, 0, tzinfo=UTC), datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
    )
    cells = column([(booked, "A")], day=day)
    assert cells[0].kind == "busy"
    assert cells[0].rowspan == 4
    assert cells[4].starts_at == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


def test_on_the_fall_back_day_rows_keep_their_wall_times():
    # London, 25 October 2026: 09:00 is GMT again, 09:00 UTC.
    day = date(2026, 10, 25)
    cells = column(day=day)
    assert cells[0].starts_at == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    assert all(cell.kind == "free" for cell in cells)
