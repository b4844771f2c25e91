"""Booster programmes for tests, built through the services (as an admin would)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from assignments.boosters.models import BoosterDelivery, BoosterProgramme
from assignments.boosters.services import ChoiceInput, programme_save, question_copy_from_quiz, question_create
from assignments.models import Assignment
from courses.models import Question
from courses.tests.factories import AssignmentFactory, CompletionFactory


def make_programme(
    course, *, schedule: list[int] | None = None, from_quiz: int = 2, written: int = 1, active: bool = True
) -> BoosterProgramme:
    programme = programme_save(
        course=course, is_active=False, schedule_days=schedule or [2, 7, 21], retention_threshold=60, actor=None
    )
    for source in Question.objects.filter(quiz__course=course).order_by("order", "pk")[:from_quiz]:
        question_copy_from_quiz(programme=programme, source_question=source, actor=None)
    for index in range(written):
        question_create(
            programme=programme,
            text=f"Written question {index}?",
            choices=[
                ChoiceInput(text=f"Good {index}", is_correct=True, feedback="Yes: that is the rule."),
                ChoiceInput(text=f"Bad {index}", is_correct=False, feedback="No: think again."),
            ],
            feedback="Why it matters.",
            good_application="Lock your screen when you leave your desk.",
            resource_title="Policy page",
            resource_url="https://intranet.example.com/policy",
            actor=None,
        )
    if active:
        programme = programme_save(
            course=course, is_active=True, schedule_days=schedule or [2, 7, 21], retention_threshold=60, actor=None
        )
    return programme


def complete(learner, course, *, at: dt.datetime):
    """A learner's completed assignment and its completion at ``at``."""
    assignment = AssignmentFactory(
        learner=learner,
        course=course,
        assigned_at=at - dt.timedelta(days=5),
        assigned_on=(at - dt.timedelta(days=5)).date(),
        due_date=at.date() + dt.timedelta(days=20),
        status=Assignment.Status.COMPLETED,
        completed_at=at,
    )
    return CompletionFactory(learner=learner, course=course, assignment=assignment, completed_at=at)


def queued_delivery(programme, completion, *, step: int = 1) -> BoosterDelivery:
    """A sent booster of ``completion`` (its programme's first question), as the nightly run leaves it."""
    now = timezone.now()
    return BoosterDelivery.objects.create(
        programme=programme,
        completion=completion,
        learner=completion.learner,
        step=step,
        question=programme.questions.order_by("order").first(),
        due_on=timezone.localdate(now),
        due_at=now,
        status=BoosterDelivery.Status.QUEUED,
        queued_at=now,
    )
