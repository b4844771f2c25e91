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
        if request.method == "OPTIONS":
            # OPTIONS describes the view's fields: any scope the view names will do, none is a 403.
            named = sorted(set(scopes.values()))
            if named and not any(token.has_scope(name) for name in named):
                raise InsufficientScope(named[0])
            return True
        # HEAD is a GET without the body: it needs what GET needs.
        method = "GET" if request.method == "HEAD" else request.method
        scope = scopes.get(method, scopes.get("*"))
        if scope is None:
            # A method the view does not answer: let the view say 405.
            return True
        if not token.has_scope(scope):
            raise InsufficientScope(scope)
        return True
