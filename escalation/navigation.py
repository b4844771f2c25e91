"""The unread count beside "Notifications" in the menu (registered with ``lms.navigation``)."""

from __future__ import annotations

from django.utils.translation import ngettext

from escalation.selectors import unread_count


def unread_badge(user) -> tuple[int, str]:
    """(count, what a screen reader hears after the item's name: "Notifications, 3 unread")."""
    count = unread_count(user=user)
    return count, ngettext("%(count)d unread", "%(count)d unread", count) % {"count": count}
