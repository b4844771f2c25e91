"""Invitations: the welcome email that lets a person created without a password set one.

Who gets one: every active person created without a usable password, however they were created
(the person form, the Django admin, the CSV import, SCIM provisioning). ``lms.services.user_create``
and the users import call ``invitation_send``; admins resend from the person page or the people
list; a person whose link has lapsed asks for a new one on the password-reset form (which, for an
account still waiting for its first password, sends an invitation instead of a reset link).

Exactly once: the first invitation of a person is the outbox row with dedupe key
``invitation:<id>``, unique in the database, so a second import, a retried task or a nightly run
queues nothing more. A resend is asked for on purpose and carries its moment in the key.

The message is written by the notification outbox in the escalation app above this one, which
registers its writer here (``register_invitation_writer``), as ``assignments.notices`` does for the
assignment notice. The writer runs in the caller's transaction: a rolled-back creation queues
nothing.

The link: ``/accounts/invitation/<uid>/<token>/`` with a token of ``InvitationTokenGenerator``,
made when the email is rendered by the dispatcher (never stored in the outbox). Like Django's
password-reset token it is an HMAC over the person's password hash, last login, email and the
time it was made, so it stops working once a password is set (single use) or after
``INVITATION_TIMEOUT`` seconds (a setting, seven days by default). People whose email domain is in
``SSO_DOMAINS`` sign in with single sign-on: their welcome says so and carries no link, and the
link page does not let them set a password.

The password-reset form (``account_email_request``) does the same work in the request for every
address, known or not: it queues what the address needs in the outbox (a new invitation, a reset
link, or nothing) and asks for the outbox to be sent after the response
(``register_account_mail_writers``), so the time of the answer does not tell which accounts exist
or still wait for their first password. Every link is made from ``SITE_URL``, never from the
request's Host header.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from lms.models import User


class TokenState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """A password-reset style token with its own salt (a reset token is not an invitation token,
    nor the reverse) and its own lifetime, ``INVITATION_TIMEOUT``."""

    key_salt = "lms.invitations.InvitationTokenGenerator"

    def state(self, user: User | None, token: str | None) -> TokenState:
        """VALID, EXPIRED (genuine but too old: the page offers a new one) or INVALID."""
        if user is None or not token or len(token) > 64:
            return TokenState.INVALID
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return TokenState.INVALID
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token):
                break
        else:
            return TokenState.INVALID
        if self._num_seconds(self._now()) - timestamp > settings.INVITATION_TIMEOUT:
            return TokenState.EXPIRED
        return TokenState.VALID

    def check_token(self, user, token) -> bool:
        return self.state(user, token) is TokenState.VALID


invitation_token_generator = InvitationTokenGenerator()


def uses_sso(email: str) -> bool:
    """True when the address's domain signs in with single sign-on (``SSO_DOMAINS``)."""
    domain = email.rpartition("@")[2].strip().lower()
    return bool(domain) and domain in settings.SSO_DOMAINS


def awaiting_password(user: User) -> bool:
    return user.is_active and not user.has_usable_password()


def invitation_url(user: User) -> str:
    """The absolute link to set a first password ("" for a single sign-on person, who gets none)."""
    if uses_sso(user.email):
        return ""
    path = reverse(
        "invitation_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def password_reset_url(user: User) -> str:
    """The absolute link to choose a new password (Django's reset token), from SITE_URL."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


# --- sending (the writer is registered by escalation) ---------------------------------------

InvitationWriter = Callable[..., int]
_writers: list[InvitationWriter] = []


def register_invitation_writer(writer: InvitationWriter) -> None:
    """``writer(user_ids=[...], resend=bool, dispatch_soon=bool)`` queues the welcome email for
    each id and returns how many it queued."""
    if writer not in _writers:
        _writers.append(writer)


def invitations_waiting(user_ids: Iterable[int]) -> list[int]:
    """The ids, among these, of active people who still have no usable password."""
    return list(
        User.objects.filter(
            pk__in=list(user_ids), is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX
        ).values_list("pk", flat=True)
    )


def invitation_send(*, user_ids: Iterable[int], resend: bool = False, dispatch_soon: bool = True) -> int:
    """Queue the welcome email for each active person among ``user_ids`` who has no usable
    password; returns how many were queued. Without ``resend`` a person's first invitation is
    queued once whatever the number of calls (the outbox's unique key); with it, a new one each
    call. ``dispatch_soon=False`` (imports) leaves sending to the dispatcher's next run."""
    waiting = invitations_waiting(user_ids)
    if not waiting:
        return 0
    return sum(writer(user_ids=waiting, resend=resend, dispatch_soon=dispatch_soon) for writer in _writers)


@transaction.atomic
def invitation_accept(*, user: User, password: str) -> User:
    """Set a first password (the caller has checked the token and validated the password).
    Locks the row so that two submissions of one link set one password: the second finds a
    usable password and is refused."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not awaiting_password(locked):
        raise PermissionError("This invitation has already been used.")
    locked.set_password(password)
    locked.save(update_fields=["password"])
    return locked


_reset_writers: list[Callable[..., int]] = []
_after_response: list[Callable[[], None]] = []


def register_account_mail_writers(*, reset_writer: Callable[..., int], send_after_response: Callable[[], None]) -> None:
    """``reset_writer(user_ids=[...])`` queues the password-reset email for each id and returns how
    many; ``send_after_response()`` asks for the outbox to be sent once the answer has gone out."""
    if reset_writer not in _reset_writers:
        _reset_writers.append(reset_writer)
    if send_after_response not in _after_response:
        _after_response.append(send_after_response)


def account_email_request(*, email: str, queue: bool = True) -> int:
    """What the password-reset form does for an address: an active account still waiting for its
    first password gets a new invitation, one with a password a reset link, any other address (or
    any address when not ``queue``: single sign-on, or past the rate limit) nothing. Both are only
    queued; every call, whatever the address, then asks for the outbox to be sent after the
    response. Returns how many were queued."""
    people = list(User.objects.filter(email__iexact=email.strip(), is_active=True).only("pk", "password", "email"))
    if not queue:
        people = []
    waiting = [person.pk for person in people if not person.has_usable_password()]
    resettable = [person.pk for person in people if person.has_usable_password()]
    queued = invitation_send(user_ids=waiting, resend=True, dispatch_soon=False) if waiting else 0
    if resettable:
        queued += sum(writer(user_ids=resettable) for writer in _reset_writers)
    for ask in _after_response:
        ask()
    return queued


def invitation_resend(*, user_ids: Iterable[int]) -> tuple[int, int]:
    """An admin's resend to one or many people: (queued, skipped because they already have a
    password or have left)."""
    ids = set(user_ids)
    queued = invitation_send(user_ids=ids, resend=True)
    return queued, len(ids) - queued
