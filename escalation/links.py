"""Where each notification points: the page about the thing it is about, one its recipient may open.

The same rule serves the emails (absolute addresses, from ``settings.SITE_URL``: the site's own
address, never the address of whichever process renders the email) and the notifications page
(paths). It is worked out when a message is shown or sent, from the outbox row (its kind,
assignment, learner and context), so a row queued before a page moved still links to where the
page is now.

- the learner's own messages: the course in the player; a failed attempt, its result page; a pass,
  the result and the certificate; a withdrawn assignment, their training history; their own
  warning letter, the letter;
- a manager's messages about someone in their reporting line: that person's page; overdue
  escalations and copies of warning letters: the assignment's case file (everyone above the
  learner may read it). A compliance officer outside the learner's reporting line who is not an
  admin may read neither, so their escalation links to the site's home page only;
- CPD external learning submitted or decided: the entry (its approver decides there);
- check-ins and digests: the team dashboard;
- a badge earned and a manager's "well done": the recipient's own badges and notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import reverse

from escalation.models import Notification

Kind = Notification.Kind

# The learner's own messages about one of their assignments: the course in the player.
_COURSE_KINDS = {
    Kind.ASSIGNED,
    Kind.REMINDER,
    Kind.OVERDUE,
    Kind.RECERTIFICATION,
    Kind.ATTEMPTS_EXHAUSTED,
    Kind.REVIEW_BOOKED,
    # A refresher: the completed course, to review (issue 17).
    Kind.REFRESHER_OFFERED,
}
# Messages to someone above the learner in the reporting chain, about the learner.
_PERSON_KINDS = {Kind.MANAGER_ATTEMPT_FAILED, Kind.MANAGER_ATTEMPTS_EXHAUSTED}
_CHAIN_ROLES = {"manager", "managers_manager"}


def notification_path(
    *, kind: str, recipient, assignment_id: int | None, learner_id: int | None, context: Mapping[str, Any]
) -> str | None:
    """The path of the page this notification is about, or None when there is none the recipient
    may open (the caller then links to the home page)."""
    if kind == Kind.ATTEMPT_FAILED and context.get("attempt_id"):
        return reverse("player_result", args=[context["attempt_id"]])
    if kind == Kind.COURSE_PASSED:
        if context.get("attempt_id"):
            return reverse("player_result", args=[context["attempt_id"]])
        if context.get("completion_id"):
            return reverse("certificate_download", args=[context["completion_id"]])
        return reverse("assignments:my_history")
    if kind == Kind.WITHDRAWN:
        return reverse("assignments:my_history")
    if kind in _COURSE_KINDS or kind == Kind.ATTEMPT_FAILED:
        return reverse("player_course", args=[assignment_id]) if assignment_id else None
    if kind in _PERSON_KINDS:
        return reverse("person_detail", args=[learner_id]) if learner_id else None
    if kind == Kind.ESCALATION:
        in_chain = context.get("role") in _CHAIN_ROLES or getattr(recipient, "is_admin", False)
        return reverse("escalation:case_file", args=[assignment_id]) if assignment_id and in_chain else None
    if kind == Kind.WARNING_LETTER:
        if context.get("is_copy"):
            return reverse("escalation:case_file", args=[assignment_id]) if assignment_id else None
        reference = context.get("reference")
        return reverse("escalation:warning_letter_pdf", args=[reference]) if reference else None
    if kind in (Kind.CHECKIN, Kind.DIGEST):
        return reverse("reports_team_dashboard")
    if kind in (Kind.BADGE_EARNED, Kind.WELL_DONE):
        # The recipient's own badges and notes (escalation.recognition).
        return reverse("recognition:mine")
    if kind in (Kind.CPD_SUBMITTED, Kind.CPD_DECIDED):
        # The external learning entry: the approver decides there, the learner reads the decision.
        return reverse("cpd:entry", args=[context["entry_id"]]) if context.get("entry_id") else None
    if kind == Kind.BOOSTER and context.get("delivery_id"):
        # The learner's booster page (signed in): the question, or their answer and its feedback.
        return reverse("boosters:question", args=[context["delivery_id"]])
    return None


def absolute(path: str | None) -> str:
    """An address people can open from an email: the site's address and the path (the home page
    when there is no path)."""
    return f"{settings.SITE_URL}{path or '/'}"


def certificate_url(context: Mapping[str, Any]) -> str:
    """The certificate's download address for a pass message, or "" when it names none."""
    completion_id = context.get("completion_id")
    return absolute(reverse("certificate_download", args=[completion_id])) if completion_id else ""
