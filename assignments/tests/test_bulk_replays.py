"""Replaying the bulk form does not repeat it, and says what it left unchanged (fix_misc items 4
and 5: a re-sent notice at most once a day per assignment, worded for the assignment's state; an
archive of archived assignments is a warning; a submitted id is never echoed)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from assignments.models import Assignment
from assignments.services.archive import assignment_archive
from courses.tests.factories import AssignmentFactory, CourseFactory
from escalation.dispatch import run_dispatch
from escalation.models import Notification
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 10, 6, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def said(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def test_five_replays_of_a_bulk_notify_send_one_email_worded_as_overdue(admin_client, mailoutbox):
    course = CourseFactory(code="HS-101", title="Fire safety")
    overdue = AssignmentFactory(
        course=course, assigned_on=dt.date(2026, 8, 1), due_date=dt.date(2026, 9, 30), notified_at=NOW
    )

    responses = [
        admin_client.post(reverse("assignments:bulk"), {"ids": [overdue.pk], "action": "notify"}) for _ in range(5)
    ]
    run_dispatch()

    assert Notification.objects.filter(assignment=overdue).count() == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Overdue training: Fire safety, was due 30 Sep 2026"
    assert "New training" not in mailoutbox[0].subject
    assert "overdue, it was due 30 Sep 2026" in mailoutbox[0].body
    assert said(responses[0]) == [("success", "1 notice re-sent.")]
    assert said(responses[4])[-1] == ("warning", "1 was already notified today; not sent again.")
    assert ("success", "1 notice re-sent.") not in said(responses[4])[1:]


def test_a_re_sent_notice_before_the_due_date_is_a_reminder_and_a_first_one_is_new(admin_client, mailoutbox):
    course = CourseFactory(code="HS-101", title="Fire safety")
    notified = AssignmentFactory(course=course, due_date=dt.date(2026, 10, 30), notified_at=NOW - dt.timedelta(days=3))
    fresh = AssignmentFactory(course=CourseFactory(code="GDPR-1", title="Data"), due_date=dt.date(2026, 11, 2))

    admin_client.post(reverse("assignments:bulk"), {"ids": [notified.pk, fresh.pk], "action": "notify"})
    run_dispatch()

    subjects = sorted(message.subject for message in mailoutbox)
    assert subjects == ["New training: Data, due 2 Nov 2026", "Reminder: Fire safety, due 30 Oct 2026"]


def test_a_bulk_archive_of_archived_assignments_warns_that_nothing_changed(admin_client):
    done = assignment_archive(assignment=AssignmentFactory(), reason="retraining")
    other = assignment_archive(assignment=AssignmentFactory(), reason="retraining")
    post = {"ids": [done.pk, other.pk], "action": "archive", "reason": "other"}

    response = admin_client.post(reverse("assignments:bulk"), post)

    assert said(response) == [("warning", "2 were already archived; nothing changed for them.")]
    done.refresh_from_db()
    assert done.archived_reason == "retraining"


def test_a_bulk_archive_of_a_mix_says_both(admin_client):
    done = assignment_archive(assignment=AssignmentFactory(), reason="retraining")
    active = AssignmentFactory()

    response = admin_client.post(
        reverse("assignments:bulk"), {"ids": [done.pk, active.pk], "action": "archive", "reason": "other"}
    )

    assert said(response) == [
        ("success", "1 assignment archived."),
        ("warning", "1 was already archived; nothing changed for it."),
    ]
    assert Assignment.objects.get(pk=active.pk).archived_at is not None


def test_a_submitted_id_with_a_nul_is_never_shown_back(admin_client):
    response = admin_client.post(
        reverse("assignments:bulk"), {"ids": ["1\x00"], "action": "notify", "next": "/assignments/"}, follow=True
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "\x00" not in html and "1\\x00" not in html and "is not a valid value" not in html
    assert "One of the ticked assignments is not valid" in html
