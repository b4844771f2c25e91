"""The detail line of a notification in the reader's list (templates/escalation/notifications.html),
written when the page is shown, in the reader's language, from the structured values the row's
context holds (a date, a score, a count), never from its ``reason``.

``context["reason"]`` is the outbox's record in English (the preview, the webhooks and the admin
read it); a French reader was shown it as it was, or nothing. Each kind's line here needs only
values every row of that kind has carried; a row without them (written before a value was added)
gets None, and the page falls back to the record on English pages only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assignments.models import Assignment
from escalation.models import Notification
from lms.scores import percent_text
from lms.templatetags.lms_tags import day

Kind = Notification.Kind

DETAILS: dict[str, Callable[[dict], str | None]] = {}


def _detail(*kinds: str):
    def register(function: Callable[[dict], str | None]) -> Callable[[dict], str | None]:
        for kind in kinds:
            DETAILS[kind] = function
        return function

    return register


def notification_detail(kind: str, context: dict | None) -> str | None:
    """The detail line of a notification of ``kind`` in the active language, or None when its
    context lacks what the line needs (old rows: show the stored record, or nothing)."""
    function = DETAILS.get(kind)
    if function is None or not isinstance(context, dict):
        return None
    try:
        return function(context)
    except (KeyError, TypeError, ValueError):
        return None


def archive_reason_text(code: str) -> str:
    """ "assigned in error" for ``assigned_in_error``, in the active language; an unknown code
    as it is (emails say it too: escalation.templatetags.message_tags)."""
    try:
        label = str(Assignment.ArchiveReason(code).label)
    except ValueError:
        return code or ""
    # Lower case mid-sentence is an English rule; German nouns, for one, keep their capital.
    return label.lower() if (translation.get_language() or "").startswith("en") else label


def _int(value) -> int:
    if isinstance(value, bool) or value in (None, ""):
        raise ValueError(value)
    return int(value)


@_detail(Kind.ASSIGNED)
def _assigned(context: dict) -> str:
    return _("assigned, due %(date)s") % {"date": day(context["due_date"]) or _raise()}


@_detail(Kind.REMINDER)
def _reminder(context: dict) -> str:
    days = _int(context["days_left"])
    return ngettext("due in %(n)d day", "due in %(n)d days", days) % {"n": days}


@_detail(Kind.ATTEMPT_FAILED, Kind.MANAGER_ATTEMPT_FAILED)
def _attempt_failed(context: dict) -> str:
    return _("attempt %(n)d failed (%(score)s)") % dict(
        n=_int(context["attempt"]), score=percent_text(context["score"]) or _raise()
    )


@_detail(Kind.ATTEMPTS_EXHAUSTED, Kind.MANAGER_ATTEMPTS_EXHAUSTED)
def _exhausted(context: dict) -> str:
    attempts = _int(context["attempts"])
    return ngettext("%(n)d attempt used, none left", "%(n)d attempts used, none left", attempts) % {"n": attempts}


@_detail(Kind.REVIEW_BOOKED)
def _review_booked(context: dict) -> str:
    return _("booked into %(session)s, %(when)s") % {"session": context["session"], "when": day(context["starts_at"])}


def _step(level: int) -> str:
    # One sentence per step, so each language can agree its ordinal with its word for "step".
    steps = {
        1: _("first escalation step"),
        2: _("second escalation step"),
        3: _("third escalation step"),
        4: _("fourth escalation step"),
        5: _("fifth escalation step"),
        6: _("sixth escalation step"),
        7: _("seventh escalation step"),
        8: _("eighth escalation step"),
        9: _("ninth escalation step"),
        10: _("tenth escalation step"),
    }
    return steps.get(level) or _("escalation step %(level)d") % {"level": level}


@_detail(Kind.OVERDUE, Kind.ESCALATION)
def _overdue(context: dict) -> str:
    days = _int(context["days_overdue"])
    line = ngettext("%(n)d day overdue", "%(n)d days overdue", days) % {"n": days}
    level = _int(context["level"])
    if level < 1:
        return line
    return _("%(line)s (%(step)s, the one for day %(day)d)") % {
        "line": line,
        "step": _step(level),
        "day": _int(context["step_day"]),
    }


@_detail(Kind.WARNING_LETTER)
def _warning_letter(context: dict) -> str:
    return _("formal warning letter %(reference)s") % {"reference": context["reference"] or _raise()}


@_detail(Kind.RECERTIFICATION)
def _recertification(context: dict) -> str:
    return _("certificate expires %(date)s; renew by %(due)s") % {
        "date": day(context["expires_on"]) or _raise(),
        "due": day(context["due_date"]) or _raise(),
    }


@_detail(Kind.DIGEST)
def _digest(context: dict) -> str:
    count = _int(context["not_completed"])
    return ngettext("%(n)d assignment outstanding", "%(n)d assignments outstanding", count) % {"n": count}


@_detail(Kind.CHECKIN)
def _checkin(context: dict) -> str:
    count = _int(context["count"])
    return ngettext("%(n)d assignment at risk", "%(n)d assignments at risk", count) % {"n": count}


@_detail(Kind.COURSE_PASSED)
def _passed(context: dict) -> str:
    if not percent_text(context["score"]):
        return _("passed; certificate issued")
    return _("passed with %(score)s; certificate issued") % dict(score=percent_text(context["score"]))


@_detail(Kind.WITHDRAWN)
def _withdrawn(context: dict) -> str:
    return _("withdrawn: %(reason)s") % {"reason": archive_reason_text(context["withdrawn_code"] or _raise())}


@_detail(Kind.REFRESHER_OFFERED)
def _refresher(context: dict) -> str:
    return _("booster answers %(right)d of %(answered)d right (%(retention)s), below %(threshold)s") % {
        "right": _int(context["right"]),
        "answered": _int(context["answered"]),
        "retention": percent_text(context["retention"]) or _raise(),
        "threshold": percent_text(context["threshold"]) or _raise(),
    }


@_detail(Kind.CPD_SUBMITTED)
def _cpd_submitted(context: dict) -> str:
    return _("%(title)s: external learning submitted for approval") % {"title": context["title"]}


@_detail(Kind.CPD_DECIDED)
def _cpd_decided(context: dict) -> str:
    if context["approved"]:
        return _("%(title)s: approved") % {"title": context["title"]}
    return _("%(title)s: returned") % {"title": context["title"]}


def _raise():
    raise ValueError("missing value")
