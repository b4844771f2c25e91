"""'Preview tonight's run' (issue 13 item 18): a summary table per workflow in people's words,
every section with its number, and a sending line that adds up with what was listed."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from escalation.tests.conftest import assign
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _a_wednesday():
    """The counts below hold on any day but Monday, when managers' weekly check-ins add messages:
    the test runs on a Wednesday whatever day the suite runs on."""
    with time_machine.travel(dt.datetime(2026, 6, 17, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_preview_leads_with_a_summary_per_workflow_and_its_sending_line_adds_up(client, team, course, policy):
    _, lead, people = team
    for person in people:
        assign(person, course, due=timezone.localdate() - dt.timedelta(days=3))
    # A message queued earlier and not yet sent goes out tonight too.
    enqueue([Outgoing(recipient_id=people[0].pk, kind=Notification.Kind.ASSIGNED, dedupe_key="earlier", context={})])
    client.force_login(AdminFactory())

    response = client.get(reverse("escalation:preview"))

    html = response.content.decode()
    page = _text(html)
    assert "Checkins_and_digests" not in html and "_" not in page.split("Preview of tonight")[1].split("Summary")[0]
    sections = [_text(p) for p in re.findall(r'<p class="mb-2">(.*?)</p>', html, re.S)]
    assert sections and all("(s)" not in line and line[0].isdigit() for line in sections), sections
    summary = _text(re.search(r'<table[^>]*data-testid="preview-summary".*?</table>', html, re.S).group(0))
    # Three learners late: each told, and their one manager told about each (6 messages to 4 people).
    assert "Overdue ladder: escalations and warning letters 6 4 3 assignments escalated; 3 case-file entries" in summary
    assert "Managers' check-ins and digests 1 1" in summary
    assert "Reminders before the due date 0 0 —" in summary
    assert "Queued tonight 7" in summary
    dispatch = response.context["dispatch"]
    assert dispatch["notifications_tonight"] == response.context["total_messages"] == 7
    assert dispatch["notifications_waiting"] == 1
    assert dispatch["notifications_sent"] == 8
    line = _text(re.search(r'data-testid="preview-dispatch">(.*?)</p>', html, re.S).group(1))
    assert line.startswith(
        "Sending: 8 messages would be sent (7 queued tonight, 1 already waiting in the outbox), to 4 people, in 6 emails:"
    ), line
    # Every section states its number, in words that agree with the table.
    assert "6 new messages to 4 people. 3 assignments escalated. 3 case-file entries." in page
    assert "1 new message to 1 person." in page
    assert "0 new messages." in page
    assert Notification.objects.count() == 1  # the dry run changed nothing
