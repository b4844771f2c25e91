"""SCIM bearer tokens: made once (the secret is shown then and never again), stored as a SHA-256
digest, found by the digest of what a request presents, revoked by date."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.bearer import bearer_find_live, bearer_new_secret
from lms.models import ScimToken, User

PREFIX = "scim_"


@transaction.atomic
def scim_token_create(*, name: str, created_by: User | None = None) -> tuple[ScimToken, str]:
    """A new token; returns it and its secret (shown once: only the digest is kept)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name (the system that will use it).")})
    secret, stored = bearer_new_secret(PREFIX)
    token = ScimToken(name=name, created_by=created_by, **stored)
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
    if scheme.lower() != "bearer":
        return None
    return bearer_find_live(ScimToken, secret, prefix=PREFIX)
