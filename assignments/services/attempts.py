"""Quiz attempts: start, submit, score, and the attempt policy of a course.

Integrity rules, all enforced here under a row lock on the assignment (``_lock_assignment``):

- a learner never has more attempts at the final assessment than the course allows
  (``Course.max_attempts`` + ``Assignment.extra_attempts``; empty max = unlimited), and never
  starts one before the cooldown has passed;
- an attempt is scored once: a second submission (two tabs, a replayed POST) returns the first
  result and records nothing;
- answers must name choices of the questions the attempt presented, or nothing is recorded;
- the final assessment of a compliance-critical course needs the learner's password as an
  attestation; a wrong one records nothing.

The diagnostic pre-test is taken once, before the first final attempt; passing it tests the
learner out of the modules its questions cover. Module checks are practice: unlimited, no cooldown.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments import signals
from assignments.models import Assignment, Attempt, AttemptAnswer, Completion, SavedAnswer
from assignments.services.completions import assignment_grade, completion_create_from_attempt, emit_on_commit
from courses.models import Choice, Course, Question, Quiz
from lms.audit import audit_record, label_of
from lms.dates import moment_text
from lms.models import AuditEntry
from lms.scores import score_cut

_shuffler = random.SystemRandom()


@dataclass(frozen=True)
class Allowance:
    """Where a learner stands against the attempt policy for one quiz of one assignment."""

    used: int
    allowed: int | None  # None: unlimited
    next_allowed_at: dt.datetime | None  # set while a cooldown is running
    in_progress_id: int | None = None
    blocked_reason: str = ""  # a sentence for the learner when they cannot start

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(self.allowed - self.used, 0)

    @property
    def unlimited(self) -> bool:
        return self.allowed is None

    @property
    def exhausted(self) -> bool:
        return self.allowed is not None and self.used >= self.allowed

    @property
    def can_start(self) -> bool:
        return self.in_progress_id is not None or not self.blocked_reason


@dataclass
class SubmitResult:
    attempt: Attempt
    already_submitted: bool = False
    completion: Completion | None = None
    exhausted: bool = False
    tested_out_module_ids: list[int] = field(default_factory=list)


__all__ = [
    "Allowance",
    "SubmitResult",
    "allowance_from_rows",
    "assignment_grade",
    "attempt_allowance",
    "attempt_start",
    "attempt_submit",
    "attempts_allowed",
    "cooldown_for",
]


def attempts_allowed(*, assignment: Assignment, quiz: Quiz) -> int | None:
    """How many attempts the policy allows at ``quiz``: None for unlimited."""
    if quiz.kind == Quiz.Kind.PRETEST:
        return 1
    if quiz.kind == Quiz.Kind.MODULE_CHECK:
        return None
    course = assignment.course
    if course.max_attempts is None:
        return None
    return course.max_attempts + assignment.extra_attempts


def cooldown_for(*, course: Course, submitted_count: int) -> dt.timedelta:
    """The wait before the next attempt after ``submitted_count`` submitted attempts."""
    if submitted_count <= 0:
        return dt.timedelta(0)
    minutes = course.cooldown_first_minutes if submitted_count == 1 else course.cooldown_later_minutes
    return dt.timedelta(minutes=minutes)


def attempt_allowance(assignment: Assignment, quiz: Quiz, *, now: dt.datetime | None = None) -> Allowance:
    """Attempts used and left, when the next may start, and why not if it may not (one or two queries)."""
    now = now or timezone.now()
    rows = list(
        Attempt.objects.filter(assignment_id=assignment.pk, quiz_id=quiz.pk)
        .order_by("number")
        .values("pk", "status", "submitted_at")
    )
    return allowance_from_rows(assignment, quiz, rows, now=now)


def allowance_from_rows(assignment: Assignment, quiz: Quiz, rows: list[dict], *, now: dt.datetime) -> Allowance:
    """``attempt_allowance`` on the attempts at ``quiz`` already read (dicts with ``pk``, ``status``
    and ``submitted_at``, by number), so a page of assignments reads all their attempts in one query.
    ``assignment.course`` and ``assignment.learner`` should be loaded (a pre-test asks one query)."""
    submitted = [row for row in rows if row["status"] == Attempt.Status.SUBMITTED]
    in_progress = next((row["pk"] for row in rows if row["status"] == Attempt.Status.IN_PROGRESS), None)
    allowed = attempts_allowed(assignment=assignment, quiz=quiz)
    next_allowed_at = None
    if submitted and quiz.kind == Quiz.Kind.FINAL:
        ready_at = submitted[-1]["submitted_at"] + cooldown_for(
            course=assignment.course, submitted_count=len(submitted)
        )
        if ready_at > now:
            next_allowed_at = ready_at
    reason = ""
    if assignment.archived_at is not None:
        reason = _("This assignment has been archived; it is kept only as a record.")
    elif assignment.status == Assignment.Status.COMPLETED and quiz.kind != Quiz.Kind.MODULE_CHECK:
        reason = _("You have completed this course. You can review its modules and resources at any time.")
    elif allowed is not None and len(rows) >= allowed:
        if quiz.kind == Quiz.Kind.PRETEST:
            reason = _("The pre-test can be taken only once.")
        else:
            reason = _("You have used all your attempts at this assessment.")
    elif (
        quiz.kind == Quiz.Kind.PRETEST
        and Attempt.objects.filter(assignment_id=assignment.pk, quiz__kind=Quiz.Kind.FINAL).exists()
    ):
        reason = _("The pre-test is only available before your first attempt at the final assessment.")
    elif next_allowed_at is not None:
        when = moment_text(next_allowed_at, assignment.learner.tzinfo)
        reason = _("You can retake the assessment from %(when)s.") % {"when": when}
    return Allowance(
        used=len(rows),
        allowed=allowed,
        next_allowed_at=next_allowed_at,
        in_progress_id=in_progress,
        blocked_reason=reason,
    )


def quiz_name(quiz: Quiz) -> str:
    """A quiz as people read it: its title, with its kind when the title does not say it."""
    kind = str(quiz.get_kind_display())
    return quiz.title if quiz.title.casefold() == kind.casefold() else f"{kind} · {quiz.title}"


def _lock_assignment(pk: int) -> Assignment:
    """The single row lock of this module: every attempt write locks its assignment first, so
    concurrent starts and submits for one learner and course run one after the other."""
    return Assignment.objects.select_for_update().select_related("course", "learner").get(pk=pk)


def _missed_question_ids(previous: Attempt) -> list[int]:
    """Questions missed in ``previous``: answered wrong or left unanswered among those it asked."""
    asked = [entry["q"] for entry in previous.layout]
    right = set(previous.answers.filter(is_correct=True).values_list("question_id", flat=True))
    return [pk for pk in asked if pk not in right]


def _build_layout(*, quiz: Quiz, question_ids: Iterable[int] | None) -> list[dict]:
    questions = quiz.questions.order_by("order", "pk")
    if question_ids is not None:
        questions = questions.filter(pk__in=list(question_ids))
    choices_by_question: dict[int, list[int]] = {}
    for question_id, choice_id in (
        Choice.objects.filter(question__in=questions).order_by("order", "pk").values_list("question_id", "pk")
    ):
        choices_by_question.setdefault(question_id, []).append(choice_id)
    layout = [{"q": pk, "c": choices_by_question.get(pk, [])} for pk in questions.values_list("pk", flat=True)]
    if quiz.shuffle_questions:
        _shuffler.shuffle(layout)
    if quiz.shuffle_choices:
        for entry in layout:
            _shuffler.shuffle(entry["c"])
    return layout


@transaction.atomic
def attempt_start(
    *, assignment: Assignment, quiz: Quiz, now: dt.datetime | None = None, language: str | None = None
) -> Attempt:
    """Start an attempt at ``quiz``, or return the one already in progress.

    ``language`` is the language of the course texts the learner takes it in (the player's
    choice: the course's own or a complete translation); it is recorded on the attempt and
    changes nothing else: the questions, choices and scoring are the same objects in every
    language. Without it, the course's own language.

    Raises ValidationError with a sentence for the learner when the policy refuses (attempts used
    up, cooldown running, course completed, assignment archived).
    """
    now = now or timezone.now()
    assignment = _lock_assignment(assignment.pk)
    if quiz.course_id != assignment.course_id:
        raise ValidationError(_("This quiz belongs to another course."))
    allowance = attempt_allowance(assignment, quiz, now=now)
    if allowance.in_progress_id is not None and assignment.archived_at is None:
        return Attempt.objects.get(pk=allowance.in_progress_id)
    if allowance.blocked_reason:
        raise ValidationError(allowance.blocked_reason, code="attempt_refused")
    if not quiz.questions.exists():
        raise ValidationError(_("This assessment has no questions yet; please tell the training team."))

    previous = (
        Attempt.objects.filter(assignment_id=assignment.pk, quiz_id=quiz.pk, status=Attempt.Status.SUBMITTED)
        .order_by("-number")
        .first()
    )
    # A missed-only retake asks what was missed last time; should nothing be missing (a quiz
    # edited in between), it asks everything rather than nothing.
    question_ids = (_missed_question_ids(previous) or None) if (quiz.retake_missed_only and previous) else None
    attempt = Attempt.objects.create(
        assignment=assignment,
        quiz=quiz,
        number=allowance.used + 1,
        started_at=now,
        layout=_build_layout(quiz=quiz, question_ids=question_ids),
        language=language or Course.objects.filter(pk=quiz.course_id).values_list("language", flat=True).get(),
    )
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
        },
        at=now,
    )
    updates: dict = {"updated_at": now}
    if assignment.status == Assignment.Status.ASSIGNED or (
        # A failed assignment comes back into play when extra attempts at the final have been granted.
        assignment.status == Assignment.Status.FAILED and quiz.kind == Quiz.Kind.FINAL
    ):
        updates.update(status=Assignment.Status.IN_PROGRESS, failed_at=None)
    if assignment.started_at is None:
        updates["started_at"] = now
    Assignment.objects.filter(pk=assignment.pk).update(**updates)
    return attempt


def _clean_answers(attempt: Attempt, answers: Mapping[int | str, Iterable[int | str]]) -> dict[int, set[int]]:
    """Map question id -> selected choice ids, refusing anything the attempt did not present."""
    presented = {entry["q"]: set(entry["c"]) for entry in attempt.layout}
    kinds = dict(Question.objects.filter(pk__in=presented).values_list("pk", "kind"))
    cleaned: dict[int, set[int]] = {}
    for raw_question, raw_choices in answers.items():
        try:
            question_id = int(raw_question)
            choice_ids = {int(choice) for choice in raw_choices}
        except (TypeError, ValueError):
            raise ValidationError(_("The answers could not be read. Please answer the questions again."))
        if question_id not in presented:
            raise ValidationError(_("The answers name a question that is not part of this attempt."))
        if not choice_ids <= presented[question_id]:
            raise ValidationError(
                _("An answer names a choice that does not belong to its question. Nothing was recorded.")
            )
        if kinds[question_id] != Question.Kind.MULTIPLE and len(choice_ids) > 1:
            raise ValidationError(_("Choose only one answer for a single-choice or true/false question."))
        cleaned[question_id] = choice_ids
    return cleaned


def _check_attestation(
    *, attempt: Attempt, assignment: Assignment, password: str | None, reauthenticated: bool = False
) -> bool:
    """True when this submission needs an attestation (and the password was right, or the
    learner, who signs in with single sign-on only, has just signed in again at the identity
    provider: ``reauthenticated``, checked by the caller with ``lms.sso.reauth_fresh``)."""
    if attempt.quiz.kind != Quiz.Kind.FINAL or not assignment.course.compliance_critical:
        return False
    if reauthenticated:
        return True
    if not password or not assignment.learner.check_password(password):
        raise ValidationError(
            {"password": _("That password is not right. Your answers have not been submitted.")},
            code="attestation_refused",
        )
    return True


def _percentage(correct: int, total: int) -> Decimal:
    """The score, cut to two decimals (lms.scores): rounding up would store 79.995 as 80.00 and
    pass it at a pass mark of 80, and show a failing score as the pass mark."""
    if total == 0:
        return Decimal("0.00")
    return score_cut(Decimal(correct) * 100 / Decimal(total))


@transaction.atomic
def attempt_submit(
    *,
    attempt: Attempt,
    answers: Mapping[int | str, Iterable[int | str]],
    attestation_password: str | None = None,
    attestation_reauthenticated: bool = False,
    now: dt.datetime | None = None,
) -> SubmitResult:
    """Score ``attempt`` once and apply its consequences.

    ``answers`` maps question ids to the selected choice ids. Single-choice and true/false
    questions are right when the one correct choice is selected; multiple-choice questions only
    when exactly the set of correct choices is selected. On a missed-only retake the questions
    answered right last time count as right again, so the score is always over the whole quiz.
    """
    now = now or timezone.now()
    assignment = _lock_assignment(attempt.assignment_id)
    attempt = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    if attempt.status == Attempt.Status.SUBMITTED:
        return SubmitResult(
            attempt=attempt,
            already_submitted=True,
            completion=Completion.objects.filter(attempt=attempt).first(),
        )
    if assignment.archived_at is not None:
        raise ValidationError(_("This assignment has been archived; the attempt cannot be submitted."))

    selected = _clean_answers(attempt, answers)
    attested = _check_attestation(
        attempt=attempt,
        assignment=assignment,
        password=attestation_password,
        reauthenticated=attestation_reauthenticated,
    )

    quiz = attempt.quiz
    asked_ids = [entry["q"] for entry in attempt.layout]
    correct_sets: dict[int, set[int]] = {pk: set() for pk in asked_ids}
    for question_id, choice_id in Choice.objects.filter(question_id__in=asked_ids, is_correct=True).values_list(
        "question_id", "pk"
    ):
        correct_sets[question_id].add(choice_id)
    results = {pk: bool(correct_sets[pk]) and selected.get(pk, set()) == correct_sets[pk] for pk in asked_ids}

    total_questions = quiz.questions.count()
    carried = max(total_questions - len(asked_ids), 0)
    score = _percentage(sum(results.values()) + carried, max(total_questions, len(asked_ids)))
    passed = score >= quiz.effective_pass_mark

    rows = AttemptAnswer.objects.bulk_create(
        [AttemptAnswer(attempt=attempt, question_id=pk, is_correct=results[pk]) for pk in asked_ids]
    )
    through = AttemptAnswer.selected.through
    through.objects.bulk_create(
        [
            through(attemptanswer_id=row.pk, choice_id=choice_id)
            for row in rows
            for choice_id in sorted(selected.get(row.question_id, ()))
        ]
    )
    attempt.status = Attempt.Status.SUBMITTED
    attempt.submitted_at = now
    attempt.score = score
    attempt.passed = passed
    attempt.attested_at = now if attested else None
    attempt.save(update_fields=["status", "submitted_at", "score", "passed", "attested_at", "updated_at"])
    # The answers saved while it was open were a draft; what counts is recorded above.
    SavedAnswer.objects.filter(attempt_id=attempt.pk).delete()
    audit_record(
        actor=assignment.learner,
        action=AuditEntry.Action.CHANGE,
        obj_label=label_of(Attempt),
        obj_id=attempt.pk,
        changes={
            "status": [Attempt.Status.IN_PROGRESS, Attempt.Status.SUBMITTED],
            "score": [None, score],
            "passed": [None, passed],
            "attested_at": [None, attempt.attested_at],
        },
        at=now,
    )

    result = SubmitResult(attempt=attempt)
    if quiz.kind == Quiz.Kind.PRETEST:
        if passed:
            from assignments.services.progress import modules_test_out

            result.tested_out_module_ids = modules_test_out(
                assignment=assignment,
                module_ids=Question.objects.filter(quiz=quiz, objective__isnull=False).values_list(
                    "objective_id", flat=True
                ),
                now=now,
            )
        return result
    if quiz.kind != Quiz.Kind.FINAL:
        return result

    attempt.assignment = assignment
    if passed:
        result.completion = completion_create_from_attempt(attempt=attempt)
        return result
    emit_on_commit(signals.attempt_failed, attempt=attempt, assignment=assignment)
    if attempt_allowance(assignment, quiz, now=now).exhausted:
        Assignment.objects.filter(pk=assignment.pk).update(
            status=Assignment.Status.FAILED, failed_at=now, updated_at=now
        )
        assignment.status = Assignment.Status.FAILED
        assignment.failed_at = now
        result.exhausted = True
        emit_on_commit(signals.attempts_exhausted, assignment=assignment, attempt=attempt)
    return result
