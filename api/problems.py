"""Every error of the API as RFC 9457 problem details (``application/problem+json``):

    {"type": "https://lms.example.com/api/docs/#problem-validation-error",
     "title": "Your request has invalid fields", "status": 400,
     "detail": "Correct the fields listed in errors.",
     "errors": [{"pointer": "#/due_date", "detail": "The due date cannot be in the past."}]}

``type`` is a link to the problem's entry on the documentation page; ``errors`` (field errors) point
at the field of the request body or query with a JSON pointer. Errors a service raises (Django's
``ValidationError``) read the same as the serializers' own."""

from __future__ import annotations

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from api.parsers import too_big_message
from api.permissions import InsufficientScope

CONTENT_TYPE = "application/problem+json"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the record as it stands.")
    default_code = "conflict"


# slug -> (status, title): the problem types the documentation page lists.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "validation-error": (400, gettext_lazy("Your request has invalid fields")),
    "malformed-request": (400, gettext_lazy("The request could not be read")),
    "not-authenticated": (401, gettext_lazy("A valid API token is needed")),
    "insufficient-scope": (403, gettext_lazy("The token does not have the scope this needs")),
    "forbidden": (403, gettext_lazy("Not allowed")),
    "not-found": (404, gettext_lazy("Not found")),
    "method-not-allowed": (405, gettext_lazy("Method not allowed")),
    "not-acceptable": (406, gettext_lazy("Cannot answer in the format asked for")),
    "conflict": (409, gettext_lazy("Conflict with the record as it stands")),
    "unsupported-media-type": (415, gettext_lazy("Send the body as application/json")),
    "rate-limited": (429, gettext_lazy("Too many requests")),
}


def _slug(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "validation-error"
    if isinstance(exc, exceptions.ParseError):
        return "malformed-request"
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return "not-authenticated"
    if isinstance(exc, InsufficientScope):
        return "insufficient-scope"
    if isinstance(exc, exceptions.PermissionDenied):
        return "forbidden"
    if isinstance(exc, exceptions.NotFound):
        return "not-found"
    if isinstance(exc, exceptions.MethodNotAllowed):
        return "method-not-allowed"
    if isinstance(exc, exceptions.NotAcceptable):
        return "not-acceptable"
    if isinstance(exc, Conflict):
        return "conflict"
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return "unsupported-media-type"
    if isinstance(exc, exceptions.Throttled):
        return "rate-limited"
    return "forbidden" if exc.status_code == 403 else "malformed-request"


def type_uri(request, slug: str) -> str:
    path = f"{reverse('api:docs')}#problem-{slug}"
    return request.build_absolute_uri(path) if request is not None else path


def _pointers(detail, prefix: str = "#") -> list[dict]:
    """Field errors as [{"pointer": "#/field", "detail": "..."}] (nested fields as #/a/0/b)."""
    errors: list[dict] = []
    if isinstance(detail, dict):
        for name, value in detail.items():
            here = prefix if name in {"non_field_errors", "__all__"} else f"{prefix}/{name}"
            errors.extend(_pointers(value, here))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            errors.extend({"pointer": prefix or "#", "detail": str(item)} for item in detail)
        else:
            for index, item in enumerate(detail):
                errors.extend(_pointers(item, f"{prefix}/{index}"))
    else:
        errors.append({"pointer": prefix or "#", "detail": str(detail)})
    return errors


def problem(request, slug: str, *, detail: str = "", status_code: int | None = None, **extra) -> dict:
    code, title = PROBLEM_TYPES[slug]
    body = {"type": type_uri(request, slug), "title": str(title), "status": status_code or code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def exception_handler(exc, context):
    """DRF's exception handler, answering problem details; anything else is left to Django (500)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("There is nothing with this id, or not for this token."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = exceptions.ParseError(too_big_message())
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ParseError(_("The request has too many parameters."))
    elif isinstance(exc, SuspiciousOperation | BadRequest):
        exc = exceptions.ParseError(_("The request could not be read."))
    if not isinstance(exc, exceptions.APIException):
        return None
    request = context.get("request")
    slug = _slug(exc)
    headers = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            request,
            slug,
            detail=_("Correct the fields listed in errors."),
            status_code=exc.status_code,
            errors=_pointers(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        extra = {"scope": exc.scope} if isinstance(exc, InsufficientScope) else {}
        body = problem(request, slug, detail=str(detail), status_code=exc.status_code, **extra)
    return Response(body, status=exc.status_code, headers=headers, content_type=CONTENT_TYPE)
