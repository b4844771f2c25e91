from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assignments.course_reviews.models import CourseReview
from assignments.course_reviews.services import (
    AlreadyReviewed,
    course_review_moderate,
    course_review_submit,
    course_review_update,
)
from courses.models import Question
from courses.tests.factories import make_course
from lms.models import AuditEntry
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_review_copies_the_course_version_of_the_completion(completion, learner):
    review = course_review_submit(completion=completion, learner=learner, rating=4, useful="  The fire triangle.  ")
    assert (review.course_id, review.course_code, review.course_version) == (completion.course_id, "FIRE-1", 1)
    assert review.useful == "The fire triangle."
    assert review.status == CourseReview.Status.PENDING


def test_one_review_per_completion(completion, learner):
    course_review_submit(completion=completion, learner=learner, rating=4)
    with pytest.raises(AlreadyReviewed):
        course_review_submit(completion=completion, learner=learner, rating=1)
    assert list(CourseReview.objects.values_list("rating", flat=True)) == [4]


def test_the_database_refuses_a_second_review_of_a_completion(completion, learner):
    first = course_review_submit(completion=completion, learner=learner, rating=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseReview.objects.create(
            completion=completion,
            learner=learner,
            course=first.course,
            course_code="FIRE-1",
            course_version=1,
            rating=2,
        )


@pytest.mark.parametrize("rating", [0, 6, -1, 100])
def test_a_rating_outside_1_to_5_is_refused(completion, learner, rating):
    with pytest.raises(ValidationError) as error:
        course_review_submit(completion=completion, learner=learner, rating=rating)
    assert "rating" in error.value.message_dict
    assert not CourseReview.objects.exists()


@pytest.mark.parametrize("rating", [0, 6])
def test_the_database_refuses_a_rating_outside_1_to_5(completion, learner, rating):
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseReview.objects.create(
            completion=completion,
            learner=learner,
            course=completion.course,
            course_code="FIRE-1",
            course_version=1,
            rating=rating,
        )


def test_the_database_refuses_a_comment_over_2000_characters(completion, learner):
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseReview.objects.create(
            completion=completion,
            learner=learner,
            course=completion.course,
            course_code="FIRE-1",
            course_version=1,
            rating=3,
            unclear="x" * 2001,
        )


def test_a_huge_comment_is_refused_by_the_service(completion, learner):
    with pytest.raises(ValidationError) as error:
        course_review_submit(completion=completion, learner=learner, rating=3, useful="x" * 100_000)
    assert "useful" in error.value.message_dict
    assert not CourseReview.objects.exists()


def test_only_the_learner_who_completed_reviews(completion):
    with pytest.raises(ValidationError):
        course_review_submit(completion=completion, learner=UserFactory(), rating=5)
    assert not CourseReview.objects.exists()


def test_the_unclear_question_must_belong_to_the_version_completed(completion, learner):
    other = Question.objects.filter(quiz__course=make_course(code="GDPR-1")).first()
    with pytest.raises(ValidationError) as error:
        course_review_submit(completion=completion, learner=learner, rating=3, unclear_question=other)
    assert "unclear_question" in error.value.message_dict


def test_the_author_changes_a_pending_review(completion, learner):
    review = course_review_submit(completion=completion, learner=learner, rating=2)
    course_review_update(review=review, learner=learner, rating=5, useful="Better on reflection.")
    review.refresh_from_db()
    assert (review.rating, review.useful, review.status) == (5, "Better on reflection.", "pending")


def test_a_moderated_review_is_locked(completion, learner, admin):
    """Replays openedx/course-discovery#781 (edits after approval skipped review): an approved
    comment cannot be changed afterwards, so nothing unchecked is ever shown."""
    review = course_review_submit(completion=completion, learner=learner, rating=4, useful="Good.")
    course_review_moderate(review=review, moderator=admin, status="approved")
    with pytest.raises(ValidationError):
        course_review_update(review=review, learner=learner, rating=1, useful="<a href='http://spam'>cheap</a>")
    review.refresh_from_db()
    assert (review.rating, review.useful) == (4, "Good.")


def test_moderation_records_who_and_when_in_the_row_and_the_audit_trail(completion, learner, admin):
    review = course_review_submit(completion=completion, learner=learner, rating=4, useful="Good.")
    course_review_moderate(review=review, moderator=admin, status="hidden")
    review.refresh_from_db()
    assert review.moderated_by == admin and review.moderated_at is not None
    entry = AuditEntry.objects.get(object_type="course_reviews.coursereview", object_id=str(review.pk))
    assert entry.actor_id == admin.pk
    assert entry.changes == {"status": ["pending", "hidden"]}
    # A decision can be changed (each change recorded); the same decision again records nothing.
    course_review_moderate(review=review, moderator=admin, status="approved")
    course_review_moderate(review=review, moderator=admin, status="approved")
    assert AuditEntry.objects.filter(object_type="course_reviews.coursereview").count() == 2


def test_only_admins_moderate_and_never_back_to_pending(completion, learner, admin):
    review = course_review_submit(completion=completion, learner=learner, rating=4, useful="Good.")
    with pytest.raises(ValidationError):
        course_review_moderate(review=review, moderator=learner, status="approved")
    with pytest.raises(ValidationError):
        course_review_moderate(review=review, moderator=admin, status="pending")
    review.refresh_from_db()
    assert review.status == "pending" and review.moderated_by is None
