"""The SCIM endpoints. Bearer-token authentication only (no session, no CSRF: a browser's cookie
is never enough); every answer is SCIM JSON, errors included (RFC 7644 section 3.12)."""

from __future__ import annotations

import json
import re
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from lms.fields import parse_id
from lms.models import User
from lms.scim import resources
from lms.scim.resources import MAX_RESULTS, ScimError, error_response, scim_response
from lms.scim.tokens import scim_token_authenticate
from lms.scim.users import Change, change_from_patch, change_from_resource, scim_user_save

FILTER = re.compile(r'^\s*userName\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)
MAX_BODY = 1024 * 1024
# A SCIM body is a few levels deep; deeper is refused before the parser recurses into it.
MAX_DEPTH = 32


def _base_url(request) -> str:
    # From the configured address, never the request's Host header (which the client chooses).
    return f"{settings.SITE_URL}/scim/v2"


def scim_view(methods: set[str]):
    """Bearer token first (401), then the method (405), then the view; a ScimError becomes its
    SCIM error body."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                token = scim_token_authenticate(request.headers.get("Authorization", ""))
                if token is None:
                    raise ScimError(401, _("A valid bearer token is required."))
                if request.method not in methods:
                    raise ScimError(405, _("%(method)s is not supported here.") % {"method": request.method})
                request.scim_token = token
                return view(request, *args, **kwargs)
            except ScimError as error:
                return error_response(error)

        return wrapper

    return decorator


def _too_deep(text: str) -> bool:
    """More than MAX_DEPTH brackets open at once (brackets inside strings counted too, which only
    errs on the side of refusing a body no client sends)."""
    depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _body(request):
    too_large = ScimError(413, _("The request body is too large."))
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        raise too_large
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(raw) > MAX_BODY:
        raise too_large
    invalid = ScimError(400, _("The body is not valid JSON."), "invalidSyntax")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid from None
    if _too_deep(text):
        raise ScimError(400, _("The body is nested too deeply."), "invalidSyntax")
    try:
        return json.loads(text or "null")
    except (ValueError, RecursionError):
        raise invalid from None


def _people():
    return User.objects.select_related("manager", "department").order_by("pk")


def _person(pk: str) -> User:
    # ASCII digits only: "²" and "١٢" are digits to str.isdigit() but no id here.
    number = parse_id(pk)
    user = _people().filter(pk=number).first() if number else None
    if user is None:
        raise ScimError(404, _("No User has the id %(id)s.") % {"id": pk[:40]})
    return user


def _positive(value: str | None, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", value.strip()):
        raise ScimError(400, _("%(name)s must be a whole number.") % {"name": name}, "invalidValue")
    return int(value)


@scim_view({"GET", "POST"})
def users(request):
    if request.method == "POST":
        user = scim_user_save(token=request.scim_token, change=change_from_resource(_body(request)))
        resource = resources.user_resource(_people().get(pk=user.pk), _base_url(request))
        return scim_response(resource, status=201, Location=resource["meta"]["location"])
    people = _people()
    query = request.GET.get("filter")
    if query:
        match = FILTER.match(query)
        if not match:
            raise ScimError(400, _('Only the filter userName eq "..." is supported.'), "invalidFilter")
        people = people.filter(email__iexact=re.sub(r"\\(.)", r"\1", match.group(1)).strip())
    # Clamped (RFC 7644 section 3.4.2.4: below 1 is 1): an offset past any table is an empty page.
    start = min(10**9, max(1, _positive(request.GET.get("startIndex"), 1, "startIndex")))
    count = min(MAX_RESULTS, max(0, _positive(request.GET.get("count"), 100, "count")))
    total = people.count()
    page = list(people[start - 1 : start - 1 + count]) if count else []
    base = _base_url(request)
    return scim_response(
        resources.list_response([resources.user_resource(u, base) for u in page], total=total, start_index=start)
    )


@scim_view({"GET", "PUT", "PATCH", "DELETE"})
def user(request, pk: str):
    person = _person(pk)
    token = request.scim_token
    if request.method == "PUT":
        scim_user_save(token=token, change=change_from_resource(_body(request)), user=person)
    elif request.method == "PATCH":
        scim_user_save(token=token, change=change_from_patch(_body(request)), user=person)
    elif request.method == "DELETE":
        # People are never deleted (their training records are evidence): a DELETE is a leaver.
        scim_user_save(token=token, change=Change(active=False), user=person)
        return HttpResponse(status=204)
    return scim_response(resources.user_resource(_person(pk), _base_url(request)))


@scim_view({"GET"})
def service_provider_config(request):
    return scim_response(resources.service_provider_config(_base_url(request)))


@scim_view({"GET"})
def schemas(request, schema_id: str | None = None):
    found = resources.schemas(_base_url(request))
    if schema_id is None:
        return scim_response(resources.list_response(found, total=len(found), start_index=1))
    for schema in found:
        if schema["id"] == schema_id:
            return scim_response(schema)
    raise ScimError(404, _("No such schema."))


@scim_view({"GET"})
def resource_types(request, name: str | None = None):
    found = resources.resource_types(_base_url(request))
    if name is None:
        return scim_response(resources.list_response(found, total=len(found), start_index=1))
    for resource_type in found:
        if resource_type["id"] == name:
            return scim_response(resource_type)
    raise ScimError(404, _("No such resource type."))
