"""Scopes: each view names the scope each method needs (``required_scopes``); a token without it
gets 403 with a problem naming the scope."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions

from api.models import ApiToken


class InsufficientScope(exceptions.PermissionDenied):
    default_code = "insufficient_scope"

    def __init__(self, scope: str):
        super().__init__(_("This token does not have the scope “%(scope)s”.") % {"scope": scope})
        self.scope = scope


class HasScope(permissions.BasePermission):
    """A live token (401 otherwise) holding the scope the view names for the request's method."""

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            raise exceptions.NotAuthenticated(_("Send an API token as “Authorization: Bearer <token>”."))
        scopes = getattr(view, "required_scopes", {})
        scope = scopes.get(request.method, scopes.get("*"))
        if scope is None:
            # A method the view does not answer: let the view say 405.
            return True
        if not token.has_scope(scope):
            raise InsufficientScope(scope)
        return True
