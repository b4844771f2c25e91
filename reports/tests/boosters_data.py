"""Booster programmes, questions and answered boosters written straight to the tables, for the
retention figures and the refresher offers (the figures read only these rows)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from assignments.boosters.models import BoosterChoice, BoosterDelivery, BoosterProgramme, BoosterQuestion


def programme(course, *, schedule=(2, 7, 21), threshold: int = 60, active: bool = True) -> BoosterProgramme:
    return BoosterProgramme.objects.create(
        course=course, is_active=active, schedule_days=list(schedule), retention_threshold=threshold
    )


def question(programme: BoosterProgramme, text: str, *, source=None, order: int = 0) -> BoosterQuestion:
    asked = BoosterQuestion.objects.create(programme=programme, text=text, source_question=source, order=order)
    BoosterChoice.objects.create(question=asked, text="Right", is_correct=True, order=0)
    BoosterChoice.objects.create(question=asked, text="Wrong", is_correct=False, order=1)
    return asked


def answer(
    completion, asked: BoosterQuestion, step: int, right: bool | None, *, at: dt.datetime | None = None
) -> BoosterDelivery:
    """Step ``step`` of ``completion``'s programme, sent, and answered right (True), wrong (False)
    or not answered (None)."""
    at = at or timezone.now()
    choice = None if right is None else asked.choices.filter(is_correct=right).order_by("order", "pk").first()
    return BoosterDelivery.objects.create(
        programme=asked.programme,
        completion=completion,
        learner_id=completion.learner_id,
        step=step,
        question=asked,
        due_on=at.date(),
        due_at=at,
        status=BoosterDelivery.Status.QUEUED,
        queued_at=at,
        answered_at=None if right is None else at,
        choice=choice,
        correct=right,
        answered_via="" if right is None else BoosterDelivery.AnsweredVia.EMAIL,
    )
