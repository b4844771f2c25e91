from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from courses.tests.factories import AssignmentFactory, make_course
from lms.tests.factories import UserFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")


def at(day: dt.date, hour: int = 2) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=LONDON)


@pytest.fixture
def policy(db):
    """The default policy a data migration seeds. A transactional test (PostgreSQL threads) ends
    with a flush that removes it, so a later test seeds it again as the service does."""
    from escalation.services import policy_ensure_default

    return policy_ensure_default()


@pytest.fixture
def team(db):
    director = UserFactory(first_name="Dana", email="director@example.com")
    lead = UserFactory(first_name="Taylor", manager=director, email="lead@example.com")
    people = [UserFactory(manager=lead, email=f"p{i}@example.com") for i in range(3)]
    return director, lead, people


@pytest.fixture
def course(db):
    return make_course(questions=2, title="Data protection")


def assign(learner, course, *, due: dt.date, assigned_on: dt.date | None = None, **kwargs):
    assigned_on = assigned_on or min(due, dt.date(2026, 1, 1))
    return AssignmentFactory(
        learner=learner, course=course, due_date=due, assigned_on=assigned_on, assigned_at=at(assigned_on), **kwargs
    )
