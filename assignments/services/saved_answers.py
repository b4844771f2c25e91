"""Answers saved as a learner chooses them, so an open attempt left and resumed keeps them.

The rules, checked under the assignment's row lock (the one lock of attempts.py, so a save and a
submission of the same attempt run one after the other and no save lands after the submission):

- only an open attempt takes answers: a submitted attempt, or one whose assignment has been
  archived (it can no longer be submitted), refuses them;
- an answer names a question the attempt presented and only choices that attempt presented for
  that question, one choice for a single-choice or true/false question;
- an empty choice list takes the saved answer away (every box of a question unticked).

Nothing here says whether an answer is right: saving reveals nothing before the submission.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assignments.models import Attempt, SavedAnswer
from assignments.services.attempts import _lock_assignment
from courses.models import Question

__all__ = ["AttemptClosed", "attempt_answer_save"]


class AttemptClosed(ValidationError):
    """The attempt no longer takes answers (submitted, or its assignment archived)."""


@transaction.atomic
def attempt_answer_save(*, attempt: Attempt, question_id: int, choice_ids: Iterable[int]) -> SavedAnswer | None:
    """Save the learner's current choice for one question of ``attempt`` (None when cleared)."""
    assignment = _lock_assignment(attempt.assignment_id)
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status == Attempt.Status.SUBMITTED:
        raise AttemptClosed(_("This attempt has been submitted; its answers can no longer change."), code="submitted")
    if assignment.archived_at is not None:
        raise AttemptClosed(
            _("This assignment has been archived; the attempt can no longer be answered."), code="archived"
        )
    presented = {entry["q"]: entry["c"] for entry in attempt.layout}
    if question_id not in presented:
        raise ValidationError(_("This question is not part of this attempt."), code="question")
    chosen = set(choice_ids)
    if not chosen <= set(presented[question_id]):
        raise ValidationError(_("This answer names a choice that does not belong to its question."), code="choice")
    kind = Question.objects.filter(pk=question_id).values_list("kind", flat=True).first()
    if kind is None:
        raise ValidationError(_("This question is not part of this attempt."), code="question")
    if kind != Question.Kind.MULTIPLE and len(chosen) > 1:
        raise ValidationError(_("Choose only one answer for this question."), code="single")
    if not chosen:
        SavedAnswer.objects.filter(attempt_id=attempt.pk, question_id=question_id).delete()
        return None
    # Kept in the order the attempt presented the choices.
    ordered = [pk for pk in presented[question_id] if pk in chosen]
    saved, _created = SavedAnswer.objects.update_or_create(
        attempt_id=attempt.pk, question_id=question_id, defaults={"choice_ids": ordered}
    )
    return saved
