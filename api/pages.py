"""Pages for people: the admins' API token page (made and revoked in the browser, the secret shown
once, on the page the form redirects to) and the API's documentation page, drawn on the server from the OpenAPI document (no
JavaScript, so it works under the site's Content-Security-Policy as every other page does)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import ApiTokenForm
from api.models import ApiToken
from api.problems import PROBLEM_TYPES
from api.schema import openapi_document
from api.services import api_token_create, api_token_revoke
from lms.permissions import admin_required

SECRET_KEY = "api_token_secret"


def _secret_once(request) -> dict | None:
    """The token just made and its secret, for one page: taken out of the session, which is saved
    before the page is drawn, and claimed in the cache (``add`` is atomic), so two loads of the
    page at once (sharing one session) show it at most once. Then it is nowhere but that page."""
    waiting = request.session.pop(SECRET_KEY, None)
    if waiting is None:
        return None
    request.session.save()
    if not cache.add(f"api:token-secret-shown:{waiting['once']}", True, timeout=settings.SESSION_COOKIE_AGE):
        return None
    token = ApiToken.objects.filter(pk=waiting["token"]).first()
    return None if token is None else {"token": token, "secret": waiting["secret"]}


@admin_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = api_token_create(
                name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], created_by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Post/redirect/get: reloading the page that shows the secret must not make a second
            # token. The secret waits in the session (signed, server-side) for the GET that follows.
            request.session[SECRET_KEY] = {"token": token.pk, "secret": secret, "once": secrets.token_urlsafe(16)}
            return redirect("api:tokens")
    if request.method == "GET" and (shown := _secret_once(request)) is not None:
        response = render(request, "api/token_created.html", shown)
        add_never_cache_headers(response)
        return response
    listed = ApiToken.objects.select_related("created_by", "revoked_by").order_by("revoked_at", "name", "pk")
    return render(request, "api/tokens.html", {"form": form, "tokens": listed})


@admin_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk)
    if api_token_revoke(token=token, revoked_by=request.user):
        messages.success(request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name})
    else:
        messages.info(request, _("The token “%(name)s” was already revoked.") % {"name": token.name})
    return redirect("api:tokens")


METHODS = ("get", "post", "put", "patch", "delete")


def _type_of(schema: dict, components: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " & ".join(_type_of(part, components) for part in schema["allOf"])
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " or ".join(str(k) for k in kind)
    if schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    if kind.startswith("array") and "items" in schema:
        kind = f"array of {_type_of(schema['items'], components)}"
    if "enum" in schema:
        kind = f"{kind}: " + ", ".join(str(value) for value in schema["enum"] if value is not None)
    return kind or "object"


def _fields(schema: dict, components: dict) -> list[dict]:
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": _type_of(prop, components),
            "required": name in required,
            "read_only": prop.get("readOnly", False),
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _operations(document: dict) -> list[dict]:
    components = document.get("components", {}).get("schemas", {})
    operations = []
    for route, item in document.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            responses = []
            for code, response in op.get("responses", {}).items():
                media = next(iter(response.get("content", {}) or {"": None}))
                responses.append({"code": code, "media": media, "description": response.get("description", "")})
            operations.append(
                {
                    "id": op.get("operationId", f"{method}-{route}"),
                    "method": method.upper(),
                    "path": route,
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "where": p["in"],
                            "required": p.get("required", False),
                            "type": _type_of(p.get("schema", {}), components),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _fields(body, components) if body else [],
                    "responses": responses,
                }
            )
    return operations


@require_http_methods(["GET"])
def docs(request):
    document = openapi_document()
    components = document.get("components", {}).get("schemas", {})
    shown = ["Person", "Course", "Assignment", "Completion", "PersonCompliance", "OrganisationReport", "Problem"]
    return render(
        request,
        "api/docs.html",
        {
            "info": document.get("info", {}),
            "operations": _operations(document),
            "records": [
                {"name": name, "fields": _fields(components[name], components)} for name in shown if name in components
            ],
            "problems": [
                {"slug": slug, "status": code, "title": title} for slug, (code, title) in PROBLEM_TYPES.items()
            ],
            "scopes": ApiToken.Scope.choices,
        },
    )
