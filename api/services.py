"""API tokens: made once (the secret is shown then and never again), stored as a SHA-256 digest,
found by the digest of what a request presents, revoked by date. The same scheme as the SCIM
tokens (``lms.scim.tokens``), with scopes.

A SHA-256 digest (not a slow password hash) is enough here: the secret is 256 random bits, so
there is nothing to guess from a leaked digest, and every request must be checked quickly.
Making and revoking a token is audited with the admin as actor."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken
from lms.audit import audit_record, label_of
from lms.models import AuditEntry, User

PREFIX = "lms_"
# last_used_at is written at most this often per token (not on every request of a nightly pull).
TOUCH_EVERY = dt.timedelta(minutes=1)
MAX_SECRET_LENGTH = 200


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, name: str, scopes: Iterable[str], created_by: User | None = None) -> tuple[ApiToken, str]:
    """A new token; returns it and its secret (shown once: only the digest is kept)."""
    name = (name or "").strip()
    scopes = sorted(set(scopes))
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name (the integration that will use it).")
    if not scopes:
        errors["scopes"] = _("Choose at least one scope.")
    elif unknown := [scope for scope in scopes if scope not in ApiToken.Scope.values]:
        errors["scopes"] = _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}
    if errors:
        raise ValidationError(errors)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name, key_digest=_digest(secret), key_prefix=secret[:12], scopes=scopes, created_by=created_by
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=created_by,
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(ApiToken),
        obj_id=token.pk,
        changes={"name": [None, token.name], "scopes": [None, scopes]},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, revoked_by: User | None = None) -> bool:
    """Stop ``token`` working from now on; False when it was already revoked."""
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now, revoked_by=revoked_by) == 1
    token.refresh_from_db()
    if revoked:
        audit_record(
            actor=revoked_by,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(ApiToken),
            obj_id=token.pk,
            changes={"revoked_at": [None, now]},
            reason=_("API token revoked"),
        )
    return revoked


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The live token whose secret is ``secret``, or None (unknown, revoked or malformed)."""
    secret = (secret or "").strip()
    if not secret.startswith(PREFIX) or len(secret) > MAX_SECRET_LENGTH:
        return None
    token = ApiToken.objects.filter(key_digest=_digest(secret), revoked_at=None).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
