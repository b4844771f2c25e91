"""The invitation link in the welcome email, made when the dispatcher renders it (the token is
never stored in the outbox, and its lifetime starts when the email goes out)."""

from __future__ import annotations

from django import template
from django.conf import settings

from lms.invitations import invitation_url, password_reset_url, uses_sso

register = template.Library()


@register.simple_tag
def invitation_link(recipient) -> str:
    """The absolute link to set a first password; "" for a person who signs in with single sign-on."""
    return invitation_url(recipient)


@register.simple_tag
def password_reset_link(recipient) -> str:
    """The absolute link to choose a new password (made at sending, from SITE_URL)."""
    return password_reset_url(recipient)


@register.simple_tag
def password_reset_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


@register.simple_tag
def invitation_uses_sso(recipient) -> bool:
    return uses_sso(recipient.email)


@register.simple_tag
def invitation_days() -> int:
    return max(1, settings.INVITATION_TIMEOUT // 86400)
