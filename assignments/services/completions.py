"""Completions: the immutable evidence that a learner passed a course.

A completion is created once, here, and never changed: from a passed final attempt
(``completion_create_from_attempt``) or from history imported from another system
(``completion_record``). The domain events of the attempt and completion services are sent from
``emit_on_commit`` in this module, only once the write that caused them has committed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments import signals
from assignments.evidence import new_certificate_number, new_verification_code
from assignments.models import Assignment, Attempt, Completion
from courses.models import Course, Quiz
from courses.rules import compute_expiry
from lms.audit import audit_record, label_of, snapshot
from lms.models import AuditEntry

# What a completion's audit entry records (the evidence itself, never changed afterwards).
AUDITED_FIELDS = [
    "learner",
    "course_code",
    "course_version",
    "assignment",
    "attempt",
    "completed_at",
    "score",
    "certificate_number",
    "expires_on",
    "source",
]


def completion_audit_changes(completion: Completion) -> dict[str, list]:
    return {name: [None, value] for name, value in snapshot(completion, AUDITED_FIELDS).items()}


# A random 32-bit suffix colliding twice in a row on the same day and course is not a real event;
# the loop bound only keeps a broken generator from spinning forever.
_MAX_NUMBER_TRIES = 5


def emit_on_commit(signal: Signal, **kwargs) -> None:
    """The one place the attempt and completion services send domain events: after commit, so a
    listener never sees a write that was rolled back. The sender is the model the event is about."""
    sender = Completion if signal is signals.course_completed else Attempt
    transaction.on_commit(lambda: signal.send(sender=sender, **kwargs))


def _new_certificate_identity(course_code: str, completed_on: dt.date) -> tuple[str, str]:
    """An unused certificate number and the verification code it carries (assignments.evidence)."""
    for _try in range(_MAX_NUMBER_TRIES):
        code = new_verification_code()
        number = new_certificate_number(course_code=course_code, completed_at=completed_on, verification_code=code)
        if not Completion.objects.filter(certificate_number=number).exists():
            return number, code
    raise RuntimeError("Could not draw an unused certificate number.")


def _previous_expiry(*, learner_id: int, course_code: str, before: dt.datetime) -> dt.date | None:
    return (
        Completion.objects.filter(learner_id=learner_id, course_code=course_code, completed_at__lt=before)
        .exclude(expires_on=None)
        .order_by("-completed_at", "-pk")
        .values_list("expires_on", flat=True)
        .first()
    )


@transaction.atomic
def completion_record(
    *,
    learner,
    course: Course,
    completed_at: dt.datetime,
    score: Decimal | int | float | None,
    source: str = Completion.Source.EARNED,
    certificate_number: str | None = None,
    assignment: Assignment | None = None,
    attempt: Attempt | None = None,
    attested_at: dt.datetime | None = None,
    actor=None,
) -> Completion:
    """Record that ``learner`` passed ``course`` at ``completed_at``.

    The expiry follows the course's rule from the learner's previous completion of the same course
    code; the certificate number is drawn when not given (imports bring their own). Marks the
    assignment completed and sends ``course_completed`` after commit.
    """
    if timezone.is_naive(completed_at):
        raise ValidationError({"completed_at": _("The completion time needs a time zone.")})
    if score is not None and not (0 <= Decimal(str(score)) <= 100):
        raise ValidationError({"score": _("The score must be between 0 and 100.")})
    if assignment is not None and (assignment.learner_id != learner.pk or assignment.course_code != course.code):
        raise ValidationError(_("The assignment belongs to another learner or course."))
    if certificate_number:
        certificate_number = certificate_number.strip()
        if Completion.objects.filter(certificate_number=certificate_number).exists():
            raise ValidationError(
                {
                    "certificate_number": _("Certificate number %(number)s is already recorded.")
                    % {"number": certificate_number}
                }
            )
    completed_on = timezone.localdate(completed_at, timezone=learner.tzinfo)
    # A number brought along (imported history) keeps its own, separate code.
    generated_number, code = (
        (None, new_verification_code()) if certificate_number else _new_certificate_identity(course.code, completed_on)
    )
    previous = _previous_expiry(learner_id=learner.pk, course_code=course.code, before=completed_at)
    completion = Completion(
        learner=learner,
        course=course,
        course_code=course.code,
        course_version=course.version,
        assignment=assignment,
        attempt=attempt,
        completed_at=completed_at,
        score=None if score is None else Decimal(str(score)).quantize(Decimal("0.01")),
        certificate_number=certificate_number or generated_number,
        verification_code=code,
        expires_on=compute_expiry(course=course, completed_on=completed_on, previous_expiry=previous),
        source=source,
        attested_at=attested_at,
        cpd_points=course.cpd_points,
    )
    completion.full_clean(exclude=["learner", "course", "assignment", "attempt"])
    completion.save()
    audit_record(
        # An earned completion's actor is the learner who passed; a recorded one, whoever recorded it.
        actor=actor or (learner if attempt is not None else None),
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(Completion),
        obj_id=completion.pk,
        changes=completion_audit_changes(completion),
    )
    if assignment is not None:
        Assignment.objects.filter(pk=assignment.pk).update(
            status=Assignment.Status.COMPLETED, completed_at=completed_at, updated_at=timezone.now()
        )
        assignment.status = Assignment.Status.COMPLETED
        assignment.completed_at = completed_at
    emit_on_commit(signals.course_completed, completion=completion, assignment=assignment)
    return completion


def assignment_grade(*, assignment: Assignment, quiz: Quiz) -> Decimal | None:
    """The grade of an assignment on ``quiz`` under the course's grading method: the highest or
    the last submitted score; None before any submission."""
    scores = list(
        Attempt.objects.filter(assignment_id=assignment.pk, quiz_id=quiz.pk, status=Attempt.Status.SUBMITTED)
        .order_by("number")
        .values_list("score", flat=True)
    )
    if not scores:
        return None
    if assignment.course.grading_method == Course.GradingMethod.LAST:
        return scores[-1]
    return max(scores)


@transaction.atomic
def completion_create_from_attempt(*, attempt: Attempt) -> Completion:
    """The completion earned by a passed final attempt. Idempotent: an assignment has at most
    one completion (also a database constraint), so a second call returns the first one."""
    existing = Completion.objects.filter(assignment_id=attempt.assignment_id).first()
    if existing is not None:
        return existing
    if attempt.status != Attempt.Status.SUBMITTED or not attempt.passed:
        raise ValidationError(_("Only a passed, submitted attempt earns a completion."))
    if attempt.quiz.kind != Quiz.Kind.FINAL:
        raise ValidationError(_("Only the final assessment completes a course."))
    assignment = attempt.assignment
    return completion_record(
        learner=assignment.learner,
        course=assignment.course,
        completed_at=attempt.submitted_at,
        score=assignment_grade(assignment=assignment, quiz=attempt.quiz),
        source=Completion.Source.EARNED,
        assignment=assignment,
        attempt=attempt,
        attested_at=attempt.attested_at,
    )
