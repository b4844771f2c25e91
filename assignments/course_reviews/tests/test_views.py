from __future__ import annotations

import pytest
from django.urls import reverse

from assignments.course_reviews.models import CourseReview
from assignments.course_reviews.services import course_review_moderate, course_review_submit
from courses.models import Question
from courses.tests.factories import AssignmentFactory, CompletionFactory, answers_for, make_course
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def review_url(completion) -> str:
    return reverse("course_reviews:review", args=[completion.pk])


def test_the_learner_reviews_a_completed_course(client, completion, learner):
    client.force_login(learner)
    question = Question.objects.filter(quiz__course=completion.course).order_by("order", "pk")[1]
    response = client.post(
        review_url(completion),
        {
            "rating": "4",
            "useful": "The evacuation map.",
            "unclear": "Which extinguisher?",
            "unclear_question": question.pk,
        },
    )
    assert response.status_code == 302
    review = CourseReview.objects.get()
    assert (review.rating, review.useful, review.unclear, review.unclear_question) == (
        4,
        "The evacuation map.",
        "Which extinguisher?",
        question,
    )
    page = client.get(review_url(completion)).content.decode()
    assert "Thank you: your review is saved." in page
    assert "Your comments await moderation" in page


def test_the_question_select_lists_only_that_versions_questions(client, completion, learner):
    other = make_course(code="GDPR-1", questions=2)
    client.force_login(learner)
    page = client.get(review_url(completion)).content.decode()
    for question in Question.objects.filter(quiz__course=completion.course):
        assert f'<option value="{question.pk}"' in page
    for question in Question.objects.filter(quiz__course=other):
        assert f'<option value="{question.pk}"' not in page
    response = client.post(
        review_url(completion), {"rating": "3", "unclear_question": Question.objects.filter(quiz__course=other)[0].pk}
    )
    assert response.status_code == 400
    assert "Choose a question from this course&#x27;s quizzes." in response.content.decode()
    assert not CourseReview.objects.exists()


def test_a_double_submit_keeps_the_first_review_and_says_so(client, completion, learner):
    """Two tabs on the new-review form: the second submission changes nothing and is told why."""
    client.force_login(learner)
    client.post(review_url(completion), {"rating": "5", "useful": "First"})
    response = client.post(review_url(completion), {"rating": "1", "useful": "Second"}, follow=True)
    assert "You have already reviewed this course for this completion" in response.content.decode()
    assert list(CourseReview.objects.values_list("rating", "useful")) == [(5, "First")]


def test_the_author_edits_a_pending_review_through_the_form(client, completion, learner):
    review = course_review_submit(completion=completion, learner=learner, rating=2)
    client.force_login(learner)
    page = client.get(review_url(completion)).content.decode()
    assert f'name="review_id" value="{review.pk}"' in page
    client.post(review_url(completion), {"review_id": review.pk, "rating": "3", "unclear": "Module 2."})
    review.refresh_from_db()
    assert (review.rating, review.unclear) == (3, "Module 2.")
    assert CourseReview.objects.count() == 1


def test_a_moderated_review_is_shown_read_only_and_a_post_changes_nothing(client, completion, learner, admin):
    review = course_review_submit(completion=completion, learner=learner, rating=4, useful="Good.")
    course_review_moderate(review=review, moderator=admin, status="approved")
    client.force_login(learner)
    page = client.get(review_url(completion)).content.decode()
    assert 'data-testid="review-read-only"' in page and '<form method="post" novalidate' not in page
    response = client.post(
        review_url(completion), {"review_id": review.pk, "rating": "1", "useful": "Changed"}, follow=True
    )
    assert "can no longer be changed" in response.content.decode()
    review.refresh_from_db()
    assert (review.rating, review.useful) == (4, "Good.")


@pytest.mark.parametrize("rating", ["0", "6", "", "five", "4.5", "99999999999999999999"])
def test_a_bad_rating_is_refused_with_a_message_naming_it(client, completion, learner, rating):
    client.force_login(learner)
    response = client.post(review_url(completion), {"rating": rating, "useful": "x"})
    assert response.status_code == 400
    assert "Choose a rating from 1 to 5." in response.content.decode()
    assert not CourseReview.objects.exists()


def test_a_huge_comment_is_refused_naming_the_field(client, completion, learner):
    client.force_login(learner)
    response = client.post(review_url(completion), {"rating": "3", "unclear": "y" * 1_000_000})
    assert response.status_code == 400
    page = response.content.decode()
    assert "At most 2000 characters (it has 1000000)." in page
    assert not CourseReview.objects.exists()


def test_a_nul_character_is_refused(client, completion, learner):
    client.force_login(learner)
    response = client.post(review_url(completion), {"rating": "3", "useful": "a\x00b"})
    assert response.status_code == 400
    assert not CourseReview.objects.exists()


def test_html_in_a_comment_is_shown_escaped_everywhere(client, completion, learner, admin):
    script = "<script>alert('x')</script><b>bold</b>"
    review = course_review_submit(completion=completion, learner=learner, rating=3, useful=script, unclear=script)
    client.force_login(admin)
    pages = [client.get(reverse("course_reviews:moderation")).content.decode()]
    course_review_moderate(review=review, moderator=admin, status="approved")
    pages.append(client.get(reverse("reports_course_review_detail", args=["FIRE-1"])).content.decode())
    client.force_login(learner)
    pages.append(client.get(review_url(completion)).content.decode())
    for page in pages:
        assert "<script>alert" not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in page


