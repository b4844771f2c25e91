"""The welcome email (an invitation to set a first password, or to sign in with single sign-on),
registered with the people app (``lms.invitations``) so that creating a person queues it without
importing upwards.

Rows are written to the outbox in the caller's transaction. A person's first invitation has the
dedupe key ``invitation:<id>``: the unique key is the claim that makes it go out once, whatever the
number of imports, retries or nightly runs. A resend is asked for on purpose (an admin, or the
person on the password-reset form) and carries the moment of the call in its key. The link itself
is made when the dispatcher renders the email (``lms.templatetags.invitations``), never stored.
"""

from __future__ import annotations

import secrets

from django.utils import timezone

from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue, enqueue_and_dispatch_soon


def invitation_queue(*, user_ids: list[int], resend: bool = False, dispatch_soon: bool = True) -> int:
    """Queue the welcome email for each id (the caller chose who needs one); returns how many."""
    stamp = timezone.now()
    messages = [
        Outgoing(
            recipient_id=pk,
            kind=Notification.Kind.INVITATION,
            dedupe_key=f"invitation:{pk}:{stamp:%Y%m%d%H%M%S%f}" if resend else f"invitation:{pk}",
            context={"resend": resend},
        )
        for pk in sorted(set(user_ids))
    ]
    return len((enqueue_and_dispatch_soon if dispatch_soon else enqueue)(messages))


def password_reset_queue(*, user_ids: list[int]) -> int:
    """Queue the password-reset email for each id (people with a password who asked on the
    password-reset form); each request is its own message. The link is made when the
    dispatcher renders it (``lms.templatetags.invitations``), from SITE_URL."""
    stamp = timezone.now()
    messages = [
        Outgoing(
            recipient_id=pk,
            kind=Notification.Kind.PASSWORD_RESET,
            # Each request its own row (two within one microsecond too); the rate limit on the
            # form bounds how many.
            dedupe_key=f"password_reset:{pk}:{stamp:%Y%m%d%H%M%S%f}:{secrets.token_hex(4)}",
        )
        for pk in sorted(set(user_ids))
    ]
    return len(enqueue(messages))
