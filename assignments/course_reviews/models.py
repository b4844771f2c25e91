"""A learner's review of a course they completed: one per completion (the completion is the proof
that they took it), a rating from 1 to 5 and two optional comments.

The rating is the learner's number and counts in every figure from the moment it is given; the
comments (and the question named as unclear) are moderated: nobody but their author sees them
until an admin approves them, and a hidden comment is seen only on the moderation page. A review
can be changed by its author while it awaits moderation; once an admin has decided, it is locked,
so an approved comment cannot be swapped for another one afterwards.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStampedModel

COMMENT_MAX_LENGTH = 2000
RATINGS = (1, 2, 3, 4, 5)


class CourseReview(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting moderation")
        APPROVED = "approved", _("Approved")
        HIDDEN = "hidden", _("Hidden")

    # PROTECT: completions are never deleted; the review is about that evidence.
    completion = models.OneToOneField(
        "assignments.Completion", on_delete=models.PROTECT, related_name="course_review", verbose_name=_("completion")
    )
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_reviews")
    # The course version completed (copied from the completion, with its code and version number,
    # so that the figures per course and per version need no join).
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="reviews")
    course_code = models.CharField(max_length=40, editable=False)
    course_version = models.PositiveIntegerField(editable=False)
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(RATINGS[0]), MaxValueValidator(RATINGS[-1])]
    )
    useful = models.TextField(_("what was useful"), max_length=COMMENT_MAX_LENGTH, blank=True)
    unclear = models.TextField(_("what was unclear"), max_length=COMMENT_MAX_LENGTH, blank=True)
    # SET_NULL: a question removed from a draft version takes the pointer, never the review.
    unclear_question = models.ForeignKey(
        "courses.Question",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("unclear question"),
    )
    status = models.CharField(_("comments"), max_length=10, choices=Status.choices, default=Status.PENDING)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("course review")
        verbose_name_plural = _("course reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=RATINGS[0]) & Q(rating__lte=RATINGS[-1]),
                name="course_review_rating_1_to_5",
                violation_error_message=_("A rating is from 1 to 5."),
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("useful"), COMMENT_MAX_LENGTH),
                name="course_review_useful_length",
                violation_error_message=_("A comment is at most 2000 characters."),
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("unclear"), COMMENT_MAX_LENGTH),
                name="course_review_unclear_length",
                violation_error_message=_("A comment is at most 2000 characters."),
            ),
            # Moderated means decided by someone at some time (the audit trail has the history).
            models.CheckConstraint(
                condition=(Q(status="pending") & Q(moderated_at__isnull=True) & Q(moderated_by__isnull=True))
                | (~Q(status="pending") & Q(moderated_at__isnull=False) & Q(moderated_by__isnull=False)),
                name="course_review_moderated_by_someone",
                violation_error_message=_("A moderated review records who decided and when; a pending one neither."),
            ),
        ]
        indexes = [
            # The figures per course and per version (assignments.course_reviews.selectors).
            models.Index(fields=["course_code", "course_version"], name="course_review_code_version_idx"),
            # The moderation queue: comments awaiting a decision, oldest first.
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="course_review_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.course_code} v{self.course_version} · {self.rating}/5"

    @property
    def has_comment(self) -> bool:
        return bool(self.useful or self.unclear or self.unclear_question_id)

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.PENDING
