"""A small organisation whose report figures are worked out by hand in the tests.

Day D = 15 June 2026. Two courses: SAFE (expires after 12 months, 30-day renewal window) and CODE
(never expires). Director Dana has two team leads, Lee (p1..p5) and Kim (q1, q2); Olly is elsewhere.

    person  SAFE                                         CODE
    p1      compliant (expires D+200; done D-100)         due (D+10)
    p2      expiring (expires D+20)                       expired (expired D-5)
    p3      overdue (due D-10)                            exempt (failed, but excused from CODE)
    p4      failed (failed D-5; earlier cert archived)    -
    p5      exempt (overdue, excused from everything)     -
    q1      compliant (expires D+75)                      -
    q2      overdue (due D-3)                             -
    olly    overdue (due D-1)                             -
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import pytest

from assignments.models import Assignment
from courses.tests.factories import AssignmentFactory, CompletionFactory, ExemptionFactory, make_course
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")
D = dt.date(2026, 6, 15)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def days(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def assign(learner, course, *, due: dt.date, assigned: dt.date | None = None, **kwargs) -> Assignment:
    assigned = assigned or min(due, days(-60))
    return AssignmentFactory(
        learner=learner, course=course, due_date=due, assigned_on=assigned, assigned_at=at(assigned), **kwargs
    )


def complete(assignment: Assignment, *, on: dt.date, expires: dt.date | None):
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.COMPLETED, completed_at=at(on))
    return CompletionFactory(
        learner=assignment.learner,
        course=assignment.course,
        assignment=assignment,
        completed_at=at(on),
        expires_on=expires,
    )


@pytest.fixture
def org(db):
    sales = DepartmentFactory(name="Sales")
    ops = DepartmentFactory(name="Operations")
    admin = AdminFactory(email="admin@example.com", department=ops)
    director = UserFactory(email="dana@example.com", first_name="Dana", last_name="Director", department=sales)
    lee = UserFactory(email="lee@example.com", first_name="Lee", last_name="Lead", manager=director, department=sales)
    kim = UserFactory(email="kim@example.com", first_name="Kim", last_name="Lead", manager=director, department=sales)
    p = [
        UserFactory(
            email=f"p{i}@example.com", first_name=f"P{i}", last_name=f"Person{i}", manager=lee, department=sales
        )
        for i in range(1, 6)
    ]
    q = [
        UserFactory(email=f"q{i}@example.com", first_name=f"Q{i}", last_name=f"Queue{i}", manager=kim, department=sales)
        for i in range(1, 3)
    ]
    olly = UserFactory(email="olly@example.com", first_name="Olly", last_name="Outsider", department=ops)
    safe = make_course(code="SAFE", title="Safety basics", recertification_months=12, recertification_window_days=30)
    code = make_course(code="CODE", title="Code of conduct")

    a = SimpleNamespace()
    a.p1_safe = assign(p[0], safe, due=days(-110), assigned=days(-200))
    complete(a.p1_safe, on=days(-100), expires=days(200))
    a.p2_safe = assign(p[1], safe, due=days(-30))
    complete(a.p2_safe, on=days(-40), expires=days(20))
    a.p3_safe = assign(p[2], safe, due=days(-10))
    # p4: an earlier SAFE certificate (assignment archived for re-training at D-60), then a failed retake.
    a.p4_old = assign(p[3], safe, due=days(-390), assigned=days(-420))
    complete(a.p4_old, on=days(-400), expires=days(-35))
    Assignment.objects.filter(pk=a.p4_old.pk).update(archived_at=at(days(-60)), archived_reason="retraining")
    a.p4_safe = assign(p[3], safe, due=days(-20), assigned=days(-60))
    Assignment.objects.filter(pk=a.p4_safe.pk).update(status=Assignment.Status.FAILED, failed_at=at(days(-5)))
    a.p5_safe = assign(p[4], safe, due=days(-15))
    ExemptionFactory(learner=p[4], course_code="", starts_on=days(-20), approved_by=admin)
    a.p1_code = assign(p[0], code, due=days(10))
    a.p2_code = assign(p[1], code, due=days(-300), assigned=days(-400))
    complete(a.p2_code, on=days(-370), expires=days(-5))
    a.p3_code = assign(p[2], code, due=days(-8))
    Assignment.objects.filter(pk=a.p3_code.pk).update(status=Assignment.Status.FAILED, failed_at=at(days(-9)))
    ExemptionFactory(learner=p[2], course_code="CODE", starts_on=days(-2), approved_by=admin)
    a.q1_safe = assign(q[0], safe, due=days(-30))
    complete(a.q1_safe, on=days(-50), expires=days(75))
    a.q2_safe = assign(q[1], safe, due=days(-3))
    a.olly_safe = assign(olly, safe, due=days(-1))
    return SimpleNamespace(
        admin=admin,
        director=director,
        lee=lee,
        kim=kim,
        p=p,
        q=q,
        olly=olly,
        safe=safe,
        code=code,
        sales=sales,
        ops=ops,
        a=a,
    )
