"""Dates people type, and arithmetic on dates, in one place.

- Every date a person can type (a form field, a query parameter such as ``as_of`` or
  ``date_to``, a command's ``--as-of``) is read by ``parse_date``: ``YYYY-MM-DD`` (what a
  browser's date input sends, and what the CSV formats and commands document; a form also takes
  its locale's input formats, which the admin's date widget sends), between ``MIN_DATE`` and
  ``MAX_DATE``. A hire date of 9999-12-31 or an exemption from 0001-01-01 is a typing mistake,
  and far dates are what make date arithmetic overflow (``date.max`` is 9999-12-31), so they are
  refused with a message naming the range instead of being stored.
- ``add_days`` and ``day_after`` never raise: a date that would fall outside what Python can
  represent stays at ``date.min`` / ``date.max``. They are for arithmetic on dates already stored
  (a hire date imported before the range existed still must not turn an assignment into a 500).

The form fields built on this are in ``lms.fields``.

Dates people read are shown by ``day_text`` (a day) and ``moment_text`` (a moment, in the current
time zone), in the current language's one format (``lms/formats``); templates use the ``day``
filter, which is the same. Text stored as a record (a case file's reasons) is written with
``record_day`` / ``record_moment``: the site language's format, whoever's request wrote it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import dateformat, formats, timezone
from django.utils.translation import gettext_lazy as _

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

RANGE_MESSAGE = _("Enter a date between %(min)s and %(max)s.")


def validate_date_range(value: dt.date | dt.datetime | None) -> None:
    """Refuse a date (or the date of a datetime) outside MIN_DATE..MAX_DATE."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValidationError(
            RANGE_MESSAGE,
            code="date_out_of_range",
            params={"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
        )


def parse_date(value: str | dt.date | None, *, formats: Iterable[str] = ()) -> dt.date | None:
    """A typed date: empty is None, ``YYYY-MM-DD`` (or one of ``formats``, the strptime formats a
    localised form widget may send) in range is a date, anything else a ValidationError whose
    message says what was wrong: not a date, or out of range."""
    if value is None or isinstance(value, dt.date):
        if isinstance(value, dt.datetime):
            value = value.date()
        validate_date_range(value)
        return value
    text = str(value).strip()
    if not text:
        return None
    day = None
    if _ISO_DATE.match(text):
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(text)
    for fmt in formats if day is None else ():
        with contextlib.suppress(ValueError):
            day = dt.datetime.strptime(text, fmt).date()
            break
    if day is None:
        raise ValidationError(
            _("“%(value)s” is not a date: enter it as YYYY-MM-DD, for example 2026-03-31."),
            code="invalid_date",
            params={"value": text[:40]},
        )
    validate_date_range(day)
    return day


def add_days(day: dt.date, days: int) -> dt.date:
    """``day + days``, kept at date.min / date.max instead of raising OverflowError."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def day_after(day: dt.date) -> dt.date:
    """The next day (for "up to and including ``day``" filters), date.max for the last one."""
    return add_days(day, 1)


def day_text(value: dt.date | dt.datetime | None) -> str:
    """A day as people read it, in the current language's ``DATE_FORMAT`` ("9 Dec 2026");
    a datetime is first moved to the current time zone. '' for no day."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


def moment_text(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """A moment as people read it, in ``tz`` (by default the current time zone) and the current
    language's ``DATETIME_FORMAT`` ("9 Dec 2026, 14:05 GMT"). '' for none."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value, tz)
    return formats.date_format(value, "DATETIME_FORMAT")


def record_day(value: dt.date) -> str:
    """A day written into stored text, in the site language's DATE_FORMAT ("9 Dec 2026")."""
    return dateformat.format(value, formats.get_format("DATE_FORMAT", lang=settings.LANGUAGE_CODE))


def record_moment(value: dt.datetime) -> str:
    """A moment written into stored text: the site's time zone and its language's DATETIME_FORMAT."""
    if timezone.is_aware(value):
        value = timezone.localtime(value, timezone.get_default_timezone())
    return dateformat.format(value, formats.get_format("DATETIME_FORMAT", lang=settings.LANGUAGE_CODE))
