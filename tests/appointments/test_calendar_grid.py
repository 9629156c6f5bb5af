"""The calendar grid's pure arithmetic: rows, cells, spans, DST days."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from appointments.slots import (
    Interval,
    calendar_column,
    lanes,
    wall_rows,
    wall_to_utc,
)

LONDON = ZoneInfo("Europe/London")
STEP = timedelta(minutes=15)
MONDAY = date(2026, 3, 2)  # GMT: wall time equals UTC.


def at(hour, minute=0, day=MONDAY):
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def column(entries=(), working=((9, 17),), earliest=None, day=MONDAY, zone=LONDON):
    """The column's first-lane cells, one per row (None where a span covers it)."""
    layout = layout_of(entries, working, earliest, day, zone)
    return [row[0] if row else None for row in layout.rows]


def layout_of(entries=(), working=((9, 17),), earliest=None, day=MONDAY, zone=LONDON):
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


def test_overlapping_entries_sit_side_by_side_each_at_its_own_time():
    layout = layout_of(
        [
            (Interval(at(9), at(10)), "A"),
            (Interval(at(9, 45), at(10, 30)), "B"),
        ]
    )
    assert layout.lanes == 2
    first, beside = layout.rows[0]
    assert (first.entries, first.rowspan, first.colspan) == (["A"], 4, 1)
    assert beside.kind == "beside"
    # B starts on its own row (09:45), in the second lane, not under A at 09:00.
    assert [c.entries for c in layout.rows[3]] == [["B"]]
    assert (layout.rows[3][0].rowspan, layout.rows[3][0].starts_at) == (3, at(9, 45))
    # Below A, B's lane goes on; A's lane is filled beside it.
    assert [c.kind for c in layout.rows[4]] == ["beside"]
    assert [c.kind for c in layout.rows[6]] == ["free"]
    assert layout.rows[6][0].colspan == 2


def test_every_row_covers_every_lane_so_the_table_stays_rectangular():
    layout = layout_of(
        [
            (Interval(at(9), at(11)), "time off"),
            (Interval(at(9, 30), at(10)), "A"),
            (Interval(at(9, 45), at(10, 15)), "B"),
            (Interval(at(11, 30), at(11, 45)), "alone"),
        ]
    )
    assert layout.lanes == 3
    covering = [0] * len(layout.rows)
    for index, row in enumerate(layout.rows):
        for cell in row:
            for below in range(index, index + cell.rowspan):
                covering[below] += cell.colspan
    assert covering == [3] * len(layout.rows)
    alone = next(c for row in layout.rows for c in row if c.entries == ["alone"])
    assert alone.colspan == 3


def test_time_off_over_an_appointment_leaves_it_at_its_time_and_marks_it():
    # Time off added 10:00-12:00 over a booking at 10:30: both drawn at their rows.
    layout = layout_of(
        [
            (Interval(at(10), at(12)), "time off"),
            (Interval(at(10, 30), at(11)), "booking"),
        ]
    )
    starts = {
        cell.entries[0]: cell.starts_at
        for row in layout.rows
        for cell in row
        if cell.kind == "busy"
    }
    assert starts == {"time off": at(10), "booking": at(10, 30)}


def test_an_appointment_in_a_break_is_drawn_there_and_marked_outside_hours():
    layout = layout_of(
        [(Interval(at(10, 15), at(10, 45)), "lunch")], working=((9, 10), (11, 12))
    )
    cell = layout.rows[5][0]
    assert (cell.kind, cell.entries, cell.outside_hours) == ("busy", ["lunch"], True)
    assert layout.rows[4][0].kind == "off"
    inside = layout_of([(Interval(at(9), at(9, 30)), "A")], working=((9, 10),))
    assert inside.rows[0][0].outside_hours is False


def test_lanes_reuse_a_lane_freed_above_and_count_per_cluster():
    #   0-4 A | 1-3 B | 3-6 C (after B, in B's lane) | 6-8 D alone | 7-9 E beside D
    assert lanes([(0, 4), (1, 3), (3, 6), (6, 8), (7, 9)]) == [
        (0, 2),
        (1, 2),
        (1, 2),
        (0, 2),
        (1, 2),
    ]


def test_lanes_of_ranges_that_only_touch_are_one_lane():
    assert lanes([(2, 4), (0, 2), (4, 5)]) == [(0, 1), (0, 1), (0, 1)]
    assert lanes([]) == []


def test_lanes_give_three_at_once_three_lanes_in_any_order():
    assert sorted(lanes([(2, 5), (0, 6), (1, 3)])) == [(0, 3), (1, 3), (2, 3)]


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


@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(1, 12)).map(
            lambda pair: (pair[0], pair[0] + pair[1])
        ),
        max_size=12,
    )
)
def test_lanes_never_put_two_overlapping_ranges_in_one_lane(ranges):
    placed = lanes(ranges)
    for (a, (lane_a, count_a)), (b, (lane_b, count_b)) in combinations(
        zip(ranges, placed, strict=True), 2
    ):
        assert lane_a < count_a and lane_b < count_b
        if a[0] < b[1] and b[0] < a[1]:
            assert lane_a != lane_b
            assert count_a == count_b
    # As many lanes as ranges overlapping at the busiest row, never more.
    busiest = max(
        (sum(1 for f, last in ranges if f <= row < last) for row in range(53)),
        default=0,
    )
    assert max((count for _, count in placed), default=0) == busiest
