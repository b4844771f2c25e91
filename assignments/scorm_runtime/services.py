"""Storing what SCORM content commits, and turning a finished package into an Attempt.

Rules, all applied here under the assignment's row lock (the same lock the attempt services take,
so a commit and a native attempt for one learner and course never interleave):

- A commit is checked in full first (``datamodel.clean_commit``): a bad element refuses the whole
  commit and nothing is written.
- A commit on an archived or completed assignment, for a run that is already closed (a replay, a
  second tab), or while the attempt policy refuses a new try (attempts used up, cooldown) records
  nothing: ``CommitResult.recorded`` is False and says why.
- A replayed commit writes the same values again: values are replaced, the session's time is
  replaced (per session id) rather than added, interactions are kept one per identifier.
- When every SCO of the package is done in the current run: the package's module counts as worked
  through (ModuleProgress), and, when the package grades its course, one submitted Attempt on the
  package's quiz is recorded, numbered like native attempts and counted against the allowance, with
  the same consequences as ``attempt_submit`` (Completion and certificate on a pass, the
  ``attempt_failed`` and ``attempts_exhausted`` signals on a fail). The run's rows then point at
  that attempt, and the next launch starts a fresh run.

Success: when the package reports a score, the package's score (the mean of its SCOs' scores) against
the quiz's pass mark decides (the pass mark comes from the mastery score unless an admin changed
it); without a score, the SCOs' own statuses decide (any SCO failed: failed). Each SCO's status is
first settled as the spec says: in 1.2 a mastery score and a raw score make the LMS decide
passed/failed; in 2004 a scaled passing score and a scaled score decide success, a completion
threshold and a progress measure decide completion.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments import signals
from assignments.models import Assignment, Attempt, Completion
from assignments.scorm_runtime.datamodel import CleanCommit, clean_commit
from assignments.scorm_runtime.models import ScormInteraction, ScormState
from assignments.services.attempts import attempt_allowance, quiz_name
from assignments.services.completions import completion_create_from_attempt, emit_on_commit
from assignments.services.progress import module_progress_complete
from courses.models import Quiz
from courses.scorm.models import ScormItem, ScormPackage
from lms.audit import audit_record, label_of
from lms.models import AuditEntry
from lms.scores import score_cut

_SESSION_ID = re.compile(r"^[0-9a-fA-F-]{8,36}$")
# A browser session counts at most this long (a tab left open over a weekend is not training time).
MAX_SESSION_SECONDS = Decimal(12 * 3600)
# Sessions kept one by one; older ones are folded into one sum.
MAX_SESSIONS_KEPT = 200
EARLIER_SESSIONS = "earlier"


@dataclass
class CommitResult:
    recorded: bool
    reason: str = ""
    state: ScormState | None = None
    finished: bool = False  # every SCO of the package is done in this run
    attempt: Attempt | None = None
    completion: Completion | None = None
    exhausted: bool = False


def current_run(*, assignment: Assignment, package: ScormPackage) -> int:
    """The run a launch plays now: one more than the attempts the package has recorded (a package
    that does not grade its course has one run)."""
    if package.quiz_id is None:
        return 1
    return Attempt.objects.filter(assignment_id=assignment.pk, quiz_id=package.quiz_id).count() + 1


def refusal_of(*, assignment: Assignment, package: ScormPackage, now: dt.datetime) -> str:
    """Why this learner's content may be shown but records nothing; empty when it records."""
    if assignment.archived_at is not None:
        return _("This assignment has been archived; it is kept only as a record. Nothing you do here is recorded.")
    if assignment.status == Assignment.Status.COMPLETED:
        return _("You have completed this course. You can review it; nothing you do here is recorded.")
    if package.quiz_id is not None:
        reason = attempt_allowance(assignment, package.quiz, now=now).blocked_reason
        if reason:
            return reason
    return ""


def _decimal(value: str | None) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(value)


