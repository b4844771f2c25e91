"""The one check for where a ``next`` parameter may send someone.

A view that follows ``next`` (after a form, on its error path too) takes the target from
``next_url`` or ``redirect_next`` and from nowhere else. The target is kept only when Django's
``url_has_allowed_host_and_scheme`` accepts it for the host of the request (the check Django's own
login and logout views use): other hosts, protocol-relative ``//host`` and ``/\\host``, userinfo
tricks, ``javascript:`` and control characters all fall back to the view's default. The target is
never looked up as a URL name, as ``django.shortcuts.redirect`` would do with a plain string.
``lms/tests/test_redirects.py`` walks every URL with hostile values.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request: HttpRequest, *, default: str) -> str:
    """The ``next`` of the request (the form's, else the query's) when it stays on this site,
    otherwise ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def redirect_next(request: HttpRequest, default: str, *args, **kwargs) -> HttpResponseRedirect:
    """Redirect to the request's safe ``next``, or to ``default`` (a URL name with its arguments,
    or a path)."""
    return HttpResponseRedirect(next_url(request, default=resolve_url(default, *args, **kwargs)))
