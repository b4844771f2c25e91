"""SCIM bearer tokens: made once (the secret is shown then and never again), stored as a SHA-256
digest, found by the digest of what a request presents, revoked by date."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.models import ScimToken, User

PREFIX = "scim_"
# last_used_at is written at most this often per token (not on every request of a sync run).
TOUCH_EVERY = dt.timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def scim_token_create(*, name: str, created_by: User | None = None) -> tuple[ScimToken, str]:
    """A new token; returns it and its secret (shown once: only the digest is kept)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name (the system that will use it).")})
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(name=name, key_digest=_digest(secret), key_prefix=secret[:12], created_by=created_by)
    token.full_clean()
    token.save()
    return token, secret


def scim_token_revoke(*, token: ScimToken) -> ScimToken:
    ScimToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def scim_token_authenticate(authorization: str) -> ScimToken | None:
    """The live token an ``Authorization: Bearer ...`` header presents, or None."""
    scheme, _sep, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = ScimToken.objects.filter(key_digest=_digest(secret), revoked_at=None).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - TOUCH_EVERY:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
