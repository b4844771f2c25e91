"""Bearer tokens for machines (SCIM provisioning, the REST API): one scheme for both.

A token's secret is ``<prefix><43 url-safe characters>`` (256 random bits), shown once when it is
made; only its SHA-256 digest (64 hex characters) and its first 12 characters are stored. A SHA-256
digest, not a slow password hash, is enough: there is nothing to guess from a leaked digest of 256
random bits, and every request must be checked quickly. A model using the scheme has the fields
``key_digest``, ``key_prefix``, ``revoked_at`` and ``last_used_at``."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import models
from django.utils import timezone

# last_used_at is written at most this often per token (not on every request of a sync or pull).
TOUCH_EVERY = dt.timedelta(minutes=1)
MAX_SECRET_LENGTH = 200


def bearer_digest(secret: str) -> str:
    """The stored form of ``secret``: its SHA-256 digest, 64 hex characters."""
    return hashlib.sha256(secret.encode()).hexdigest()


def bearer_new_secret(prefix: str) -> tuple[str, dict[str, str]]:
    """A new secret and the fields that store it (``key_digest``, ``key_prefix``)."""
    secret = prefix + secrets.token_urlsafe(32)
    return secret, {"key_digest": bearer_digest(secret), "key_prefix": secret[:12]}


def bearer_find_live(model: type[models.Model], secret: str, *, prefix: str):
    """The unrevoked ``model`` token whose secret is ``secret``, or None (unknown, revoked, or not
    of this kind: another prefix, or longer than MAX_SECRET_LENGTH). Records when it was last used,
    at most once per TOUCH_EVERY."""
    secret = (secret or "").strip()
    if not secret.startswith(prefix) or len(secret) > MAX_SECRET_LENGTH:
        return None
    token = model.objects.filter(key_digest=bearer_digest(secret), revoked_at=None).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - TOUCH_EVERY:
        model.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
