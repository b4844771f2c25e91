"""Numbers and codes printed on certificates.

A certificate carries two things a stranger can check it by, and both are unguessable:

- the verification code: 26 characters of Crockford base32 (130 random bits, no I, L, O or U, so
  it reads aloud and types back without doubt, whatever the letter case);
- the certificate number, ``COURSE-YYYYMMDD-XXXX-XXXX-XXXX-XXXX``: readable, and its last 16
  characters are the first 16 of the verification code (80 bits), so the number alone is enough on
  the public verification page (``number_carries_code``). Numbers that do not carry their code
  (imported history, certificates issued before this format) are looked up by their code only.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.utils import timezone

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 26  # 130 bits
NUMBER_SECRET_LENGTH = 16  # 80 bits of the code printed in the number
NUMBER_MAX_LENGTH = 64  # Completion.certificate_number


def new_verification_code() -> str:
    """Unguessable code for the public verification page (130 bits from a CSPRNG)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _grouped(text: str) -> str:
    return "-".join(text[index : index + 4] for index in range(0, len(text), 4))


def new_certificate_number(
    *, course_code: str, completed_at: dt.date | dt.datetime | None = None, verification_code: str | None = None
) -> str:
    """Readable and unique: COURSE-YYYYMMDD-XXXX-XXXX-XXXX-XXXX, dated by the completion (give its
    date, the learner's local date). With ``verification_code`` the last part is that code's first
    16 characters, which makes the number verifiable on its own; without it the part is random and
    the number is checked by its code only. The unique constraint on
    Completion.certificate_number is the final guard."""
    stamp = (completed_at or timezone.now()).strftime("%Y%m%d")
    secret = _grouped((verification_code or new_verification_code())[:NUMBER_SECRET_LENGTH])
    prefix = course_code.upper()[: NUMBER_MAX_LENGTH - len(stamp) - len(secret) - 2]
    return f"{prefix}-{stamp}-{secret}"


def number_carries_code(*, certificate_number: str, verification_code: str) -> bool:
    """True when the number ends with the first 16 characters of its own verification code: then
    knowing the number is knowing 80 unguessable bits, and the number may be checked alone."""
    if len(verification_code) != CODE_LENGTH or set(verification_code) - set(CODE_ALPHABET):
        return False
    return certificate_number.endswith("-" + _grouped(verification_code[:NUMBER_SECRET_LENGTH]))


def normalise_code(text: str) -> str:
    """A verification code as typed (any case, spaces or hyphens between groups, O for 0, I or L
    for 1) in the form it is stored."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    return cleaned.translate(str.maketrans("OIL", "011"))
