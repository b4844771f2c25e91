"""API tokens: made once (the secret is shown then and never again), stored as a SHA-256 digest,
found by the digest of what a request presents, revoked by date: the scheme of ``lms.bearer``,
shared with the SCIM tokens, with scopes. Making and revoking a token is audited with the admin as actor."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken
from lms.audit import audit_record, label_of
from lms.bearer import bearer_find_live, bearer_new_secret
from lms.models import AuditEntry, User

PREFIX = "lms_"


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
    secret, stored = bearer_new_secret(PREFIX)
    token = ApiToken(name=name, scopes=scopes, created_by=created_by, **stored)
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
    return bearer_find_live(ApiToken, secret, prefix=PREFIX)
