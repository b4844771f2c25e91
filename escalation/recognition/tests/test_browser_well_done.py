"""A manager's "well done" from the digest email's link, in a real browser (issue 17): the link
asks them to sign in, then shows the confirm page (opening it sends nothing); sending it reaches
the learner by email and on their home page; the same link again says it was sent already."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from assignments.models import Assignment
from courses.tests.factories import AssignmentFactory, CompletionFactory, make_course
from escalation.dispatch import run_dispatch
from escalation.recognition.models import WellDone
from escalation.workflows.digests import run_checkins_and_digests
from lms.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_manager_says_well_done_from_the_digest_and_the_learner_reads_it(page: Page, live_server, settings):
    settings.SITE_URL = live_server.url
    lead = UserFactory(first_name="Lee", last_name="Lead", email="lead@example.com")
    ann = UserFactory(first_name="Ann", last_name="Able", manager=lead, email="ann@example.com")
    now = timezone.now()
    course = make_course(questions=1, title="Fire safety")
    done = AssignmentFactory(learner=ann, course=course, status=Assignment.Status.COMPLETED)
    CompletionFactory(learner=ann, course=course, assignment=done, completed_at=now - dt.timedelta(hours=1))
    run_checkins_and_digests(as_of=now)
    run_dispatch(as_of=timezone.now())
    [digest] = [m for m in mail.outbox if m.to == ["lead@example.com"]]
    [link] = re.findall(r"Say well done: (http\S+)", digest.body)
    mail.outbox.clear()

    page.goto(link)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(page, "lead@example.com")
    expect(page.get_by_role("heading", name="Say well done")).to_be_visible()
    expect(page.get_by_text("Ann Able completed Fire safety.")).to_be_visible()
    assert not WellDone.objects.exists()  # opening the link sends nothing
    page.get_by_label("Personal message (optional)").fill("Thanks for getting this done early!")
    page.get_by_role("button", name="Send well done to Ann").click()
    expect(page.get_by_text("Your note is on its way to Ann Able.")).to_be_visible()
    expect(page.get_by_test_id("well-done-sent")).to_be_visible()

    run_dispatch(as_of=timezone.now() + dt.timedelta(minutes=1))
    [note] = [m for m in mail.outbox if m.to == ["ann@example.com"]]
    assert note.subject == "Well done from Lee Lead"
    assert '"Thanks for getting this done early!"' in note.body

    # The same link again: sent already, and no second note.
    page.goto(link)
    expect(page.get_by_test_id("well-done-sent")).to_be_visible()
    assert WellDone.objects.count() == 1

    # The learner sees the note on their home page.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{reverse('login')}")
    sign_in(page, "ann@example.com")
    notes = page.get_by_test_id("well-done-notes")
    expect(notes).to_contain_text("Lee Lead says well done")
    expect(notes).to_contain_text("Thanks for getting this done early!")
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
