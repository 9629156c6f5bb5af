"""The slot arithmetic, pure: DST days, and properties checked against brute force."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appointments import slots

STEP = timedelta(minutes=15)
NINE_TO_FIVE = [slots.WeeklyBlock(d, time(9), time(17)) for d in range(7)]
NIGHT = [slots.WeeklyBlock(d, time(0), time(4)) for d in range(7)]


ONE_HOUR = slots.Span(timedelta(minutes=60))


def day_slots(day, weekly, zone, span=ONE_HOUR):
    blocks = [
        slots.Block(1, 1, interval)
        for interval in slots.working_intervals(day, weekly, zone)
    ]
    return slots.free_slots(
        blocks=blocks,
        span=span,
        busy_by_practitioner={},
        step=STEP,
        earliest=datetime(2000, 1, 1, tzinfo=UTC),
    )


def wall_times(found, zone):
    return [slot.start.astimezone(zone).strftime("%H:%M") for slot in found]


def expected_grid(first: str, last: str) -> list[str]:
    """Wall-clock labels every 15 minutes from first to last, inclusive."""
    to_minutes = lambda hhmm: int(hhmm[:2]) * 60 + int(hhmm[3:])  # noqa: E731
    return [
        f"{m // 60:02d}:{m % 60:02d}"
        for m in range(to_minutes(first), to_minutes(last) + 1, 15)
    ]


DST_DAYS = [
    ("Europe/London", date(2026, 3, 29)),  # clocks forward 01:00 -> 02:00
    ("Europe/London", date(2026, 10, 25)),  # clocks back 02:00 -> 01:00
    ("America/New_York", date(2026, 3, 8)),  # forward 02:00 -> 03:00
    ("America/New_York", date(2026, 11, 1)),  # back 02:00 -> 01:00
]


@pytest.mark.parametrize(("zone_name", "day"), DST_DAYS)
def test_daytime_slots_keep_their_wall_times_on_dst_days(zone_name, day):
    zone = ZoneInfo(zone_name)

    found = day_slots(day, NINE_TO_FIVE, zone)

    # A one-hour service in 09:00–17:00: starts 09:00 to 16:00, as on any other day.
    assert wall_times(found, zone) == expected_grid("09:00", "16:00")
    assert len({slot.start for slot in found}) == len(found)
    first = found[0].start.astimezone(zone)
    assert (first.hour, first.minute) == (9, 0)
    assert first.utcoffset() == zone.utcoffset(datetime.combine(day, time(12)))


@pytest.mark.parametrize(("zone_name", "day"), DST_DAYS)
def test_the_days_around_dst_changes_use_their_own_offsets(zone_name, day):
    zone = ZoneInfo(zone_name)
    for other in (day - timedelta(days=1), day + timedelta(days=1)):
        found = day_slots(other, NINE_TO_FIVE, zone)
        assert wall_times(found, zone) == expected_grid("09:00", "16:00")


def test_the_night_clocks_go_forward_has_no_slots_in_the_missing_hour():
    zone = ZoneInfo("Europe/London")

    found = day_slots(date(2026, 3, 29), NIGHT, zone, slots.Span(timedelta(minutes=15)))

    # 00:00-04:00 wall clock is three real hours: 01:00-01:59 does not exist.
    assert len(found) == 3 * 4
    assert wall_times(found, zone) == expected_grid("00:00", "00:45") + expected_grid(
        "02:00", "03:45"
    )


def test_the_night_clocks_go_back_has_the_repeated_hour_twice_not_doubled():
    zone = ZoneInfo("Europe/London")

    found = day_slots(
        date(2026, 10, 25), NIGHT, zone, slots.Span(timedelta(minutes=15))
    )

    # 00:00-04:00 wall clock is five real hours; 01:00-01:45 happens twice, once in
    # BST and once in GMT, as two different instants.
    assert len(found) == 5 * 4
    assert len({slot.start for slot in found}) == len(found)
    walls = wall_times(found, zone)
    assert walls.count("01:15") == 2
    repeated = [
        s.start for s in found if s.start.astimezone(zone).strftime("%H:%M") == "01:15"
    ]
    assert repeated[1] - repeated[0] == timedelta(hours=1)


def test_buffers_must_fit_inside_working_hours():
    zone = ZoneInfo("Europe/London")
    span = slots.Span(
        timedelta(minutes=60), timedelta(minutes=15), timedelta(minutes=30)
    )

    found = day_slots(date(2026, 6, 1), NINE_TO_FIVE, zone, span)

    assert wall_times(found, zone) == expected_grid("09:15", "15:30")


def test_busy_time_with_buffers_blocks_the_slots_it_touches():
    zone = ZoneInfo("Europe/London")
    day = date(2026, 6, 1)
    blocks = [
        slots.Block(1, 1, i) for i in slots.working_intervals(day, NINE_TO_FIVE, zone)
    ]
    busy = slots.Interval(
        slots.wall_to_utc(day, time(11), zone), slots.wall_to_utc(day, time(12), zone)
    )

    found = slots.free_slots(
        blocks=blocks,
        span=slots.Span(timedelta(minutes=30)),
        busy_by_practitioner={1: slots.BusyTimeline([busy])},
        step=STEP,
        earliest=datetime(2000, 1, 1, tzinfo=UTC),
    )

    walls = wall_times(found, zone)
    assert "10:30" in walls and "12:00" in walls
    assert not {"10:45", "11:00", "11:45"} & set(walls)


def test_a_service_needing_a_room_gets_the_first_free_one_or_no_slot():
    day = datetime(2026, 6, 1, 9, tzinfo=UTC)
    block = slots.Block(1, 1, slots.Interval(day, day + timedelta(hours=2)))
    taken = slots.BusyTimeline([slots.Interval(day, day + timedelta(hours=1))])

    found = slots.free_slots(
        blocks=[block],
        span=slots.Span(timedelta(hours=1)),
        busy_by_practitioner={},
        step=timedelta(hours=1),
        earliest=day,
        rooms_by_location={1: [10, 11]},
        busy_by_room={10: taken, 11: taken},
    )

    assert [(s.start.hour, s.room_id) for s in found] == [(10, 10)]


def test_nothing_is_offered_before_the_earliest_start():
    zone = ZoneInfo("Europe/London")
    day = date(2026, 6, 1)
    blocks = [
        slots.Block(1, 1, i) for i in slots.working_intervals(day, NINE_TO_FIVE, zone)
    ]

    found = slots.free_slots(
        blocks=blocks,
        span=slots.Span(timedelta(minutes=30)),
        busy_by_practitioner={},
        step=STEP,
        earliest=slots.wall_to_utc(day, time(14, 5), zone),
    )

    assert wall_times(found, zone)[0] == "14:15"


# Properties, against a brute-force oracle.
BASE = datetime(2026, 6, 1, tzinfo=UTC)
minutes = st.integers(min_value=0, max_value=24 * 60)


@st.composite
def intervals(draw, max_count=6):
    result = []
    for _ in range(draw(st.integers(0, max_count))):
        start = draw(minutes)
        length = draw(st.integers(1, 6 * 60))
        result.append(
            slots.Interval(
                BASE + timedelta(minutes=start),
                BASE + timedelta(minutes=start + length),
            )
        )
    return result


@settings(max_examples=300, deadline=None)
@given(
    blocks=intervals(max_count=3),
    busy=intervals(),
    duration=st.integers(5, 180),
    before=st.integers(0, 30),
    after=st.integers(0, 30),
    step=st.sampled_from([5, 10, 15, 30]),
    earliest=minutes,
)
def test_slots_are_exactly_the_free_grid_starts(
    blocks, busy, duration, before, after, step, earliest
):
    span = slots.Span(
        timedelta(minutes=duration), timedelta(minutes=before), timedelta(minutes=after)
    )
    earliest_at = BASE + timedelta(minutes=earliest)

    found = slots.free_slots(
        blocks=[slots.Block(1, 1, b) for b in blocks],
        span=span,
        busy_by_practitioner={1: slots.BusyTimeline(busy)},
        step=timedelta(minutes=step),
        earliest=earliest_at,
    )

    returned = {s.start for s in found}
    assert len(returned) == len(found), "a start offered twice"
    for slot in found:
        held = span.busy(slot.start)
        assert not any(held.overlaps(b) for b in busy)
        assert any(b.contains(held) for b in blocks)
        assert slot.start >= earliest_at
    for block in blocks:
        for start in slots.grid(block, timedelta(minutes=step)):
            held = span.busy(start)
            fits = (
                start >= earliest_at
                and block.contains(held)
                and not any(held.overlaps(b) for b in busy)
            )
            if fits:
                assert start in returned


@given(busy=intervals(max_count=10), probe=intervals(max_count=1))
def test_the_timeline_agrees_with_a_linear_scan(busy, probe):
    timeline = slots.BusyTimeline(busy)
    for span in probe:
        assert timeline.is_free(span) == (not any(span.overlaps(b) for b in busy))
