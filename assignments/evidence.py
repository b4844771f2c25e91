"""Numbers and codes printed on certificates."""

from __future__ import annotations

import datetime as dt
import secrets

from django.utils import timezone


def new_certificate_number(*, course_code: str, completed_at: dt.date | dt.datetime | None = None) -> str:
    """Readable and unique: COURSE-YYYYMMDD-XXXXXXXX, dated by the completion (give its date, the
    learner's local date; random part from a CSPRNG; the unique constraint on
    Completion.certificate_number is the final guard)."""
    stamp = (completed_at or timezone.now()).strftime("%Y%m%d")
    return f"{course_code.upper()}-{stamp}-{secrets.token_hex(4).upper()}"


def new_verification_code() -> str:
    """Unguessable code for the public verification URL (128 bits)."""
    return secrets.token_urlsafe(16)
