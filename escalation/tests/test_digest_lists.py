"""The digests' and check-ins' lists: built in SQL on PostgreSQL, in Python elsewhere, the same."""

from __future__ import annotations

import datetime as dt
import sys
import types

import pytest

from assignments.models import Assignment
from courses.tests.factories import ExemptionFactory, make_course
from escalation.models import Notification
from escalation.tests.conftest import assign, at
from escalation.workflows import digests
from escalation.workflows.digests import run_checkins_and_digests
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)  # a Monday


def test_digest_lists_built_in_sql_are_the_portable_lists(team, course, policy, monkeypatch):
    """On PostgreSQL the digests' and check-ins' lists are built in one INSERT ... SELECT; the
    portable path (SQLite) builds them in Python: both write the same contexts, the first
    LIST_LIMIT by due date (then id) listed overdue first, every at-risk row in the check-in."""
    _, lead, people = team
    people[0].first_name, people[0].last_name = "\tAnn", "Lee\u3000"
    people[0].save()
    people[1].last_name = 'O"Brien\\'  # quoted in the JSON the database writes
    people[1].save()
    # A title quoted in JSON too: the SQL writes each course's title as JSON once, before the join.
    other, third = make_course(questions=1, title="Fire safety"), make_course(questions=1, title='First "aid"\\')
    for index, person in enumerate(people):
        assign(person, course, due=DAY - dt.timedelta(days=3 - index))
        assign(person, other, due=DAY + dt.timedelta(days=5 + index))
        assign(
            person, third, due=DAY - dt.timedelta(days=40), retake_deadline=DAY + dt.timedelta(days=index * 6),
            status=Assignment.Status.FAILED,
        )  # fmt: skip
    assign(UserFactory(manager=lead), course, due=DAY + dt.timedelta(days=30))  # not listed: not due soon
    ExemptionFactory(learner=people[2], course_code=other.code, starts_on=DAY - dt.timedelta(days=1))
    monkeypatch.setattr(digests, "LIST_LIMIT", 4)

    assert run_checkins_and_digests(as_of=at(DAY), dry_run=True)["notifications"] == 2
    assert not Notification.objects.exists()
    in_sql = run_checkins_and_digests(as_of=at(DAY))
    written = {n.dedupe_key: n.context for n in Notification.objects.all()}
    Notification.objects.all().delete()
    monkeypatch.setattr(digests, "connection", types.SimpleNamespace(vendor="sqlite"))
    in_python = run_checkins_and_digests(as_of=at(DAY))

    assert {n.dedupe_key: n.context for n in Notification.objects.all()} == written
    assert in_sql["notifications"] == in_python["notifications"] == 2
    assert in_sql["samples"] == in_python["samples"]
    digest = written[f"digest:{lead.pk}:{DAY.isoformat()}"]
    assert len(digest["outstanding"]) == 4 and digest["outstanding"][0]["overdue"] is True
    assert digest["outstanding"][0]["learner"] == "Ann Lee"
    assert 'First "aid"\\' in {item["course"] for item in digest["outstanding"]}
    checkin = next(context for key, context in written.items() if key.startswith("checkin:"))
    assert (checkin["count"], checkin["people"], len(checkin["at_risk"])) == (8, 3, 4)
    assert digests.WHITESPACE == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
