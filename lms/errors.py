"""Error answers for requests Django refuses before any view runs.

A body with more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields (or bigger than
``DATA_UPLOAD_MAX_MEMORY_SIZE``) is refused while the CSRF check reads it, so the view's own JSON
errors never get a say. ``bad_request`` (the project's ``handler400``) answers such a request in
JSON when the view it was meant for answers JSON (marked with ``answers_json``), and with Django's
page otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views import defaults


def answers_json(view: Callable) -> Callable:
    """Mark a view whose callers read JSON: its 400s before the view runs are JSON too."""
    view.answers_json = True
    return view


def _wants_json(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, "answers_json", False)


def bad_request(request: HttpRequest, exception: Exception, template_name: str = "400.html"):
    if _wants_json(request):
        return JsonResponse({"saved": False, "message": _("This request could not be read.")}, status=400)
    return defaults.bad_request(request, exception, template_name=template_name)


def csrf_failure(request: HttpRequest, reason: str = ""):
    """``CSRF_FAILURE_VIEW``: a form sent from a page that is out of date (opened before signing in
    again, left open past the session, sent twice from another tab) or by a browser that keeps no
    cookies. The site's own page, in the person's language, saying what to do; Django's reason stays
    in the log (``django.security.csrf``), not on the page. JSON callers get JSON."""
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE

    if _wants_json(request):
        return JsonResponse(
            {"saved": False, "message": _("This page is out of date. Reload it and try again.")}, status=403
        )
    context = {"no_cookie": reason == REASON_NO_CSRF_COOKIE}
    return render(request, "403_csrf.html", context, status=403)