def _percent(raw: Decimal | None, low: Decimal | None, high: Decimal | None) -> Decimal | None:
    if raw is None:
        return None
    if high is not None and low is not None and high > low and (low, high) != (0, 100):
        raw = (raw - low) * 100 / (high - low)
    return score_cut(min(max(raw, Decimal(0)), Decimal(100)))


def _settle_12(state: ScormState, item: ScormItem, package: ScormPackage) -> None:
    cmi = state.cmi
    status = cmi.get("cmi.core.lesson_status", "")
    raw = _decimal(cmi.get("cmi.core.score.raw"))
    state.score = _percent(raw, _decimal(cmi.get("cmi.core.score.min")), _decimal(cmi.get("cmi.core.score.max")))
    finished = status in ("completed", "passed", "failed")
    state.completion = (
        ScormState.Completion.COMPLETED
        if finished
        else ScormState.Completion.INCOMPLETE
        if status in ("incomplete", "browsed")
        else ScormState.Completion.NOT_ATTEMPTED
    )
    state.success = {"passed": ScormState.Success.PASSED, "failed": ScormState.Success.FAILED}.get(
        status, ScormState.Success.UNKNOWN
    )
    mastery = item.mastery_score if item.mastery_score is not None else package.mastery_score
    # SCORM 1.2 RTE 3.4.2: with a mastery score, the LMS sets passed or failed from the raw score.
    if finished and mastery is not None and raw is not None:
        state.success = ScormState.Success.PASSED if raw >= mastery else ScormState.Success.FAILED


def _settle_2004(state: ScormState, item: ScormItem, package: ScormPackage) -> None:
    cmi = state.cmi
    scaled = _decimal(cmi.get("cmi.score.scaled"))
    raw = _decimal(cmi.get("cmi.score.raw"))
    if scaled is not None:
        state.score = score_cut(max(scaled, Decimal(0)) * 100)
    else:
        low, high = _decimal(cmi.get("cmi.score.min")), _decimal(cmi.get("cmi.score.max"))
        state.score = _percent(raw, low if low is not None else Decimal(0), high if high is not None else Decimal(100))
    completion = cmi.get("cmi.completion_status", "unknown")
    progress = _decimal(cmi.get("cmi.progress_measure"))
    # RTE 4.2.4.1: a completion threshold and a progress measure decide completion.
    if item.completion_threshold is not None and progress is not None:
        completion = "completed" if progress >= item.completion_threshold else "incomplete"
    state.completion = completion if completion in ScormState.Completion.values else ScormState.Completion.UNKNOWN
    success = cmi.get("cmi.success_status", "unknown")
    passing = item.scaled_passing_score
    if passing is None and package.mastery_score is not None:
        passing = package.mastery_score / 100
    # RTE 4.2.22: a scaled passing score and a scaled score decide success.
    if passing is not None and scaled is not None:
        success = "passed" if scaled >= passing else "failed"
    state.success = success if success in ScormState.Success.values else ScormState.Success.UNKNOWN


def _apply(state: ScormState, clean: CleanCommit, *, version_12: bool, session: str, elapsed: Decimal) -> None:
    state.cmi = {**state.cmi, **clean.values}
    location_key = "cmi.core.lesson_location" if version_12 else "cmi.location"
    exit_key = "cmi.core.exit" if version_12 else "cmi.exit"
    state.location = state.cmi.get(location_key, "")
    state.suspend_data = state.cmi.pop("cmi.suspend_data", state.suspend_data)
    state.exit = state.cmi.get(exit_key, "")
    seconds = clean.session_seconds if clean.session_seconds is not None else elapsed
    seconds = min(max(seconds, Decimal(0)), MAX_SESSION_SECONDS).quantize(Decimal("0.01"))
    sessions = dict(state.session_seconds)
    if session not in sessions and len(sessions) >= MAX_SESSIONS_KEPT:
        sessions = {EARLIER_SESSIONS: str(sum(Decimal(v) for v in sessions.values()))}
    sessions[session] = str(seconds)
    state.session_seconds = sessions
    state.total_seconds = sum((Decimal(v) for v in sessions.values()), Decimal(0))


