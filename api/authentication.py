"""``Authorization: Bearer lms_...``: the only way in. A browser session is never enough (the API
has no CSRF check to lean on), so a signed-in admin without a token gets 401 like anyone else."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from api.models import ApiToken
from api.services import api_token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``request.auth`` is the ``ApiToken``; ``request.user`` stays anonymous, so that nothing
    takes the integration for a person (writes name the token in the audit trail instead)."""

    keyword = "Bearer"

    def authenticate(self, request) -> tuple[AnonymousUser, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _sep, secret = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not secret.strip():
            raise exceptions.AuthenticationFailed(_("Send the token as “Authorization: Bearer <token>”."))
        token = api_token_authenticate(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid: it is unknown or has been revoked."))
        return AnonymousUser(), token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
