"""Writes of course reviews. The rules, in plain words:

- only the learner whose completion it is reviews it, once per completion (the one-to-one column
  is the backstop when two submissions race: the second gets ``AlreadyReviewed``, never an error);
- a question named as unclear must be one of the quizzes' questions of the course version completed;
- the author may change the review while it awaits moderation; once an admin approved or hid its
  comments it is locked (changing an approved comment would publish text nobody checked);
- a moderation decision records who decided and when, on the row and in the audit trail.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments.course_reviews.models import COMMENT_MAX_LENGTH, CourseReview
from assignments.models import Completion
from courses.models import Question
from lms.audit import audit_record

AUDIT_LABEL = "course_reviews.coursereview"


class AlreadyReviewed(ValidationError):
    """The completion has a review already (a second tab, a double click)."""


def _check_lengths(*, useful: str, unclear: str) -> None:
    errors = {
        name: _("At most %(limit)d characters (it has %(n)d).") % {"limit": COMMENT_MAX_LENGTH, "n": len(text)}
        for name, text in (("useful", useful), ("unclear", unclear))
        if len(text) > COMMENT_MAX_LENGTH
    }
    if errors:
        raise ValidationError(errors)


def _check_question(*, completion: Completion, question: Question | None) -> None:
    if question is not None and question.quiz.course_id != completion.course_id:
        raise ValidationError({"unclear_question": _("Choose a question from this course's quizzes.")})


def course_review_submit(
    *,
    completion: Completion,
    learner,
    rating: int,
    useful: str = "",
    unclear: str = "",
    unclear_question: Question | None = None,
) -> CourseReview:
    if completion.learner_id != learner.pk:
        raise ValidationError(_("Only the person who completed a course can review it."))
    _check_lengths(useful=useful.strip(), unclear=unclear.strip())
    _check_question(completion=completion, question=unclear_question)
    review = CourseReview(
        completion=completion,
        learner=learner,
        course_id=completion.course_id,
        course_code=completion.course_code,
        course_version=completion.course_version,
        rating=rating,
        useful=useful.strip(),
        unclear=unclear.strip(),
        unclear_question=unclear_question,
    )
    if CourseReview.objects.filter(completion=completion).exists():
        raise AlreadyReviewed(_("You have already reviewed this course for this completion."))
    review.full_clean(exclude=["completion"])
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as error:
        # The other submission won the race between the check and the insert.
        if CourseReview.objects.filter(completion=completion).exists():
            raise AlreadyReviewed(_("You have already reviewed this course for this completion.")) from error
        raise
    return review


@transaction.atomic
def course_review_update(
    *,
    review: CourseReview,
    learner,
    rating: int,
    useful: str = "",
    unclear: str = "",
    unclear_question: Question | None = None,
) -> CourseReview:
    locked = CourseReview.objects.select_for_update().select_related("completion").get(pk=review.pk)
    if locked.learner_id != learner.pk:
        raise ValidationError(_("Only the author of a review can change it."))
    if not locked.is_editable:
        raise ValidationError(_("This review has been moderated and can no longer be changed."))
    _check_lengths(useful=useful.strip(), unclear=unclear.strip())
    _check_question(completion=locked.completion, question=unclear_question)
    locked.rating = rating
    locked.useful = useful.strip()
    locked.unclear = unclear.strip()
    locked.unclear_question = unclear_question
    locked.full_clean(exclude=["completion"])
    locked.save()
    return locked


@transaction.atomic
def course_review_moderate(*, review: CourseReview, moderator, status: str) -> CourseReview:
    """Approve or hide a review's comments (a decision can be changed; never back to pending)."""
    if status not in (CourseReview.Status.APPROVED, CourseReview.Status.HIDDEN):
        raise ValidationError(_("Choose approve or hide."))
    if not getattr(moderator, "is_admin", False):
        raise ValidationError(_("Only an admin can moderate reviews."))
    locked = CourseReview.objects.select_for_update().get(pk=review.pk)
    if locked.status == status:
        return locked
    before = locked.status
    locked.status = status
    locked.moderated_by = moderator
    locked.moderated_at = timezone.now()
    locked.save(update_fields=["status", "moderated_by", "moderated_at", "updated_at"])
    audit_record(
        actor=moderator,
        action="change",
        obj_label=AUDIT_LABEL,
        obj_id=locked.pk,
        changes={"status": (before, status)},
        at=locked.moderated_at,
    )
    return locked
