"""Course rules that are plain computation: expiry of a completion."""

from __future__ import annotations

import calendar
import datetime as dt

from courses.models import Course
from lms.dates import add_days


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day); kept at
    date.max beyond the year 9999 instead of raising, like ``lms.dates.add_days``."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    if year > dt.MAXYEAR:
        return dt.date.max
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def compute_expiry(*, course: Course, completed_on: dt.date, previous_expiry: dt.date | None = None) -> dt.date | None:
    """When a completion on ``completed_on`` expires under the course's expiry rule.

    - from_completion: completed_on + period.
    - from_previous_expiry: an early renewal (before the previous expiry) extends from the previous
      expiry, so early renewers lose nothing; a late one counts from the completion.
    - fixed_date: the next fixed month/day that leaves more than ``recertification_window_days`` of
      validity (the minimum active period), so a completion just before the fixed date is not
      immediately due again.
    """
    if not course.recertification_months:
        return None
    period = course.recertification_months
    if (
        course.expiry_rule == Course.ExpiryRule.FROM_PREVIOUS_EXPIRY
        and previous_expiry
        and previous_expiry > completed_on
    ):
        return add_months(previous_expiry, period)
    if course.expiry_rule == Course.ExpiryRule.FIXED_DATE and course.fixed_expiry_month and course.fixed_expiry_day:
        month, day = course.fixed_expiry_month, course.fixed_expiry_day
        candidate = dt.date(completed_on.year, month, min(day, calendar.monthrange(completed_on.year, month)[1]))
        minimum = add_days(completed_on, course.recertification_window_days)
        while candidate <= minimum and candidate != dt.date.max:
            candidate = add_months(candidate, 12)
        return candidate
    return add_months(completed_on, period)
