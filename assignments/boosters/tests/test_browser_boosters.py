"""Answering a booster from the email's link in a real browser (issue 17): the link from the sent
email opens without signing in, shows the question with the clicked answer chosen, and sending it
shows the feedback, what good application looks like and the resource link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from assignments.boosters.models import BoosterDelivery
from assignments.boosters.tests.factories import complete, make_programme
from courses.tests.factories import make_course
from escalation.dispatch import run_dispatch
from escalation.workflows.boosters import run_boosters
from lms.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_answers_a_booster_from_the_emails_link(page: Page, live_server, settings):
    settings.SITE_URL = live_server.url
    course = make_course(questions=1, title="Fire safety")
    make_programme(course, schedule=[2], from_quiz=0, written=1)
    learner = UserFactory(email="pat@example.com", first_name="Pat")
    complete(learner, course, at=timezone.now() - dt.timedelta(days=2))
    run_boosters(as_of=timezone.now())
    run_dispatch(as_of=timezone.now())
    [message] = [m for m in mail.outbox if m.to == ["pat@example.com"]]
    assert message.subject == "A quick question on Fire safety"
    links = dict(re.findall(r"^- (.+): (http\S+/boosters/a/\S+)$", message.body, re.M))

    page.goto(links["Good 0"])
    expect(page.get_by_test_id("booster-question")).to_have_text("Written question 0?")
    expect(page.get_by_label("Good 0")).to_be_checked()
    assert BoosterDelivery.objects.get().answered_at is None  # opening the link records nothing
    page.get_by_role("button", name="Send my answer").click()

    feedback = page.get_by_test_id("booster-feedback")
    expect(feedback).to_contain_text("Right.")
    expect(feedback).to_contain_text("Yes: that is the rule.")
    expect(page.get_by_test_id("good-application")).to_have_text("Lock your screen when you leave your desk.")
    expect(page.get_by_test_id("resource-link")).to_have_attribute("href", "https://intranet.example.com/policy")
    expect(page.get_by_test_id("booster-recorded")).to_be_visible()
    delivery = BoosterDelivery.objects.get()
    assert (delivery.correct, delivery.answered_via) == (True, "email")

    # Opening the same link again says it was answered, with the first answer.
    page.goto(links["Bad 0"])
    expect(page.get_by_test_id("booster-already")).to_be_visible()
    expect(feedback).to_contain_text("Your answer: “Good 0”.")
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
