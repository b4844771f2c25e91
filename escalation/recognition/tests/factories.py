from __future__ import annotations

import datetime as dt

from assignments.models import Assignment
from courses.tests.factories import CompletionFactory
from escalation.recognition.models import Badge
from escalation.tests.conftest import assign, at


def badge(criteria=Badge.Rule.COURSE_PASSED, **fields) -> Badge:
    fields.setdefault("name", f"Badge {criteria}")
    fields.setdefault("description", "For doing it well.")
    return Badge.objects.create(criteria=criteria, **fields)


def completed(learner, course, *, on: dt.date, hour: int = 10):
    """An assignment completed on ``on`` with its completion (valid, no expiry)."""
    assignment = assign(learner, course, due=on + dt.timedelta(days=10), status=Assignment.Status.COMPLETED)
    completion = CompletionFactory(learner=learner, course=course, assignment=assignment, completed_at=at(on, hour))
    return assignment, completion
