"""All time and slot arithmetic: pure functions, no database.

Wall-clock times (working hours) are turned into UTC instants at once, day by day, in
the location's zone, so a block keeps its wall-clock times across a DST change. The step
grid runs in real time from each block's start: on the night clocks go back the repeated
hour gives its slots twice (they are different instants), and on the night they go
forward the missing hour gives none; no slot is doubled or lost.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open span of time [start, end) in UTC."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class WeeklyBlock:
    """A wall-clock working block: weekday (Monday is 0), start and end."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Block:
    """A practitioner's working block at a location on one day, in UTC."""

    practitioner_id: int
    location_id: int
    interval: Interval


@dataclass(frozen=True)
class Slot:
    practitioner_id: int
    location_id: int
    start: datetime
    end: datetime
    room_id: int | None = None


@dataclass(frozen=True)
class Span:
    """What a service occupies around its start: buffers and duration."""

    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)

    def busy(self, start: datetime) -> Interval:
        """The time held by an appointment starting at `start`, buffers included."""
        return Interval(
            start - self.buffer_before, start + self.duration + self.buffer_after
        )


def wall_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a day in a zone.

    An ambiguous time (clocks going back) is its first occurrence; a time that does not
    exist (clocks going forward) is read with the offset before the change, which lands
    it just after the gap: 01:30 on a London spring-forward night is 02:30 BST.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def quiet_hours_end(
    at: datetime, zone: ZoneInfo, *, quiet_from: int, quiet_until: int
) -> datetime | None:
    """When the night's quiet hours end (in UTC) if `at` falls inside them in `zone`
    (from quiet_from:00 to quiet_until:00 local, across midnight), else None. Hours
    are wall-clock: on a DST night the quiet still ends at quiet_until:00 local."""
    local = at.astimezone(zone)
    if quiet_until <= local.hour < quiet_from:
        return None
    day = local.date() if local.hour < quiet_until else local.date() + timedelta(days=1)
    return wall_to_utc(day, time(quiet_until), zone)


def local_day_bounds(day: date, zone: ZoneInfo) -> Interval:
    """From local midnight of `day` to local midnight of the next day, in UTC."""
    return Interval(
        wall_to_utc(day, time.min, zone),
        wall_to_utc(day + timedelta(days=1), time.min, zone),
    )


def days_from(first_day: date, days: int) -> list[date]:
    return [first_day + timedelta(days=offset) for offset in range(days)]


def working_intervals(
    day: date, weekly: Iterable[WeeklyBlock], zone: ZoneInfo
) -> list[Interval]:
    """A day's working blocks in UTC, sorted; a block lost in a DST gap drops out."""
    intervals = []
    for block in weekly:
        if block.weekday != day.weekday():
            continue
        interval = Interval(
            wall_to_utc(day, block.start, zone), wall_to_utc(day, block.end, zone)
        )
        if interval.end > interval.start:
            intervals.append(interval)
    return sorted(intervals)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of intervals as a sorted list of disjoint ones."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


class BusyTimeline:
    """Disjoint busy intervals with an O(log n) overlap test."""

    def __init__(self, intervals: Iterable[Interval] = ()):
        self.intervals = merge(intervals)
        self._ends = [interval.end for interval in self.intervals]

    def is_free(self, span: Interval) -> bool:
        index = bisect.bisect_right(self._ends, span.start)
        return index == len(self.intervals) or self.intervals[index].start >= span.end

    def overlapping(self, span: Interval) -> list[Interval]:
        index = bisect.bisect_right(self._ends, span.start)
        found = []
        while index < len(self.intervals) and self.intervals[index].start < span.end:
            found.append(self.intervals[index])
            index += 1
        return found


def grid(interval: Interval, step: timedelta) -> Iterable[datetime]:
    """Start times from the interval's start, every `step`, before its end."""
    at = interval.start
    while at < interval.end:
        yield at
        at += step


