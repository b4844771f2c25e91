"""Rate limits per token (``API_RATE_LIMIT``, default 120 requests a minute), counted in the
default cache: set ``CACHE_URL`` in production so that every web process counts together."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None  # refused before any work (401); the schema and docs are not counted
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
