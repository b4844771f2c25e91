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
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lms.forms import CheckedPasswordChangeForm
from lms.invitations import (
    TokenState,
    account_email_request,
    awaiting_password,
    invitation_accept,
    invitation_token_generator,
    uses_sso,
)
from lms.lockout import normalise_identity
from lms.models import User

logger = logging.getLogger(__name__)


def _count(key: str) -> int:
    """Add one to the counter at ``key``, started with the window if it is new; the new count. 0
    while the cache cannot be reached (it answers None, lms.settings CACHES): nothing is counted,
    the request is let through rather than refused (the reset email itself says nothing to a
    stranger)."""
    window = settings.PASSWORD_RESET_LIMIT_WINDOW
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens a new window
        cache.set(key, 1, timeout=window)
        return 1
    return count or 0


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


class LoginView(auth_views.LoginView):
    """Django's login, with a button for each configured single sign-on protocol."""

    def get_context_data(self, **kwargs):
        from lms.sso import sso_context

        return {**super().get_context_data(**kwargs), **sso_context(self.request)}


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        """Every address gets the same answer after the same work: ``account_email_request``
        queues what the address needs (a new invitation for an account still waiting for its
        first password, a reset link for one with a password, nothing for an unknown address, a
        single sign-on one or one past the rate limit) and has the outbox sent after the
        response; the email's link is made from SITE_URL, never from the Host header."""
        from lms.sso import password_login_allowed

        email = form.cleaned_data["email"]
        # Single sign-on people have no password here: nothing to reset, nothing is sent.
        allowed = password_login_allowed(email) and password_reset_allowed(request=self.request, email=email)
        account_email_request(email=email, queue=allowed)
        return HttpResponseRedirect(self.get_success_url())


def _invited_user(uidb64: str) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, uidb64: str, token: str):
    """Set a first password from the welcome email's link, then sign in and land on the training.

    A lapsed link (genuine but older than ``INVITATION_TIMEOUT``) says so; a used, altered or
    unknown one gets one answer for all three, so that the page tells nothing about which
    accounts exist or have a password. Both offer the password-reset form, which sends a new
    invitation to an account still waiting for its password (rate-limited there)."""
    user = _invited_user(uidb64)
    state = invitation_token_generator.state(user, token)
    if state is TokenState.VALID and not awaiting_password(user):
        state = TokenState.INVALID  # cannot happen with a genuine token: setting a password changes its hash
    context = {"state": state.value, "reset_form": PasswordResetForm()}
    if state is not TokenState.VALID:
        response = render(request, "registration/invitation_invalid.html", context)
    elif uses_sso(user.email):
        response = render(request, "registration/invitation_invalid.html", {**context, "state": "sso"})
    else:
        form = SetPasswordForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = invitation_accept(user=user, password=form.cleaned_data["new_password1"])
            except PermissionError:
                response = render(request, "registration/invitation_invalid.html", {**context, "state": "invalid"})
            else:
                login(request, user, backend="lms.backends.EmailBackend")
                messages.success(
                    request, _("Your password is set. Welcome, %(name)s.") % {"name": user.get_short_name()}
                )
                return redirect("home")
        else:
            response = render(request, "registration/invitation_accept.html", {"form": form, "person": user})
    # The token is in this page's address: never send it on to another site ("no-referrer" would
    # also make the browser send "Origin: null" with the form, which the CSRF check refuses).
    response["Referrer-Policy"] = "same-origin"
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = CheckedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