def _store_interactions(state: ScormState, clean: CleanCommit, *, version_12: bool) -> None:
    if not clean.interactions:
        return
    existing = {row.identifier: row for row in state.interactions.all()}
    position = max((row.position for row in existing.values()), default=-1)
    response_key = "student_response" if version_12 else "learner_response"
    time_key = "time" if version_12 else "timestamp"
    new, changed = [], []
    for index in sorted(clean.interactions):
        values = clean.interactions[index]
        identifier = values["id"]
        row = existing.get(identifier)
        if row is None:
            position += 1
            row = ScormInteraction(state=state, identifier=identifier, position=position)
            existing[identifier] = row
            new.append(row)
        elif row not in changed:
            changed.append(row)
        row.kind = values.get("type", row.kind)
        row.description = values.get("description", row.description)
        row.learner_response = values.get(response_key, row.learner_response)
        row.result = values.get("result", row.result)
        row.is_correct = {"correct": True, "wrong": False, "incorrect": False}.get(row.result)
        row.weighting = values.get("weighting", row.weighting)
        row.latency = values.get("latency", row.latency)
        row.timestamp = values.get(time_key, row.timestamp)
    ScormInteraction.objects.bulk_create([row for row in new if row.pk is None])
    fields = ["kind", "description", "learner_response", "result", "is_correct", "weighting", "latency", "timestamp"]
    ScormInteraction.objects.bulk_update([row for row in changed if row.pk], fields + ["updated_at"])


def _lock_assignment(pk: int) -> Assignment:
    # The same lock as assignments.services.attempts: the assignment row, first.
    return Assignment.objects.select_for_update().select_related("course", "learner").get(pk=pk)


def runtime_commit(
    *,
    assignment: Assignment,
    item: ScormItem,
    run: int,
    session: str,
    data: object,
    seq: int = 0,
    elapsed: float | int | str | None = None,
    now: dt.datetime | None = None,
) -> CommitResult:
    """Store what the content of ``item`` committed for ``assignment`` in ``run``.

    Raises ValidationError (nothing written) when the data breaks the SCORM data model.
    """
    now = now or timezone.now()
    package = item.package
    version_12 = not package.is_2004
    if not isinstance(session, str) or not _SESSION_ID.match(session):
        raise ValidationError(_("The session identifier is missing or malformed. Nothing was recorded."))
    try:
        elapsed_seconds = Decimal(str(elapsed or 0))
        if not elapsed_seconds.is_finite():
            raise ValueError
    except (ArithmeticError, ValueError):
        raise ValidationError(_("The elapsed time is not a number. Nothing was recorded."))
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**31:
        raise ValidationError(_("The commit number is not a whole number. Nothing was recorded."))
    if not item.is_sco:
        raise ValidationError(_("This item is not a SCO; it has no run-time data."))
    clean = clean_commit(data, version_12=version_12)
    return _commit(
        assignment_pk=assignment.pk,
        package=package,
        item=item,
        run=run,
        session=session,
        seq=seq,
        clean=clean,
        elapsed=elapsed_seconds,
        version_12=version_12,
        now=now,
    )


