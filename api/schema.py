"""The OpenAPI 3.1 document (drf-spectacular) at ``/api/schema/``: the bearer scheme, and the one
copy of the schema the documentation page is drawn from."""

from __future__ import annotations

from functools import cache

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token made by an admin at /api/tokens/, sent as `Authorization: Bearer lms_...`.",
        }


@cache
def openapi_document() -> dict:
    """The schema as /api/schema/ serves it (built once per process: it changes only with the code)."""
    return SchemaGenerator().get_schema(request=None, public=True)