def test_another_learners_completion_is_not_found(client, completion):
    intruder = UserFactory()
    client.force_login(intruder)
    assert client.get(review_url(completion)).status_code == 404
    assert client.post(review_url(completion), {"rating": "1", "useful": "Sabotage"}).status_code == 404
    assert not CourseReview.objects.exists()


def test_a_learner_without_a_completion_cannot_review(client, course):
    """Replays open-learning-exchange/planet#7726 (rating without enrolment): being assigned is
    not enough; there is no review page without a completion, and no completion number works."""
    learner = UserFactory()
    AssignmentFactory(learner=learner, course=course)
    client.force_login(learner)
    assert client.get(reverse("course_reviews:review", args=[999999])).status_code == 404
    history = client.get(reverse("assignments:my_history")).content.decode()
    assert "Once you complete a course, you can review it here." in history
    assert "Review this course" not in history


def test_anonymous_visitors_are_sent_to_log_in(client, completion):
    response = client.post(review_url(completion), {"rating": "5"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not CourseReview.objects.exists()


def test_the_history_offers_a_review_per_completion_and_shows_the_state(client, course, learner):
    first = CompletionFactory(learner=learner, course=course)
    second = CompletionFactory(learner=learner, course=make_course(code="GDPR-1"))
    course_review_submit(completion=first, learner=learner, rating=5, useful="Great")
    client.force_login(learner)
    page = client.get(reverse("assignments:my_history")).content.decode()
    assert "you rated it 5/5" in page and "(Awaiting moderation)" in page
    assert review_url(first) in page and review_url(second) in page
    assert "Change your review" in page and "Review this course" in page


def test_the_result_page_of_a_pass_offers_the_review(client, course, learner):
    from assignments.services.attempts import attempt_start, attempt_submit
    from courses.models import Quiz

    assignment = AssignmentFactory(learner=learner, course=course)
    attempt = attempt_start(assignment=assignment, quiz=course.quizzes.get(kind=Quiz.Kind.FINAL))
    completion = attempt_submit(attempt=attempt, answers=answers_for(attempt)).completion
    client.force_login(learner)
    page = client.get(reverse("player_result", args=[attempt.pk])).content.decode()
    assert f'href="{review_url(completion)}" data-testid="review-course"' in page


def test_moderation_approve_and_hide_through_the_page(client, completion, learner, admin):
    review = course_review_submit(completion=completion, learner=learner, rating=4, useful="Clear.")
    course_review_submit(
        completion=CompletionFactory(course=completion.course, learner=(other := UserFactory())),
        learner=other,
        rating=2,
    )
    client.force_login(admin)
    page = client.get(reverse("course_reviews:moderation")).content.decode()
    # The rating-only review has nothing to moderate; names are never shown.
    assert page.count('data-testid="moderation-item"') == 1
    assert learner.get_full_name() not in page
    moderate = reverse("course_reviews:moderate", args=[review.pk])
    response = client.post(moderate, {"decision": "approved", "back": "pending"})
    assert response.status_code == 302 and response["Location"].endswith("?status=pending")
    review.refresh_from_db()
    assert (review.status, review.moderated_by) == ("approved", admin)
    client.post(moderate, {"decision": "publish"})
    review.refresh_from_db()
    assert review.status == "approved"
    approved = client.get(reverse("course_reviews:moderation") + "?status=approved").content.decode()
    assert "Clear." in approved and f"Decided by {admin.get_full_name()}" in approved


def test_a_manager_or_learner_cannot_moderate(client, completion, learner):
    review = course_review_submit(completion=completion, learner=learner, rating=4, useful="Clear.")
    client.force_login(learner)
    assert (
        client.post(reverse("course_reviews:moderate", args=[review.pk]), {"decision": "approved"}).status_code == 403
    )
    review.refresh_from_db()
    assert review.status == "pending"


def test_a_review_of_an_unknown_id_is_not_found_for_moderation(client, admin):
    client.force_login(admin)
    assert client.post(reverse("course_reviews:moderate", args=[424242]), {"decision": "approved"}).status_code == 404


def test_ids_and_codes_out_of_range_are_not_found(client, admin, learner):
    huge = "9" * 30
    client.force_login(learner)
    assert client.get(f"/course-reviews/completions/{huge}/").status_code == 404
    client.force_login(admin)
    assert client.post(f"/course-reviews/{huge}/moderate/", {"decision": "approved"}).status_code == 404
    assert client.get(reverse("reports_course_review_detail", args=["X" * 5000])).status_code == 404
    assert client.get(reverse("course_reviews:moderation") + f"?status=nonsense&page={huge}").status_code == 200


def test_the_home_page_and_the_completed_course_page_lead_to_the_review(client, course, learner):
    # Outside eyes (issue 17): "Review this course" was only on the result page after the pass;
    # a learner coming back later found no way to it.
    assignment = AssignmentFactory(course=course, learner=learner, status="completed")
    completion = CompletionFactory(learner=learner, course=course, assignment=assignment)
    client.force_login(learner)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{review_url(completion)}" data-testid="review-link"' in home
    page = client.get(reverse("player_course", args=[assignment.pk])).content.decode()
    assert f'href="{review_url(completion)}" data-testid="review-course"' in page
