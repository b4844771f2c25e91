from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, TooManyFieldsSent
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own time zone (stored in UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UserLanguageMiddleware:
    """Pages in the signed-in person's own language (``User.locale``), as their emails are
    (escalation.dispatch), so their dates read in one format (lms/formats) whatever language the
    browser asks for. Visitors who are not signed in get the browser's (LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        code = getattr(user, "locale", "") if user is not None and user.is_authenticated else ""
        if code in self.languages:
            translation.activate(code)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class RefuseNulInQueryMiddleware:
    """A query string holding a NUL character is a bad request (400), whatever page reads it.

    No text a person types holds NUL, and PostgreSQL refuses it in any text comparison: a search
    box or filter that passed it on would answer 500. Form fields refuse it themselves (Django's
    ProhibitNullCharactersValidator); query parameters are read by many views, so it is checked once
    here. Uploaded files are not looked at (a binary file is refused by the upload checks).

    The REST API's clients read errors as problem details (RFC 9457): for a path under ``/api/``
    the refusal, and a query string of more than DATA_UPLOAD_MAX_NUMBER_FIELDS parameters, is an
    ``application/problem+json`` 400 instead of the HTML error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            refused = "\x00" in request.path or any(
                "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
            )
        except TooManyFieldsSent:
            if _is_api(request):
                return api_problem(request, 400, "malformed-request", _("The query string has too many parameters."))
            raise
        if refused:
            if _is_api(request):
                return api_problem(request, 400, "malformed-request", _("The request holds a NUL character."))
            raise BadRequest("NUL character in the request")
        return self.get_response(request)


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def api_problem(request, status: int, slug: str, detail: str) -> JsonResponse:
    """A problem-details answer for ``/api/`` (the shape of api/problems.py, which lms cannot import)."""
    titles = {"malformed-request": _("The request could not be read")}
    body = {
        "type": request.build_absolute_uri(f"{reverse('api:docs')}#problem-{slug}"),
        "title": str(titles[slug]),
        "status": status,
        "detail": str(detail),
    }
    return JsonResponse(body, status=status, content_type="application/problem+json")


class MethodNotAllowedPageMiddleware:
    """A page for a 405 a person can land on: Django's ``require_POST`` answers an empty body, which
    a browser shows as its own bare error. It happens when someone is sent back to a form's address
    after signing in again (``?next=`` of a form posted once the session had ended) or opens such an
    address from their history. The answer keeps its status and ``Allow`` header; the REST API's
    answers (problem details) and non-empty bodies are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not getattr(response, "streaming", False)
            and not response.content
            and not request.path.startswith("/api/")
            and request.method in ("GET", "HEAD")
        ):
            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response


def request_queued_seconds(header: str, now: float) -> float | None:
    """How long a request waited before this process saw it, from the ``X-Request-Start`` header a
    reverse proxy adds when it receives the request: ``t=<time>`` in seconds (nginx's ``t=${msec}``,
    1700000000.123), milliseconds (Heroku, 1700000000123) or microseconds (Apache's ``t=%t``,
    1700000000123456). None when absent or unreadable, or when it lies in the future (clocks)."""
    value = header.strip().removeprefix("t=")
    try:
        stamp = float(value)
    except ValueError:
        return None
    if stamp > 1e14:
        stamp /= 1_000_000
    elif stamp > 1e11:
        stamp /= 1_000
    waited = now - stamp
    return waited if 0 <= waited < 24 * 60 * 60 else None


class QueueTimeMiddleware:
    """Answers 503 at once, before any session or database work, to a request that waited in the
    queues in front of this process (proxy, gunicorn's backlog) longer than
    ``REQUEST_QUEUE_TIMEOUT`` seconds: its person has most likely given up or pressed reload, and
    serving it would only make the requests behind it wait longer (issue 18: after a load test
    stopped, workers went on for minutes serving requests nobody was waiting for). The wait is read
    from ``X-Request-Start`` (request_queued_seconds), which the reverse proxy must set itself
    (README "Production"); without it nothing is shed. The page is in the language the browser
    asks for and says that nothing was changed; ``Retry-After`` tells clients when to come back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_QUEUE_TIMEOUT
        header = request.META.get("HTTP_X_REQUEST_START")
        if limit and header:
            import time

            waited = request_queued_seconds(header, time.time())
            if waited is not None and waited > limit:
                return self._busy(request, waited)
        return self.get_response(request)

    @staticmethod
    def _busy(request, waited: float):
        from django.http import HttpResponse
        from django.template.loader import render_to_string

        # The browser's language: the signed-in person's own would need the session and the
        # database, which is the work this answer exists to avoid.
        with translation.override(translation.get_language_from_request(request)):
            body = render_to_string("503.html")
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "60"
        response["Cache-Control"] = "no-store"
        # Answered before the security middlewares run: their headers, for a page with no script,
        # style, image or frame of its own.
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Frame-Options"] = "DENY"
        response["Referrer-Policy"] = "same-origin"
        # One warning line with the wait, instead of Django's error line for every 5xx.
        response._has_been_logged = True
        logger.warning("shed %s %s after %.1f s in the queues", request.method, request.path, waited)
        return response
