"""Demo assignments for `seed_demo`: the demo courses assigned to the demo learners in every state
(due, overdue, completed, archived and re-assigned with two completions, exempt).

Idempotent: a learner who already has any assignment of a course is left alone. Courses that
courses/demo.py did not import are skipped. Rows are written directly (no notices are sent).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from assignments.evidence import new_certificate_number, new_verification_code
from assignments.models import Assignment, Completion, Exemption
from courses.models import Course
from courses.rules import compute_expiry

CODES = ["GDPR-101", "ABC-201", "HS-101", "INFOSEC-101"]


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)), dt.UTC)


def _assignment(learner, course, *, assigned_on, due_date, status=Assignment.Status.ASSIGNED, admin=None, **extra):
    return Assignment.objects.create(
        learner=learner,
        course=course,
        course_code=course.code,
        source=Assignment.Source.MANUAL,
        assigned_by=admin,
        assigned_at=_moment(assigned_on),
        assigned_on=assigned_on,
        due_date=due_date,
        status=status,
        **extra,
    )


def _complete(assignment, *, on: dt.date, score: int, previous_expiry=None) -> Completion:
    course = assignment.course
    when = _moment(on)
    Assignment.objects.filter(pk=assignment.pk).update(
        status=Assignment.Status.COMPLETED, started_at=when, completed_at=when
    )
    return Completion.objects.create(
        learner=assignment.learner,
        course=course,
        course_code=course.code,
        course_version=course.version,
        assignment=assignment,
        completed_at=when,
        score=score,
        certificate_number=new_certificate_number(course_code=course.code, completed_at=when),
        verification_code=new_verification_code(),
        expires_on=compute_expiry(course=course, completed_on=on, previous_expiry=previous_expiry),
        source=Completion.Source.EARNED,
        cpd_points=course.cpd_points,
    )


@transaction.atomic
def seed(org) -> None:
    courses = {}
    for code in CODES:
        course = Course.objects.filter(code=code, status=Course.Status.PUBLISHED).order_by("-version").first()
        if course is not None:
            courses[code] = course
    if not courses or not org.learners:
        return
    today = org.today
    admin = org.admin
    learners = org.learners
    taken = set(
        Assignment.objects.filter(learner__in=learners, course_code__in=list(courses)).values_list(
            "learner_id", "course_code"
        )
    )

    def free(learner, code: str) -> bool:
        return code in courses and (learner.pk, code) not in taken

    for index, learner in enumerate(learners):
        bucket = index % 6
        if free(learner, "GDPR-101"):
            # Most learners have GDPR due soon; every sixth is overdue.
            if bucket == 5:
                _assignment(
                    learner,
                    courses["GDPR-101"],
                    assigned_on=today - dt.timedelta(days=45),
                    due_date=today - dt.timedelta(days=15),
                    admin=admin,
                )
            else:
                _assignment(
                    learner,
                    courses["GDPR-101"],
                    assigned_on=today - dt.timedelta(days=5),
                    due_date=today + dt.timedelta(days=10 + index % 20),
                    admin=admin,
                )
        if free(learner, "ABC-201") and bucket in (0, 1, 2):
            done = _assignment(
                learner,
                courses["ABC-201"],
                assigned_on=today - dt.timedelta(days=90),
                due_date=today - dt.timedelta(days=60),
                admin=admin,
            )
            _complete(done, on=today - dt.timedelta(days=70 - bucket), score=80 + bucket * 5)
        if free(learner, "HS-101") and bucket == 3:
            _assignment(
                learner,
                courses["HS-101"],
                assigned_on=today - dt.timedelta(days=40),
                due_date=today - dt.timedelta(days=3),
                admin=admin,
                status=Assignment.Status.IN_PROGRESS,
                started_at=_moment(today - dt.timedelta(days=20)),
            )
        if free(learner, "INFOSEC-101") and bucket == 4 and index < 30:
            # Archived after last year's pass (annual clean slate), re-assigned and passed again.
            first = _assignment(
                learner,
                courses["INFOSEC-101"],
                assigned_on=today - dt.timedelta(days=420),
                due_date=today - dt.timedelta(days=390),
                admin=admin,
            )
            old = _complete(first, on=today - dt.timedelta(days=400), score=85)
            Assignment.objects.filter(pk=first.pk).update(
                archived_at=_moment(today - dt.timedelta(days=40)),
                archived_reason=Assignment.ArchiveReason.CLEAN_SLATE,
                archive_note="Annual refresh",
                archived_by=admin,
            )
            second = _assignment(
                learner,
                courses["INFOSEC-101"],
                assigned_on=today - dt.timedelta(days=40),
                due_date=today - dt.timedelta(days=10),
                admin=admin,
            )
            _complete(second, on=today - dt.timedelta(days=20), score=95, previous_expiry=old.expires_on)

    # Two learners on leave: exempt from everything, not overdue.
    for learner in learners[5:12:6]:
        if not Exemption.objects.filter(learner=learner).exists():
            Exemption.objects.create(
                learner=learner,
                starts_on=today - dt.timedelta(days=30),
                ends_on=today + dt.timedelta(days=60),
                reason=Exemption.Reason.PARENTAL_LEAVE,
                note="Demo: parental leave",
                approved_by=admin,
            )
