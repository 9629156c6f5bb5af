"""Which archives to keep: pure functions, no files and no clock.

Grandfather-father-son as restic and borg count it: walking from the newest archive
back, the newest of each of the last `daily` days that have an archive is kept, the
newest of each of the last `weekly` ISO weeks, and of the last `monthly` months. Days
without a backup (the beat was down) do not use up a slot, so a run of failures never
deletes the last good archives; the newest archive is always kept.
"""

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

ARCHIVE_PREFIX = "smp-clinic-"
ARCHIVE_SUFFIX = ".tar.age"
_NAME = re.compile(r"^smp-clinic-(\d{8}T\d{6}Z)\.tar\.age$")


def archive_name(created_at: datetime) -> str:
    return (
        f"{ARCHIVE_PREFIX}{created_at.astimezone(UTC):%Y%m%dT%H%M%SZ}{ARCHIVE_SUFFIX}"
    )


def archive_created_at(name: str) -> datetime | None:
    """When the archive of this name was made; None for a file that is not one."""
    match = _NAME.match(name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _periods(at: datetime) -> dict[str, Callable[[], object]]:
    return {
        "daily": lambda: at.date(),
        "weekly": lambda: at.isocalendar()[:2],
        "monthly": lambda: (at.year, at.month),
    }


def archives_to_keep(
    names: Iterable[str], *, daily: int, weekly: int, monthly: int
) -> set[str]:
    """The names of the archives that the policy keeps; others may be deleted.

    Names that are not archives are neither kept nor returned: the caller leaves them.
    """
    dated = sorted(
        ((created, name) for name in names if (created := archive_created_at(name))),
        reverse=True,
    )
    if not dated:
        return set()
    limits = {"daily": daily, "weekly": weekly, "monthly": monthly}
    seen: dict[str, list[object]] = {bucket: [] for bucket in limits}
    keep = {dated[0][1]}
    for created, name in dated:
        for bucket, period in _periods(created).items():
            value = period()
            if len(seen[bucket]) < limits[bucket] and value not in seen[bucket]:
                seen[bucket].append(value)
                keep.add(name)
    return keep
