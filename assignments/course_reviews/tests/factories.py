from __future__ import annotations

from assignments.course_reviews.models import CourseReview
from assignments.course_reviews.services import course_review_moderate, course_review_submit
from courses.tests.factories import CompletionFactory, make_course
from lms.tests.factories import UserFactory


def reviewed(course, rating: int, *, useful: str = "", unclear: str = "", question=None, status=None, moderator=None):
    """A review by a new learner of a new completion of ``course`` (moderated when ``status``)."""
    learner = UserFactory()
    completion = CompletionFactory(learner=learner, course=course)
    review = course_review_submit(
        completion=completion, learner=learner, rating=rating, useful=useful, unclear=unclear, unclear_question=question
    )
    if status is not None and status != CourseReview.Status.PENDING:
        review = course_review_moderate(review=review, moderator=moderator, status=status)
    return review


def course_versions(code: str = "FIRE-1"):
    """Two versions of one course code, each with a final quiz of three questions."""
    return make_course(code=code, version=1, questions=3), make_course(code=code, version=2, questions=3)
