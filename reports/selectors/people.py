"""The learner record: every assignment past and present with its report state, attempts with
scores, completions with certificates, exemptions and the escalation case file, and for each
non-compliant assignment an answer to "why?" drawn from the case file. A fixed number of queries
whatever the length of the history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Max, Q
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from assignments.models import Assignment, Attempt, Completion, Exemption
from assignments.selectors.lifecycle import PRACTICE_KINDS
from courses.models import Quiz
from courses.translations.selectors import overlay_courses
from escalation.models import EscalationEvent
from lms.dates import day_text
from lms.scores import percent_text
from reports.selectors.state import ReportState, end_of_day, excused_for, with_report_state


def learner_record(*, person, day: dt.date, history: bool = False, language: str | None = None) -> dict:
    """Attempts are the final assessment's (counted, scored, "not passed"); practice checks (module
    checks and the pre-test) are listed apart as ``practice`` and counted as ``practice_count``.
    Each assignment's course is titled in ``language`` (the reader's) where its title has a
    current translation in it (``overlay_courses``: one more query, none when the courses are in
    that language already), else in the course's own."""
    excused = excused_for(day, history=history)
    submitted = Q(attempts__status=Attempt.Status.SUBMITTED)
    final = Q(attempts__quiz__kind=Quiz.Kind.FINAL)
    assignments = Assignment.objects.filter(learner=person).select_related("course")
    if history:
        assignments = assignments.filter(assigned_at__lt=end_of_day(day))
    assignments = list(
        with_report_state(assignments, day=day, excused=excused, history=history)
        .annotate(
            attempt_count=Count("attempts", filter=submitted & final, distinct=True),
            best_score=Max("attempts__score", filter=submitted & final),
            practice_count=Count(
                "attempts", filter=submitted & Q(attempts__quiz__kind__in=PRACTICE_KINDS), distinct=True
            ),
        )
        .order_by("archived_at", "-assigned_at", "-pk")
    )
    overlay_courses([(assignment.course, language) for assignment in assignments])
    all_submitted = list(
        Attempt.objects.filter(assignment__learner=person, status=Attempt.Status.SUBMITTED)
        .select_related("quiz")
        .order_by("-submitted_at", "-pk")
    )
    attempts = [attempt for attempt in all_submitted if attempt.quiz.kind == Quiz.Kind.FINAL]
    practice = [attempt for attempt in all_submitted if attempt.quiz.kind != Quiz.Kind.FINAL]
    completions = list(
        Completion.objects.filter(learner=person).select_related("course", "learner").order_by("-completed_at")
    )
    exemptions = list(Exemption.objects.filter(learner=person).select_related("approved_by").order_by("-starts_on"))
    events_qs = EscalationEvent.objects.filter(assignment__learner=person).select_related("actor")
    if history:
        events_qs = events_qs.filter(occurred_at__lt=end_of_day(day))
    events = list(events_qs.order_by("-occurred_at", "-pk"))
    events_by_assignment: dict[int, list[EscalationEvent]] = defaultdict(list)
    for event in events:
        events_by_assignment[event.assignment_id].append(event)
    attempts_by_assignment: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        attempts_by_assignment[attempt.assignment_id].append(attempt)
    for assignment in assignments:
        assignment.case_events = events_by_assignment.get(assignment.pk, [])
        assignment.attempt_list = attempts_by_assignment.get(assignment.pk, [])
        assignment.is_archived = assignment.archived_at is not None and (
            not history or assignment.archived_at < end_of_day(day)
        )
        assignment.why = [] if assignment.is_archived else explain(assignment, day=day)
    return {
        "assignments": assignments,
        "attempts": attempts,
        "practice": practice,
        "completions": completions,
        "exemptions": exemptions,
        "events": events,
        "day": day,
        "history": history,
    }


def explain(assignment: Assignment, *, day: dt.date) -> list[str]:
    """Why an assignment is in its state, in plain words, from its dates, attempts and case file."""
    state = assignment.state
    lines: list[str] = []
    if state == ReportState.OVERDUE:
        days = (day - assignment.due_date).days
        lines.append(
            ngettext(
                "It was due on %(due)s and is %(days)d day late: no passing attempt by then.",
                "It was due on %(due)s and is %(days)d days late: no passing attempt by then.",
                days,
            )
            % {"due": day_text(assignment.due_date), "days": days}
        )
        if not assignment.attempt_list:
            lines.append(_("No attempt at the assessment has been submitted."))
        else:
            lines.append(
                ngettext(
                    "%(n)d attempt submitted, best score %(score)s.",
                    "%(n)d attempts submitted, best score %(score)s.",
                    len(assignment.attempt_list),
                )
                % {"n": len(assignment.attempt_list), "score": percent_text(assignment.best_score)}
            )
    elif state == ReportState.FAILED:
        lines.append(
            ngettext(
                "All allowed attempts were used without reaching the pass mark (%(n)d attempt, best score %(score)s).",
                "All allowed attempts were used without reaching the pass mark (%(n)d attempts, best score %(score)s).",
                len(assignment.attempt_list),
            )
            % {"n": len(assignment.attempt_list), "score": percent_text(assignment.best_score)}
        )
        if assignment.retake_deadline:
            lines.append(_("Retake deadline: %(day)s.") % {"day": day_text(assignment.retake_deadline)})
    elif state == ReportState.EXPIRED:
        lines.append(_("The certificate expired on %(day)s.") % {"day": day_text(assignment.report_expires_on)})
    elif state == ReportState.EXEMPT:
        lines.append(_("An exemption covers this course on %(day)s: counted as excused.") % {"day": day_text(day)})
    else:
        return lines
    escalations = [e for e in assignment.case_events if e.kind in _ESCALATION_KINDS]
    if escalations:
        latest = escalations[0]
        lines.append(
            _("Case file: %(what)s on %(when)s%(why)s.")
            % {
                "what": latest.get_kind_display()
                + (" " + _("(level %(level)s)") % {"level": latest.level} if latest.level else ""),
                "when": day_text(latest.occurred_at),
                # A reason is a sentence that may end with its own full stop; this line adds one.
                # It is the case file's record, written in English: shown on English pages only
                # (as on the notification pages), never as English inside a French sentence.
                "why": f": {latest.reason.rstrip('.')}" if latest.reason and _english() else "",
            }
        )
    return lines


_ESCALATION_KINDS = {
    EscalationEvent.Kind.ESCALATED,
    EscalationEvent.Kind.WARNING_LETTER,
    EscalationEvent.Kind.ATTEMPTS_EXHAUSTED,
    EscalationEvent.Kind.ATTEMPT_FAILED,
    EscalationEvent.Kind.MANAGER_TOLD,
    EscalationEvent.Kind.REVIEW_BOOKED,
    EscalationEvent.Kind.REMINDED,
    EscalationEvent.Kind.EXEMPTED,
}


def _english() -> bool:
    return (get_language() or "en").split("-")[0] == "en"
