"""A booster link opened while someone else is signed in names the learner the question was sent
to once it is answered too: "Richard already answered", never "You already answered", and the
answer shown is the one recorded for Richard, not "your answer"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assignments.boosters.services import answer_token
from assignments.boosters.tests.factories import complete, make_programme, queued_delivery
from courses.tests.factories import make_course
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    course = make_course(questions=2, title="Data protection")
    programme = make_programme(course, schedule=[2, 7, 21], from_quiz=1, written=1)
    richard = UserFactory(first_name="Richard")
    delivery = queued_delivery(programme, complete(richard, course, at=timezone.now() - dt.timedelta(days=3)))
    return delivery, list(delivery.question.choices.order_by("pk"))


def link(delivery, choice) -> str:
    return reverse("boosters:answer_link", args=[answer_token(delivery_id=delivery.pk, choice_id=choice.pk)])


def test_taylor_opening_richards_answered_link_is_told_richard_answered_it(sent, client):
    delivery, (first, *_) = sent
    assert Client().post(link(delivery, first), {"choice": first.pk}).status_code == 302  # Richard answers
    client.force_login(UserFactory(first_name="Taylor"))
    page = client.get(link(delivery, first)).content.decode()
    assert "This question was sent to Richard, not to you: Richard already answered it on " in page
    assert "You already answered" not in page
    assert "Your answer:" not in page
    assert f"The answer recorded for Richard: “{first.text}”." in page


def test_taylor_answering_richards_link_is_thanked_for_richard(sent, client):
    delivery, (first, *_) = sent
    client.force_login(UserFactory(first_name="Taylor"))
    page = client.post(link(delivery, first), {"choice": first.pk}, follow=True).content.decode()
    assert "Thank you: the answer is recorded for Richard." in page
    assert "your answer is recorded" not in page


def test_richard_himself_still_reads_you_already_answered(sent, client):
    delivery, (first, *_) = sent
    Client().post(link(delivery, first), {"choice": first.pk})
    client.force_login(delivery.learner)
    page = client.get(link(delivery, first)).content.decode()
    assert "You already answered this question on " in page
    assert f"Your answer: “{first.text}”." in page
    assert "Richard already answered" not in page
