"""Email subjects: what one message holds, for every kind of notification.

A message is one recipient's pending rows of one kind (escalation.dispatch), so a subject names
the item when the message holds one, and otherwise counts what it holds: the items, and the
people they are about when the message is about other people ("Copy: formal warning letters for
5 people", never the first learner's name alone). Counts go through ngettext, so each language
gets its plural forms.

Subjects are plain text, like the text part: nothing here is HTML-escaped (the HTML part escapes
the subject once when it shows it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from escalation.models import Notification
from lms.templatetags.lms_tags import day

Kind = Notification.Kind


@dataclass(frozen=True)
class Held:
    """What one message holds: its items (one per thing it is about) and, for each item, the
    learner it is about (None when the items are not about a learner, as in a digest)."""

    items: list[dict]
    learners: list[object]

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def people(self) -> int:
        return len({learner for learner in self.learners if learner is not None})

    @property
    def first(self) -> dict:
        return self.items[0]

    def names(self) -> dict:
        return {"learner": self.first.get("learner", ""), "course": self.first.get("course", ""), "count": self.count}


SUBJECTS: dict[str, Callable[[Held], str]] = {}


# Runs of ASCII white space (a line break from a course title included) become one space; a
# language's no-break spaces stay (French puts one before a colon: "Rappel\u00a0: ...").
_SPACES = re.compile(r"[ \t\r\n\f\v\x1c-\x1f\x85\u2028\u2029]+")


def subject_for(kind: str, held: Held) -> str:
    return _SPACES.sub(" ", SUBJECTS[kind](held)).strip()


def _subject(kind: str):
    def register(function: Callable[[Held], str]) -> Callable[[Held], str]:
        SUBJECTS[kind] = function
        return function

    return register


@_subject(Kind.ASSIGNED)
def _assigned(held: Held) -> str:
    if held.count == 1:
        names = {**held.names(), "due": day(held.first.get("due_date"))}
        state = held.first.get("state", "new")
        if state == "overdue":
            return _("Overdue training: %(course)s, was due %(due)s") % names
        if state == "reminder":
            return _("Reminder: %(course)s, due %(due)s") % names
        return _("New training: %(course)s, due %(due)s") % names
    if any(item.get("state", "new") != "new" for item in held.items):
        return (
            ngettext(
                "Training to do: %(count)d course assigned to you",
                "Training to do: %(count)d courses assigned to you",
                held.count,
            )
            % held.names()
        )
    return (
        ngettext(
            "New training: %(count)d course assigned to you",
            "New training: %(count)d courses assigned to you",
            held.count,
        )
        % held.names()
    )


@_subject(Kind.REMINDER)
def _reminder(held: Held) -> str:
    if held.count == 1:
        return _("Reminder: %(course)s is due on %(due)s") % {**held.names(), "due": day(held.first.get("due_date"))}
    return (
        ngettext("Reminder: %(count)d course due soon", "Reminder: %(count)d courses due soon", held.count)
        % held.names()
    )


@_subject(Kind.ATTEMPT_FAILED)
def _attempt_failed(held: Held) -> str:
    if held.count == 1:
        return _("%(course)s: not passed this time") % held.names()
    return (
        ngettext("%(count)d quiz attempt not passed", "%(count)d quiz attempts not passed", held.count) % held.names()
    )


@_subject(Kind.MANAGER_ATTEMPT_FAILED)
def _manager_attempt_failed(held: Held) -> str:
    if held.count == 1:
        return _("%(learner)s did not pass %(course)s") % held.names()
    if held.people <= 1:
        return (
            ngettext("%(learner)s: %(count)d failed attempt", "%(learner)s: %(count)d failed attempts", held.count)
            % held.names()
        )
    return ngettext(
        "Failed attempts by %(people)d person in your team",
        "Failed attempts by %(people)d people in your team",
        held.people,
    ) % {"people": held.people}


@_subject(Kind.ATTEMPTS_EXHAUSTED)
def _attempts_exhausted(held: Held) -> str:
    if held.count == 1:
        return _("%(course)s: what happens next") % held.names()
    return (
        ngettext("What happens next for %(count)d course", "What happens next for %(count)d courses", held.count)
        % held.names()
    )


@_subject(Kind.MANAGER_ATTEMPTS_EXHAUSTED)
def _manager_attempts_exhausted(held: Held) -> str:
    if held.count == 1:
        return _("Action needed: %(learner)s has used all attempts at %(course)s") % held.names()
    if held.people <= 1:
        return (
            ngettext(
                "Action needed: %(learner)s has used all attempts at %(count)d course",
                "Action needed: %(learner)s has used all attempts at %(count)d courses",
                held.count,
            )
            % held.names()
        )
    return ngettext(
        "Action needed: %(people)d person has used all their attempts",
        "Action needed: %(people)d people have used all their attempts",
        held.people,
    ) % {"people": held.people}


@_subject(Kind.REVIEW_BOOKED)
def _review_booked(held: Held) -> str:
    if held.count == 1:
        return _("Review session booked: %(session)s") % {"session": held.first.get("session", "")}
    return (
        ngettext("Review sessions booked: %(count)d session", "Review sessions booked: %(count)d sessions", held.count)
        % held.names()
    )


@_subject(Kind.OVERDUE)
def _overdue(held: Held) -> str:
    if held.count == 1:
        return _("Overdue: %(course)s") % held.names()
    return ngettext("%(count)d overdue course", "%(count)d overdue courses", held.count) % held.names()


@_subject(Kind.ESCALATION)
def _escalation(held: Held) -> str:
    if held.count == 1:
        return _("Overdue training: %(learner)s (%(course)s)") % held.names()
    if held.people <= 1:
        return (
            ngettext(
                "Overdue training: %(learner)s, %(count)d course",
                "Overdue training: %(learner)s, %(count)d courses",
                held.count,
            )
            % held.names()
        )
    return ngettext(
        "Overdue training: %(people)d person in your reporting line",
        "Overdue training: %(people)d people in your reporting line",
        held.people,
    ) % {"people": held.people}


@_subject(Kind.WARNING_LETTER)
def _warning_letter(held: Held) -> str:
    """The learner's own letters and a manager's copies (a manager who is late too gets both)."""
    own = [item for item in held.items if not item.get("is_copy")]
    copies = Held(
        [item for item in held.items if item.get("is_copy")],
        [learner for item, learner in zip(held.items, held.learners, strict=True) if item.get("is_copy")],
    )
    parts = []
    if len(own) == 1:
        parts.append(_("Formal warning: %(course)s overdue") % {"course": own[0].get("course", "")})
    elif own:
        parts.append(
            ngettext(
                "Formal warnings: %(count)d course overdue", "Formal warnings: %(count)d courses overdue", len(own)
            )
            % {"count": len(own)}
        )
    if copies.count == 1:
        parts.append(_("Copy: formal warning letter for %(learner)s") % copies.names())
    elif copies.count and copies.people <= 1:
        parts.append(
            ngettext(
                "Copy: %(count)d formal warning letter for %(learner)s",
                "Copy: %(count)d formal warning letters for %(learner)s",
                copies.count,
            )
            % copies.names()
        )
    elif copies.count:
        parts.append(
            ngettext(
                "Copy: formal warning letters for %(people)d person",
                "Copy: formal warning letters for %(people)d people",
                copies.people,
            )
            % {"people": copies.people}
        )
    return "; ".join(parts)


@_subject(Kind.RECERTIFICATION)
def _recertification(held: Held) -> str:
    if held.count == 1:
        return _("Time to renew: %(course)s") % held.names()
    return ngettext("Time to renew %(count)d course", "Time to renew %(count)d courses", held.count) % held.names()


@_subject(Kind.CHECKIN)
def _checkin(held: Held) -> str:
    if held.count == 1:
        # People, not assignments: one person with two courses at risk is one person.
        at_risk = held.first.get("people", held.first.get("count", 0))
        return ngettext(
            "Weekly check-in: %(people)d person at risk", "Weekly check-in: %(people)d people at risk", at_risk
        ) % {"people": at_risk}
    return (
        ngettext(
            "Weekly check-ins for %(count)d week: people at risk in your team",
            "Weekly check-ins for %(count)d weeks: people at risk in your team",
            held.count,
        )
        % held.names()
    )


@_subject(Kind.DIGEST)
def _digest(held: Held) -> str:
    latest = held.items[-1]
    figures = {
        "date": day(latest.get("date")),
        "completed": latest.get("completed", 0),
        "outstanding": latest.get("not_completed", 0),
        "count": held.count,
    }
    if held.count == 1:
        return _("Team training digest for %(date)s: %(completed)d completed, %(outstanding)d outstanding") % figures
    return (
        ngettext(
            "Team training digests for %(count)d day, the latest for %(date)s: %(completed)d completed, "
            "%(outstanding)d outstanding",
            "Team training digests for %(count)d days, the latest for %(date)s: %(completed)d completed, "
            "%(outstanding)d outstanding",
            held.count,
        )
        % figures
    )


@_subject(Kind.INVITATION)
def _invitation(held: Held) -> str:
    # One welcome per message (a resend is its own message); a second row would say the same.
    return _("Welcome to %(organisation)s training: set up your account") % {"organisation": settings.ORGANISATION_NAME}


@_subject(Kind.PASSWORD_RESET)
def _password_reset(held: Held) -> str:
    # One request per message, as for a resent invitation.
    return _("Choose a new password for %(organisation)s training") % {"organisation": settings.ORGANISATION_NAME}


@_subject(Kind.COURSE_PASSED)
def _course_passed(held: Held) -> str:
    if held.count == 1:
        return _("You passed %(course)s: your certificate is ready") % held.names()
    return (
        ngettext(
            "You passed %(count)d course: your certificate is ready",
            "You passed %(count)d courses: your certificates are ready",
            held.count,
        )
        % held.names()
    )


@_subject(Kind.WITHDRAWN)
def _withdrawn(held: Held) -> str:
    if held.count == 1:
        return _("Withdrawn: you no longer need to complete %(course)s") % held.names()
    return (
        ngettext(
            "Withdrawn: you no longer need to complete %(count)d course",
            "Withdrawn: you no longer need to complete %(count)d courses",
            held.count,
        )
        % held.names()
    )


@_subject(Kind.CPD_SUBMITTED)
def _cpd_submitted(held: Held) -> str:
    if held.count == 1:
        return _("External learning to approve: %(title)s (%(learner)s)") % {
            "title": held.first.get("title", ""),
            "learner": held.first.get("learner", ""),
        }
    if held.people <= 1:
        return (
            ngettext(
                "External learning to approve: %(count)d entry by %(learner)s",
                "External learning to approve: %(count)d entries by %(learner)s",
                held.count,
            )
            % held.names()
        )
    return ngettext(
        "External learning to approve from %(people)d person",
        "External learning to approve from %(people)d people",
        held.people,
    ) % {"people": held.people}


@_subject(Kind.CPD_DECIDED)
def _cpd_decided(held: Held) -> str:
    if held.count == 1:
        names = {"title": held.first.get("title", "")}
        if held.first.get("approved"):
            return _("Approved for your CPD record: %(title)s") % names
        return _("Returned to you: %(title)s") % names
    return (
        ngettext(
            "Decisions on %(count)d entry of your external learning",
            "Decisions on %(count)d entries of your external learning",
            held.count,
        )
        % held.names()
    )


@_subject(Kind.BOOSTER)
def _booster(held: Held) -> str:
    if held.count == 1:
        return _("A quick question on %(course)s") % held.names()
    return (
        ngettext(
            "%(count)d quick question on training you completed",
            "%(count)d quick questions on training you completed",
            held.count,
        )
        % held.names()
    )


@_subject(Kind.BADGE_EARNED)
def _badge_earned(held: Held) -> str:
    if held.count == 1:
        return _("You earned a badge: %(badge)s") % {"badge": held.first.get("badge", "")}
    return ngettext("You earned %(count)d badge", "You earned %(count)d badges", held.count) % held.names()


@_subject(Kind.WELL_DONE)
def _well_done(held: Held) -> str:
    if held.count == 1:
        return _("Well done from %(sender)s") % {"sender": held.first.get("sender", "")}
    return (
        ngettext("%(count)d note of recognition for you", "%(count)d notes of recognition for you", held.count)
        % held.names()
    )


@_subject(Kind.REFRESHER_OFFERED)
def _refresher_offered(held: Held) -> str:
    if held.count == 1:
        return _("A refresher for %(course)s: review it before your certificate renews") % held.names()
    return (
        ngettext(
            "Refreshers for %(count)d course: review them before your certificates renew",
            "Refreshers for %(count)d courses: review them before your certificates renew",
            held.count,
        )
        % held.names()
    )
