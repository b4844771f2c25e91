"""Ratings per course and per version against a hand-computed fixture, who sees which comments,
and the link from a comment to item analysis."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments.course_reviews import selectors
from assignments.course_reviews.models import CourseReview
from assignments.course_reviews.tests.factories import course_versions, reviewed
from courses.models import Question
from courses.tests.factories import make_course
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixture():
    """FIRE-1 v1 rated 5, 4, 4 (average 13/3 = 4.33); v2 rated 2, 3 (average 2.5); all five:
    18/5 = 3.6 with one 5, two 4s, one 3, one 2 and no 1. GDPR-1 rated 1 once."""
    moderator = AdminFactory(first_name="Mo", last_name="Derator")
    v1, v2 = course_versions()
    q2 = Question.objects.filter(quiz__course=v2).order_by("order", "pk")[1]
    reviews = {
        "v1_5": reviewed(v1, 5, useful="Approved v1 comment", status="approved", moderator=moderator),
        "v1_4a": reviewed(v1, 4, useful="Pending comment"),
        "v1_4b": reviewed(v1, 4, unclear="Hidden comment", status="hidden", moderator=moderator),
        "v2_2": reviewed(v2, 2, unclear="Question 2 is ambiguous", question=q2, status="approved", moderator=moderator),
        "v2_3": reviewed(v2, 3),
        "gdpr": reviewed(make_course(code="GDPR-1", title="Data protection"), 1),
    }
    return {"v1": v1, "v2": v2, "q2": q2, "moderator": moderator, **reviews}


def test_figures_per_course_and_version_match_the_hand_computed_fixture(fixture):
    whole, versions = selectors.ratings_for_course(course_code="FIRE-1")
    assert (whole.count, whole.average) == (5, 3.6)
    assert whole.counts == {1: 0, 2: 1, 3: 1, 4: 2, 5: 1}
    assert [(v.version, v.count, v.average) for v in versions] == [(2, 2, 2.5), (1, 3, 4.33)]
    assert versions[1].counts == {1: 0, 2: 0, 3: 0, 4: 2, 5: 1}
    assert [(value, count, round(share, 1)) for value, count, share in versions[1].distribution] == [
        (5, 1, 33.0),  # whole percents that add up to 100
        (4, 2, 67.0),
        (3, 0, 0.0),
        (2, 0, 0.0),
        (1, 0, 0.0),
    ]
    by_course = {row.code: row for row in selectors.ratings_by_course()}
    assert (by_course["FIRE-1"].count, by_course["FIRE-1"].average, by_course["FIRE-1"].pending) == (5, 3.6, 1)
    assert (by_course["GDPR-1"].count, by_course["GDPR-1"].average, by_course["GDPR-1"].title) == (
        1,
        1.0,
        "Data protection",
    )


def test_count_average_and_distribution_agree_in_every_moderation_state(fixture):
    """Replays themeum/tutor#2282 (the count included reviews the average left out, so the two
    disagreed): here every figure is over the same ratings, whatever happens to the comments."""
    before, _ = selectors.ratings_for_course(course_code="FIRE-1")
    CourseReview.objects.filter(pk=fixture["v1_4a"].pk).update(
        status="hidden", moderated_by=fixture["moderator"], moderated_at=fixture["v1_4a"].created_at
    )
    after, versions = selectors.ratings_for_course(course_code="FIRE-1")
    for figures in (before, after, *versions):
        assert figures.count == sum(figures.counts.values())
        assert figures.average == round(sum(v * n for v, n in figures.counts.items()) / figures.count, 2)
    assert (after.count, after.average) == (before.count, before.average)


def test_the_summary_pages_show_the_figures_and_only_approved_comments(client, fixture):
    client.force_login(AdminFactory())
    summary = client.get(reverse("reports_course_reviews")).content.decode()
    assert "3.60" in summary and "1.00" in summary
    page = client.get(reverse("reports_course_review_detail", args=["FIRE-1"])).content.decode()
    assert "Average 3.60 out of 5 from 5 reviews." in page
    assert "4.33" in page and "2.50" in page
    assert "Approved v1 comment" in page and "Question 2 is ambiguous" in page
    assert "Pending comment" not in page and "Hidden comment" not in page
    # Accessible chart: an image with a title and the numbers in words, beside the table.
    assert (
        'role="img"' in page
        and 'aria-label="Ratings of FIRE-1, all versions: 5 stars: 1 (20%); 4 stars: 2 (40%)' in page
    )
    # Nobody's name with a comment.
    for review in CourseReview.objects.select_related("learner"):
        assert review.learner.get_full_name() not in page


def test_a_comment_naming_a_question_links_to_item_analysis_at_that_question(client, fixture):
    client.force_login(AdminFactory())
    page = client.get(reverse("reports_course_review_detail", args=["FIRE-1"])).content.decode()
    link = f"{reverse('reports_item_analysis')}?course=FIRE-1#question-{fixture['q2'].pk}"
    assert f'href="{link}"' in page
    analysis = client.get(f"{reverse('reports_item_analysis')}?course=FIRE-1").content.decode()
    assert f'id="question-{fixture["q2"].pk}"' in analysis


def test_the_moderation_page_lists_the_pending_comment_and_counts_each_state(client, fixture):
    client.force_login(AdminFactory())
    page = client.get(reverse("course_reviews:moderation")).content.decode()
    assert "Pending comment" in page and "Approved v1 comment" not in page
    assert 'data-testid="count-pending">1<' in page
    assert 'data-testid="count-approved">2<' in page and 'data-testid="count-hidden">1<' in page
    hidden = client.get(reverse("course_reviews:moderation") + "?status=hidden").content.decode()
    assert "Hidden comment" in hidden and "Decided by Mo Derator" in hidden


def test_the_author_sees_their_own_pending_comment_and_nobody_elses(client, fixture):
    """Replays the other half of themeum/tutor#2282: a pending review is shown to its author,
    with its state, and to no other learner."""
    review = fixture["v1_4a"]
    client.force_login(review.learner)
    page = client.get(reverse("course_reviews:review", args=[review.completion_id])).content.decode()
    assert "Pending comment" in page and "await moderation" in page
    assert "Approved v1 comment" not in page
    client.force_login(fixture["v1_5"].learner)
    assert client.get(reverse("course_reviews:review", args=[review.completion_id])).status_code == 404


def test_learners_and_managers_cannot_read_the_figures(client, fixture):
    manager = UserFactory()
    UserFactory(manager=manager)
    for user in (fixture["v1_5"].learner, manager):
        client.force_login(user)
        assert client.get(reverse("reports_course_review_detail", args=["FIRE-1"])).status_code == 403
        assert client.get(reverse("course_reviews:moderation")).status_code == 403


def test_an_unknown_course_code_is_not_found(client):
    client.force_login(AdminFactory())
    assert client.get(reverse("reports_course_review_detail", args=["NOPE-1"])).status_code == 404


def test_a_course_without_reviews_says_so(client):
    make_course(code="NEW-1")
    client.force_login(AdminFactory())
    page = client.get(reverse("reports_course_review_detail", args=["NEW-1"])).content.decode()
    assert "This course has not been reviewed yet." in page


def test_the_pages_query_counts_do_not_grow_with_reviews(client, fixture):
    """The same number of queries with 6 reviews and with 36 (set-based reads, no query per row);
    whole requests are counted, so the session, the user and the navigation are in both."""
    admin = AdminFactory()
    client.force_login(admin)
    urls = [
        reverse("reports_course_reviews"),
        reverse("reports_course_review_detail", args=["FIRE-1"]),
        reverse("course_reviews:moderation") + "?status=approved",
        reverse("course_reviews:moderation") + "?status=pending",
    ]
    client.get(urls[0])  # the first request of a session reads more (last login, session)

    def counts() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    small = counts()
    for index in range(30):
        status = "approved" if index % 2 else None
        question = fixture["q2"] if index % 3 == 0 else None
        version = fixture["v2"] if question else fixture["v1"]
        reviewed(
            version,
            1 + index % 5,
            useful=f"Comment {index}",
            question=question,
            status=status,
            moderator=fixture["moderator"],
        )
    assert counts() == small
    assert max(small) <= 12


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        ([1, 2, 4, 1, 0], [13, 25, 50, 12, 0]),  # the outside tester's 12 + 25 + 50 + 12 = 99
        ([1, 1, 1, 0, 0], [34, 33, 33, 0, 0]),
        ([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]),
        ([7, 0, 0, 0, 0], [100, 0, 0, 0, 0]),
    ],
)
def test_the_shares_shown_are_whole_percents_that_add_up_to_100(counts, shown):
    assert selectors._whole_percents(counts) == [float(n) for n in shown]