def free_slots(
    *,
    blocks: Iterable[Block],
    span: Span,
    busy_by_practitioner: dict[int, BusyTimeline],
    step: timedelta,
    earliest: datetime,
    rooms_by_location: dict[int, Sequence[int]] | None = None,
    busy_by_room: dict[int, BusyTimeline] | None = None,
) -> list[Slot]:
    """Every start on the step grid where the service fits.

    A start fits when the whole span (buffers included) lies inside one working block,
    the start is not before `earliest` (now plus the minimum notice), the span is clear
    of the practitioner's busy time and, when `rooms_by_location` is given (the service
    needs a room), one room of the location is free for the span; the first free room,
    in the given order, is offered.
    """
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    empty = BusyTimeline()
    slots = []
    seen: set[tuple[int, datetime]] = set()
    for block in blocks:
        practitioner_busy = busy_by_practitioner.get(block.practitioner_id, empty)
        # Past this start the span cannot end inside the block: stop there rather
        # than test every later step (a three-hour session fits few of a block's).
        latest = block.interval.end - span.duration - span.buffer_after
        for start in grid(block.interval, step):
            if start > latest:
                break
            # Overlapping blocks (two locations, a mistyped week) offer a start once.
            if start < earliest or (block.practitioner_id, start) in seen:
                continue
            held = span.busy(start)
            if not block.interval.contains(held) or not practitioner_busy.is_free(held):
                continue
            room_id = None
            if rooms_by_location is not None:
                room_id = first_free_room(
                    rooms_by_location.get(block.location_id, ()),
                    busy_by_room or {},
                    held,
                )
                if room_id is None:
                    continue
            seen.add((block.practitioner_id, start))
            slots.append(
                Slot(
                    practitioner_id=block.practitioner_id,
                    location_id=block.location_id,
                    start=start,
                    end=start + span.duration,
                    room_id=room_id,
                )
            )
    slots.sort(key=lambda slot: (slot.start, slot.practitioner_id))
    return slots


def first_free_room(
    room_ids: Sequence[int], busy_by_room: dict[int, BusyTimeline], held: Interval
) -> int | None:
    for room_id in room_ids:
        timeline = busy_by_room.get(room_id)
        if timeline is None or timeline.is_free(held):
            return room_id
    return None


def within_blocks(held: Interval, blocks: Iterable[Interval]) -> bool:
    return any(block.contains(held) for block in blocks)


def why_outside_hours(
    *,
    held: Interval,
    working: Sequence[Interval],
    time_off: Sequence[tuple[Interval, str]],
    closure: str | None,
    check_hours: bool = True,
) -> str | None:
    """Why a booked time can no longer be kept as it is, or None when it can.

    A closure of the day comes first, then time off over it, then working hours
    that no longer hold it (not asked of a booking a manager placed outside hours
    on purpose: `check_hours` False).
    """
    if closure is not None:
        named = f" ({closure})" if closure else ""
        return f"the location is closed that day{named}"
    for interval, reason in time_off:
        if interval.overlaps(held):
            return f"time off ({reason})" if reason else "time off"
    if check_hours and not within_blocks(held, working):
        return "outside working hours"
    return None


# The calendar grid: rows of wall-clock times, one column per practitioner or day.


@dataclass
class CalendarCell:
    """One cell of a calendar column.

    `kind` is "busy" (one entry, spanning `rowspan` rows in its lane), "free"
    (bookable from `starts_at`), "past" (working time that can no longer be booked),
    "off" (outside working hours) or "beside" (in working hours, next to an entry
    in another lane: the practitioner is taken then). `colspan` is how many of the
    column's lanes the cell covers. A busy cell whose entry is not wholly inside
    working hours says so with `outside_hours`.
    """

    kind: str
    starts_at: datetime
    rowspan: int = 1
    entries: list = field(default_factory=list)
    colspan: int = 1
    outside_hours: bool = False


@dataclass(frozen=True)
class ColumnLayout:
    """A column split into `lanes` side by side; `rows[i]` are row i's cells in lane
    order, with the cells covered by a span from above or beside left out."""

    lanes: int
    rows: list[list[CalendarCell]]


