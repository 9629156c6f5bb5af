from datetime import UTC, datetime, timedelta

from operations.retention import archive_created_at, archive_name, archives_to_keep

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def names(times):
    return [archive_name(at) for at in times]


def test_an_archive_name_reads_back_as_its_time():
    at = datetime(2026, 3, 29, 1, 30, 5, tzinfo=UTC)
    assert archive_created_at(archive_name(at)) == at
    assert archive_created_at("notes.txt") is None
    assert archive_created_at(archive_name(at) + ".partial") is None


def test_a_year_of_daily_backups_keeps_7_daily_4_weekly_and_12_monthly():
    daily = [NOW - timedelta(days=n) for n in range(400)]
    keep = archives_to_keep(names(daily), daily=7, weekly=4, monthly=12)

    kept = sorted(archive_created_at(name) for name in keep)
    # The last 7 days; the newest of each of 4 ISO weeks (3 beyond the days); the
    # newest of each of 12 months (the newest of the month overlaps the first ones).
    assert kept[-7:] == sorted(daily[:7])
    months = {(at.year, at.month) for at in kept}
    assert len(months) == 12
    assert len(keep) <= 7 + 4 + 12
    assert len(keep) >= 12 + 4
    assert min(kept) > NOW - timedelta(days=366)


def test_several_backups_a_day_keep_the_newest_of_each_day():
    times = [NOW - timedelta(hours=h) for h in range(0, 72, 6)]
    keep = archives_to_keep(names(times), daily=7, weekly=0, monthly=0)

    assert {archive_created_at(n) for n in keep} == {
        max(at for at in times if at.date() == day)
        for day in {at.date() for at in times}
    }


def test_days_without_a_backup_do_not_use_up_the_daily_slots():
    # A month of failures: the last seven good archives are still kept.
    times = [NOW - timedelta(days=40 + n) for n in range(10)]
    keep = archives_to_keep(names(times), daily=7, weekly=0, monthly=0)
    assert {archive_created_at(n) for n in keep} == set(times[:7])


def test_the_newest_archive_is_kept_whatever_the_policy():
    times = [NOW, NOW - timedelta(days=1)]
    assert archives_to_keep(names(times), daily=0, weekly=0, monthly=0) == {
        archive_name(NOW)
    }


def test_files_that_are_not_archives_are_not_kept_or_counted():
    assert archives_to_keep(["README", "x.tar.age"], daily=7, weekly=4, monthly=12) == (
        set()
    )
