"""Calendar arithmetic on dates, with no time zone and no database."""

from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clipped to the month's end (31 Jan + 1 = 28 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def age_on(born: date, day: date) -> int:
    """Full years from `born` to `day`; someone born on 29 Feb turns a year older on
    1 Mar in a common year."""
    years = day.year - born.year
    return years - ((day.month, day.day) < (born.month, born.day))
