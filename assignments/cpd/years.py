"""CPD years. A CPD year starts on the first day of ``settings.CPD_YEAR_START_MONTH`` (1: calendar
years) and is named by the calendar year it starts in: with April, "2026" runs from 1 April 2026
to 31 March 2027 and is shown as "2026/27".

A completion falls in the year of its date in the learner's own time zone (the date printed on the
certificate, ``Completion.completed_on``); external learning in the year of the date it took place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

EARLIEST = 2000
LATEST = 2100


def start_month() -> int:
    month = int(getattr(settings, "CPD_YEAR_START_MONTH", 1))
    return month if 1 <= month <= 12 else 1


@dataclass(frozen=True)
class CpdYear:
    year: int

    @property
    def starts_on(self) -> dt.date:
        return dt.date(self.year, start_month(), 1)

    @property
    def ends_before(self) -> dt.date:
        """The first day of the next CPD year."""
        return dt.date(self.year + 1, start_month(), 1)

    @property
    def ends_on(self) -> dt.date:
        return self.ends_before - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        if start_month() == 1:
            return str(self.year)
        return f"{self.year}/{(self.year + 1) % 100:02d}"

    def __str__(self) -> str:
        return self.label


def year_of(day: dt.date) -> CpdYear:
    return CpdYear(day.year if day.month >= start_month() else day.year - 1)


def parse_year(value, *, default: CpdYear) -> CpdYear:
    """The CPD year named in a query string (its starting calendar year), or ``default`` when the
    value is missing or not a year the site knows."""
    try:
        year = int(str(value))
    except (TypeError, ValueError):
        return default
    return CpdYear(year) if EARLIEST <= year <= LATEST else default
