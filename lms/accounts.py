"""Account pages that need more than Django's: the password change checks the old password through
the login lockout, and the password-reset form is limited per address and per IP.

Password reset: each valid request counts once against its address (trimmed and case-folded, as
the lockout counts) and once against the client IP (as axes sees it), in fixed windows of
``PASSWORD_RESET_LIMIT_WINDOW`` seconds that start at the first request. Past either limit no
email is sent, and the answer is the one every request gets, for known and unknown addresses
alike: a redirect to "check your email". The counters live in the default cache; with one cache
per process (the local-memory default) each web process counts on its own, so production sets
``CACHE_URL``.
"""

from __future__ import annotations

import hashlib
import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseRedirect

from lms.forms import CheckedPasswordChangeForm
from lms.lockout import normalise_identity

logger = logging.getLogger(__name__)


def _count(key: str) -> int:
    """Add one to the counter at ``key``, started with the window if it is new; the new count."""
    window = settings.PASSWORD_RESET_LIMIT_WINDOW
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens a new window
        cache.set(key, 1, timeout=window)
        return 1


def password_reset_allowed(*, request: HttpRequest, email: str) -> bool:
    """Count a password-reset request; False when its address or IP is past the limit."""
    address = hashlib.sha256(normalise_identity(email).encode()).hexdigest()
    ip = get_client_ip_address(request) or "unknown"
    by_address = _count(f"password-reset:address:{address}")
    by_ip = _count(f"password-reset:ip:{ip}")
    allowed = by_address <= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS and by_ip <= settings.PASSWORD_RESET_LIMIT_PER_IP
    if not allowed:
        logger.warning("Password reset limited: %s requests for one address, %s from IP %s", by_address, by_ip, ip)
    return allowed


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        if password_reset_allowed(request=self.request, email=form.cleaned_data["email"]):
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = CheckedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