@transaction.atomic
def _commit(
    *,
    assignment_pk: int,
    package: ScormPackage,
    item: ScormItem,
    run: int,
    session: str,
    seq: int,
    clean: CleanCommit,
    elapsed: Decimal,
    version_12: bool,
    now: dt.datetime,
) -> CommitResult:
    assignment = _lock_assignment(assignment_pk)
    if package.course_id != assignment.course_id:
        raise ValidationError(_("This package belongs to another course."))
    reason = refusal_of(assignment=assignment, package=package, now=now)
    if reason:
        return CommitResult(recorded=False, reason=reason)
    if run != current_run(assignment=assignment, package=package):
        return CommitResult(
            recorded=False, reason=_("This try has already been recorded; reload the page to start the next one.")
        )
    state, _created = ScormState.objects.get_or_create(
        assignment=assignment, item=item, run=run, defaults={"created_at": now}
    )
    if state.last_session == session and seq < state.last_seq:
        # An older commit of this session arriving after a newer one: the newer one stands.
        return CommitResult(recorded=True, state=state)
    state.last_session, state.last_seq = session, seq
    _apply(state, clean, version_12=version_12, session=session, elapsed=elapsed)
    (_settle_12 if version_12 else _settle_2004)(state, item, package)
    state.committed_at = now
    state.save()
    _store_interactions(state, clean, version_12=version_12)
    if assignment.status == Assignment.Status.ASSIGNED or assignment.status == Assignment.Status.FAILED:
        # A failed assignment comes back into play when extra attempts have been granted (the
        # allowance above let this commit through).
        Assignment.objects.filter(pk=assignment.pk).update(
            status=Assignment.Status.IN_PROGRESS,
            failed_at=None,
            started_at=assignment.started_at or now,
            updated_at=now,
        )
        assignment.status = Assignment.Status.IN_PROGRESS
    result = CommitResult(recorded=True, state=state)
    _finish_if_done(assignment=assignment, package=package, run=run, now=now, result=result)
    return result


def _finish_if_done(
    *, assignment: Assignment, package: ScormPackage, run: int, now: dt.datetime, result: CommitResult
) -> None:
    sco_ids = list(package.items.filter(is_sco=True).values_list("pk", flat=True))
    states = list(ScormState.objects.filter(assignment_id=assignment.pk, item_id__in=sco_ids, run=run))
    if len(states) < len(sco_ids) or not all(state.is_done for state in states):
        return
    result.finished = True
    module_progress_complete(assignment=assignment, module=package.module, now=now)
    if package.quiz_id is None:
        return
    quiz = Quiz.objects.select_related("course").get(pk=package.quiz_id)
    scores = [state.score for state in states if state.score is not None]
    if scores:
        score = score_cut(sum(scores) / len(scores))
        passed = score >= quiz.effective_pass_mark
    else:
        passed = not any(state.success == ScormState.Success.FAILED for state in states)
        score = Decimal("100.00") if passed else Decimal("0.00")
    allowance = attempt_allowance(assignment, quiz, now=now)
    attempt = Attempt.objects.create(
        assignment=assignment,
        quiz=quiz,
        number=allowance.used + 1,
        status=Attempt.Status.SUBMITTED,
        started_at=min(state.created_at for state in states),
        submitted_at=now,
        score=score,
        passed=passed,
        layout=[],
        language=quiz.course.language,  # a package is played as it was bought, in the course's language
    )
    ScormState.objects.filter(pk__in=[state.pk for state in states]).update(attempt=attempt)
    # The learner is the actor of their own attempts.
    audit_record(
        actor=assignment.learner,
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(Attempt),
        obj_id=attempt.pk,
        changes={
            "assignment": [None, assignment.pk],
            "quiz": [None, quiz_name(quiz)],
            "number": [None, attempt.number],
            "status": [None, attempt.status],
            "score": [None, score],
            "passed": [None, passed],
            "source": [None, "scorm"],
        },
        at=now,
    )
    result.attempt = attempt
    attempt.assignment = assignment
    # The same consequences as a native final attempt (assignments.services.attempts.attempt_submit).
    if passed:
        result.completion = completion_create_from_attempt(attempt=attempt)
        return
    emit_on_commit(signals.attempt_failed, attempt=attempt, assignment=assignment)
    if attempt_allowance(assignment, quiz, now=now).exhausted:
        Assignment.objects.filter(pk=assignment.pk).update(
            status=Assignment.Status.FAILED, failed_at=now, updated_at=now
        )
        assignment.status = Assignment.Status.FAILED
        assignment.failed_at = now
        result.exhausted = True
        emit_on_commit(signals.attempts_exhausted, assignment=assignment, attempt=attempt)
