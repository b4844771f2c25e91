"""Issue 17 (outside review): the POST that recorded a booster answer is told so, without a
session cookie; two POSTs at once record one answer and only the winner reads "recorded"; a link
opened while someone else is signed in says whose answer it records."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assignments.boosters.models import BoosterDelivery
from assignments.boosters.services import answer_token
from assignments.boosters.tests.factories import complete, make_programme, queued_delivery
from courses.tests.factories import make_course
from lms.tests.factories import UserFactory


@pytest.fixture
def sent(db):
    course = make_course(questions=2, title="Data protection")
    programme = make_programme(course, schedule=[2, 7, 21], from_quiz=1, written=1)
    sam = UserFactory(first_name="Sam", email="sam@example.com")
    completion = complete(sam, course, at=timezone.now() - dt.timedelta(days=3))
    delivery = queued_delivery(programme, completion)
    choices = list(delivery.question.choices.order_by("pk"))
    return delivery, choices


def link(delivery, choice) -> str:
    return reverse("boosters:answer_link", args=[answer_token(delivery_id=delivery.pk, choice_id=choice.pk)])


def test_the_post_that_recorded_the_answer_gets_the_result_page_without_any_cookie(sent):
    delivery, (first, second, *_) = sent
    winner, loser = Client(), Client()
    won = winner.post(link(delivery, first), {"choice": first.pk})
    lost = loser.post(link(delivery, second), {"choice": second.pk})
    assert won.status_code == 302 and lost.status_code == 302
    # A mail app's browser that keeps no cookies follows the redirect with none.
    won_page = Client().get(won["Location"]).content.decode()
    lost_page = Client().get(lost["Location"]).content.decode()
    assert 'data-testid="booster-recorded"' in won_page
    assert "You already answered this question" not in won_page
    assert "You already answered this question" in lost_page
    assert 'data-testid="booster-recorded"' not in lost_page
    delivery.refresh_from_db()
    assert delivery.choice_id == first.pk


def test_a_forged_recorded_marker_does_not_say_recorded(sent):
    delivery, (first, second, *_) = sent
    other = Client().post(link(delivery, first), {"choice": first.pk})
    assert other.status_code == 302
    page = Client().get(link(delivery, first) + "?recorded=1:forged").content.decode()
    assert "You already answered this question" in page


def test_answering_on_the_home_page_says_recorded_once(sent, client):
    delivery, (first, *_) = sent
    client.force_login(delivery.learner)
    url = reverse("boosters:question", args=[delivery.pk])
    first_post = client.post(url, {"choice": first.pk}, follow=True).content.decode()
    again = client.post(url, {"choice": first.pk}, follow=True).content.decode()
    assert 'data-testid="booster-recorded"' in first_post
    assert "You already answered this question" in again


def test_a_link_opened_while_someone_else_is_signed_in_says_whose_answer_it_records(sent, client):
    delivery, (first, *_) = sent
    client.force_login(UserFactory(first_name="Kim"))
    page = client.get(link(delivery, first)).content.decode()
    assert "This question was sent to Sam, not to you; your answer will be recorded for them." in page
    assert page.index('data-testid="booster-other-learner"') < page.index('data-testid="booster-send"')
    client.post(link(delivery, first), {"choice": first.pk})
    delivery.refresh_from_db()
    assert delivery.learner.first_name == "Sam" and delivery.choice_id == first.pk


def test_the_learner_themself_and_an_anonymous_visitor_see_no_such_notice(sent, client):
    delivery, (first, *_) = sent
    assert "booster-other-learner" not in client.get(link(delivery, first)).content.decode()
    client.force_login(delivery.learner)
    assert "booster-other-learner" not in client.get(link(delivery, first)).content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_posts_at_once_record_one_answer_and_only_its_request_says_recorded():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (real concurrent transactions)")
    course = make_course(questions=2, title="Data protection")
    programme = make_programme(course, schedule=[2, 7, 21], from_quiz=1, written=1)
    sam = UserFactory(first_name="Sam")
    delivery = queued_delivery(programme, complete(sam, course, at=timezone.now() - dt.timedelta(days=3)))
    choices = list(delivery.question.choices.order_by("pk"))[:2]
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def post(choice):
        try:
            barrier.wait()
            response = Client().post(link(delivery, choice), {"choice": choice.pk})
            outcomes[choice.pk] = Client().get(response["Location"]).content.decode()
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in choices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    delivery.refresh_from_db()
    assert delivery.answered_at is not None
    recorded = [pk for pk, page in outcomes.items() if 'data-testid="booster-recorded"' in page]
    assert recorded == [delivery.choice_id]
    assert BoosterDelivery.objects.filter(pk=delivery.pk, choice_id__in=[c.pk for c in choices]).count() == 1


def test_the_result_page_labels_its_feedback_and_leads_a_signed_out_learner_on(db):
    """Outside eyes: the answer's own feedback stood unlabelled above a "Feedback" heading, and a
    learner who answered from the email, signed out, reached a dead end."""
    course = make_course(questions=1, title="Fire safety")
    programme = make_programme(course, schedule=[2, 7], from_quiz=0, written=1)
    completion = complete(UserFactory(), course, at=timezone.now() - dt.timedelta(days=3))
    delivery = queued_delivery(programme, completion)
    wrong = delivery.question.choices.get(is_correct=False)

    answered = Client().post(link(delivery, wrong), {"choice": wrong.pk})
    page = Client().get(answered["Location"]).content.decode()

    assert page.index("About the answer chosen") < page.index('data-testid="choice-feedback"')
    assert page.index("About the question") > page.index('data-testid="choice-feedback"')
    assert f'href="{reverse("login")}?next={reverse("home")}"' in page and "Sign in to see your training" in page