def wall_rows(earliest: time, latest: time, step: timedelta) -> list[time]:
    """Wall-clock row times from `earliest` floored to the step to `latest` ceiled."""
    step_minutes = int(step.total_seconds() // 60)
    first = (earliest.hour * 60 + earliest.minute) // step_minutes * step_minutes
    last = latest.hour * 60 + latest.minute
    return [
        time(minute // 60, minute % 60)
        for minute in range(first, min(last, 24 * 60), step_minutes)
    ]


def lanes(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Side-by-side places for half-open row ranges [first, last): (lane, lanes).

    Ranges that overlap, directly or through others, form a cluster; in a cluster
    each range, taken by its first row, goes to the leftmost lane free by then, and
    `lanes` is how many lanes the cluster needed. A range alone has (0, 1). Greedy by
    start is optimal for intervals: a cluster never needs more lanes than it has
    ranges overlapping at one row.
    """
    placed: list[tuple[int, int]] = [(0, 1)] * len(ranges)
    order = sorted(range(len(ranges)), key=lambda i: ranges[i])
    cluster: list[int] = []
    lane_ends: list[int] = []

    def close() -> None:
        for i in cluster:
            placed[i] = (placed[i][0], len(lane_ends))

    for i in order:
        first, last = ranges[i]
        if lane_ends and first >= max(lane_ends):
            close()
            cluster, lane_ends = [], []
        for lane, end in enumerate(lane_ends):
            if end <= first:
                lane_ends[lane] = last
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(last)
        placed[i] = (lane, 0)
        cluster.append(i)
    close()
    return placed


def calendar_column(
    *,
    day: date,
    zone: ZoneInfo,
    rows: Sequence[time],
    step: timedelta,
    working: Sequence[Interval],
    entries: Sequence[tuple[Interval, object]],
    earliest: datetime,
) -> ColumnLayout:
    """One day's column: each entry on the rows its real time touches, entries that
    overlap side by side in lanes, the rest free, past or off.

    The column has as many lanes as its busiest cluster; a smaller cluster's last
    lane, and every row outside a cluster, spans the lanes left over, so the table
    stays rectangular and nothing is hidden or drawn at another time.
    """
    starts = [wall_to_utc(day, at, zone) for at in rows]
    shown = Interval(starts[0], starts[-1] + step)
    placed = []
    for interval, entry in sorted(entries, key=lambda pair: pair[0]):
        if not interval.overlaps(shown):
            continue
        first = max(bisect.bisect_right(starts, interval.start) - 1, 0)
        last = min(
            max(bisect.bisect_left(starts, interval.end), first + 1), len(starts)
        )
        placed.append((first, last, interval, entry))
    places = lanes([(first, last) for first, last, _, _ in placed])
    width = max((count for _, count in places), default=1)

    def kind_at(index: int) -> str:
        start = starts[index]
        if not within_blocks(Interval(start, start + step), working):
            return "off"
        return "past" if start < earliest else "free"

    # grid[row][lane]: a cell, COVERED (by a span), or None (still to fill).
    covered = CalendarCell("covered", shown.start)
    grid: list[list[CalendarCell | None]] = [[None] * width for _ in starts]
    cluster_lanes: list[int] = [0] * len(starts)
    for (first, last, interval, entry), (lane, count) in zip(
        placed, places, strict=True
    ):
        colspan = width - count + 1 if lane == count - 1 else 1
        grid[first][lane] = CalendarCell(
            "busy",
            starts[first],
            last - first,
            [entry],
            colspan,
            not within_blocks(interval, working),
        )
        for row in range(first, last):
            cluster_lanes[row] = count
            for spanned in range(lane, lane + colspan):
                if (row, spanned) != (first, lane):
                    grid[row][spanned] = covered
    for index, start in enumerate(starts):
        count = cluster_lanes[index]
        if count == 0:
            grid[index][0] = CalendarCell(kind_at(index), start, colspan=width)
            grid[index][1:] = [covered] * (width - 1)
            continue
        for lane in range(width):
            if grid[index][lane] is not None:
                continue
            colspan = width - count + 1 if lane == count - 1 else 1
            kind = "off" if kind_at(index) == "off" else "beside"
            grid[index][lane] = CalendarCell(kind, start, colspan=colspan)
            for spanned in range(lane + 1, lane + colspan):
                grid[index][spanned] = covered
    return ColumnLayout(
        width, [[cell for cell in row if cell is not covered] for row in grid]
    )


# A course of sessions: each one a gap of days after the one before.


@dataclass(frozen=True)
class GapProblem:
    """Session `number` is `gap` days after the one before, outside the plan's range."""

    number: int
    gap: int
    gap_min: int
    gap_max: int

    def __str__(self) -> str:
        side = "soon" if self.gap < self.gap_min else "late"
        return (
            f"Session {self.number} is {self.gap} days after session "
            f"{self.number - 1}: too {side} (the plan allows "
            f"{self.gap_min}–{self.gap_max} days)."
        )


def gap_problems(
    days: Sequence[tuple[int, date]], gap_min: int, gap_max: int
) -> list[GapProblem]:
    """Sessions (number, local day) whose gap from the previous one is out of range.

    Only consecutive numbers are compared: an unbooked session in between leaves
    nothing to measure.
    """
    problems = []
    ordered = sorted(days)
    for (before, before_day), (number, day) in pairwise(ordered):
        if number != before + 1:
            continue
        gap = (day - before_day).days
        if not gap_min <= gap <= gap_max:
            problems.append(GapProblem(number, gap, gap_min, gap_max))
    return problems


def propose_course(
    *,
    free: Sequence[Slot],
    zone: ZoneInfo,
    numbers: Sequence[int],
    gap_min: int,
    gap_max: int,
    first_day: date,
    previous_day: date | None = None,
) -> dict[int, Slot | None]:
    """A free slot for each session number, each inside the gap range of the last.

    The first session goes on the earliest free day on or after `first_day` (and inside
    the gap range of `previous_day`, a session already held or booked). Each later one
    on the earliest free day its gap allows, at the wall time nearest the first
    session's, so a client keeps one routine. A session with no free day in its range
    gets None, and so do the ones after it.
    """
    by_day: dict[date, list[Slot]] = {}
    for slot in sorted(free, key=lambda slot: slot.start):
        by_day.setdefault(slot.start.astimezone(zone).date(), []).append(slot)

    def minutes(slot: Slot) -> int:
        local = slot.start.astimezone(zone)
        return local.hour * 60 + local.minute

    proposal: dict[int, Slot | None] = {}
    previous, preferred = previous_day, None
    for number in numbers:
        if previous is None:
            low, high = first_day, None
        else:
            low = max(first_day, previous + timedelta(days=gap_min))
            high = previous + timedelta(days=gap_max)
        days = [day for day in by_day if day >= low and (high is None or day <= high)]
        if not days:
            proposal.update(dict.fromkeys(numbers[len(proposal) :]))
            break
        choices = by_day[min(days)]
        chosen = (
            choices[0]
            if preferred is None
            else min(choices, key=lambda slot: abs(minutes(slot) - preferred))
        )
        proposal[number] = chosen
        previous = chosen.start.astimezone(zone).date()
        preferred = minutes(chosen) if preferred is None else preferred
    return proposal


def grid_moment(earliest: datetime, day: date, zone: ZoneInfo, step: timedelta) -> str:
    """What of `earliest` (now plus the booking notice) a day's calendar grid depends
    on: how many of its rows are past. Rows start on the step from local midnight and
    a row is past when it starts before `earliest`, so the count changes only as
    `earliest`, in local time, passes a row's start. A day wholly ahead or behind is
    the same grid all day long."""
    bounds = local_day_bounds(day, zone)
    if earliest <= bounds.start:
        return "ahead"
    if earliest >= bounds.end:
        return "behind"
    local = earliest.astimezone(zone)
    since_midnight = timedelta(
        hours=local.hour,
        minutes=local.minute,
        seconds=local.second,
        microseconds=local.microsecond,
    )
    past_rows = -(-since_midnight // step)
    # The offset tells the two 01:30s of a night the clocks go back apart.
    return f"{past_rows}{local:%z}"
