"""Demo SCORM play for `seed_demo` (called from assignments/demo.py): the SCORM course of
courses/scorm/demo.py assigned to the demo learner's team three weeks ago, and played through the
run-time services with the commits its page makes (courses/scorm/demo_package.py demo_commits), each
at its own past moment: passes (one after a failed first try), a fail, the demo learner half-way
through (resumes at the quiz), the rest not started.

Idempotent: a learner who has any assignment of the course is left alone.
"""

from __future__ import annotations

import datetime as dt
import uuid

import time_machine
from django.utils import timezone

from assignments.models import Assignment
from assignments.scorm_runtime.services import current_run, runtime_commit
from assignments.services.assign import DueMode, DueSpec, assignment_create
from courses.models import Course
from courses.scorm.demo import CODE
from courses.scorm.demo_package import QUIZ, demo_commits

ALL_RIGHT = {qid: right for qid, _text, _choices, right in QUIZ}
THREE_RIGHT = {**ALL_RIGHT, "q3_twist": "a"}
TWO_RIGHT = {**ALL_RIGHT, "q1_assess": "a", "q3_twist": "a"}

# Per member of the demo learner's team, in order: the tries (answers; None: read the lessons only).
PLAYS = [
    [None],  # the demo learner: lessons read, the quiz still to do
    [ALL_RIGHT],
    [TWO_RIGHT, THREE_RIGHT],
    [TWO_RIGHT],
    [THREE_RIGHT],
]


def _play(assignment: Assignment, item, answers: dict | None, *, at: dt.datetime) -> None:
    run = current_run(assignment=assignment, package=item.package)
    session = str(uuid.UUID(int=assignment.pk * 1000 + run))
    for seq, values in enumerate(demo_commits(answers=answers or {})):
        moment = at + dt.timedelta(minutes=3 * seq)
        with time_machine.travel(moment, tick=False):
            runtime_commit(
                assignment=assignment,
                item=item,
                run=run,
                session=session,
                seq=seq,
                data=values,
                elapsed=180,
                now=moment,
            )


def seed(org) -> int:
    course = Course.objects.filter(code=CODE, status=Course.Status.PUBLISHED).order_by("-version").first()
    if course is None or not org.learners:
        return 0
    package = course.scorm_packages.first()
    item = package.items.filter(is_sco=True).order_by("order", "pk").first() if package else None
    if item is None:
        return 0
    lead = org.learners[0].manager
    team = [p for p in org.learners if p.manager_id == lead.pk] if lead else org.learners[:1]
    taken = set(Assignment.objects.filter(course_code=CODE).values_list("learner_id", flat=True))
    start = timezone.make_aware(dt.datetime.combine(org.today - dt.timedelta(days=21), dt.time(9, 0)), dt.UTC)
    played = 0
    for index, learner in enumerate(team):
        if learner.pk in taken:
            continue
        with time_machine.travel(start, tick=False):
            assignment = assignment_create(
                course=course,
                learner=learner,
                due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=30),
                assigned_by=org.admin,
                notify=False,
            )
        tries = PLAYS[index] if index < len(PLAYS) else []
        for number, answers in enumerate(tries):
            _play(assignment, item, answers, at=start + dt.timedelta(days=2 + index + 4 * number, hours=index))
            played += 1
    return played
