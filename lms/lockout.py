"""One lockout per person: django-axes, keyed on the normalised email, for every password check.

- **One counter per identity.** Logins look people up by email case-insensitively, so every
  spelling of an address reaches the same account; axes must count them together.
  ``lockout_username`` (``AXES_USERNAME_CALLABLE``) gives axes the address trimmed and
  case-folded (``normalise_identity``), so ``LEARNER@example.com`` adds to the failures of
  ``learner@example.com`` and is locked with it. The counter stays per identity and IP
  (``AXES_LOCKOUT_PARAMETERS``).
- **Every password check counts.** A logged-in person re-enters their password to sign a
  compliance-critical assessment and to change it. ``password_confirm`` checks it through
  ``django.contrib.auth.authenticate``, like the login form, so axes refuses it while the person is
  locked out, adds a wrong one to the same counter, and writes it to its failure log
  (``AccessFailureLog``: identity, IP, page, locked or not). Call it before opening a transaction
  that may roll back: the failure is written in the caller's transaction and must outlive it.
- **A message, not an error page.** When a password check locks someone out (or meets a lockout),
  axes' middleware asks ``lockout_response`` (``AXES_LOCKOUT_CALLABLE``) for the answer: the login
  gets the "too many failed log-in attempts" page; a password check keeps its own page, whose
  form already says what happened, with status 429.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

# Set on a request whose password check went through ``password_confirm``.
RECHECK_FLAG = "lms_password_recheck"

WRONG_PASSWORD = _("That password is not right. Nothing has been submitted or changed.")
LOCKED_OUT = _(
    "Too many wrong passwords: password checks for your account are blocked for an hour. Nothing "
    "has been submitted or changed. Try again later, or reset your password if you have forgotten it."
)


def normalise_identity(value: str) -> str:
    """An email address as one identity: compatibility-normalised, trimmed and case-folded."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the identity axes counts failures under."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "POST", {}).get(field)
    return normalise_identity(value) if isinstance(value, str) else None


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the answer to a request axes has refused or just locked out."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    if getattr(request, RECHECK_FLAG, False) and isinstance(original_response, HttpResponse):
        original_response.status_code = status
        return original_response
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=status)


def password_confirm(*, request: HttpRequest, user, password: str | None, field: str = "password") -> None:
    """Check the password of ``user``, who is logged in, through the login lockout.

    Raises ``ValidationError({field: ...})``: code ``locked_out`` while the identity is locked out
    from this IP (the password is then not checked at all) or when this failure reaches the limit,
    ``password_incorrect`` for a wrong password.
    """
    setattr(request, RECHECK_FLAG, True)
    if not password:
        raise ValidationError({field: ValidationError(WRONG_PASSWORD, code="password_incorrect")})
    authenticated = authenticate(request, username=user.get_username(), password=password)
    if getattr(request, "axes_locked_out", False):
        raise ValidationError({field: ValidationError(LOCKED_OUT, code="locked_out")})
    if authenticated is None or authenticated.pk != user.pk:
        raise ValidationError({field: ValidationError(WRONG_PASSWORD, code="password_incorrect")})
