from __future__ import annotations

import datetime as dt
import random

import pytest

from assignments import demo
from assignments.models import Assignment, Completion, Exemption
from assignments.selectors.lifecycle import with_state
from courses.tests.factories import CourseFactory
from lms.demo import DemoOrg
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_org(learners: int = 24) -> DemoOrg:
    return DemoOrg(
        seed=1,
        rng=random.Random(1),
        today=dt.date.today(),
        admin=AdminFactory(),
        director=UserFactory(),
        departments={},
        learners=UserFactory.create_batch(learners),
    )


def test_demo_seed_creates_every_state_and_is_idempotent():
    for code in demo.CODES:
        CourseFactory(code=code, recertification_months=12)
    org = make_org()

    demo.seed(org)
    counts = (Assignment.objects.count(), Completion.objects.count(), Exemption.objects.count())
    demo.seed(org)

    assert (Assignment.objects.count(), Completion.objects.count(), Exemption.objects.count()) == counts
    states = set(with_state(Assignment.objects.all()).values_list("state", flat=True))
    assert {"due", "overdue", "completed", "archived", "exempt"} <= states
    twice = Completion.objects.filter(course_code="INFOSEC-101").values("learner").distinct().count()
    assert twice and Completion.objects.filter(course_code="INFOSEC-101").count() == 2 * twice


def test_demo_seed_skips_missing_courses():
    CourseFactory(code="GDPR-101")
    demo.seed(make_org(6))

    assert set(Assignment.objects.values_list("course_code", flat=True)) == {"GDPR-101"}
