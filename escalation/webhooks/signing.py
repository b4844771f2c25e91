"""The endpoint's secret and the signature of each delivery.

Each delivery carries ``X-LMS-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256, keyed with the endpoint's secret, of ``"<t>." + raw body``. The receiver recomputes
it over the bytes it received, compares in constant time, and refuses a ``t`` more than five
minutes away from its clock (a captured request cannot be replayed later).

The secret has to be kept readable to sign with, unlike API tokens which are stored as digests:
it is stored encrypted (Fernet, with a key derived from ``SECRET_KEY``), shown to the admin once
when issued, and can be rotated. Changing ``SECRET_KEY`` makes the stored secrets unreadable:
rotate each endpoint's secret after it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from cryptography.fernet import Fernet
from django.conf import settings

HEADER = "X-LMS-Signature"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"lms.webhooks.secret:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode()).decode()


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None) -> bool:
    """What a receiver does (the README shows the same in a few lines). False for a missing or
    malformed header (no ``=``, no ``t`` or ``v1``, a time that is not ASCII digits, non-ASCII
    text), never an exception."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        stamp, given = fields["t"], fields["v1"].encode("ascii")
        if not (stamp.isascii() and stamp.isdigit()):
            return False
        timestamp = int(stamp)
        if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE_SECONDS:
            return False
        expected = signature(secret, body, timestamp).split("v1=", 1)[1].encode()
        return hmac.compare_digest(expected, given)
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError):
        return False
