"""Demo booster programme for `seed_demo` (called from assignments/demo.py): anti-bribery
(ABC-201) gets an active programme on the default spacing (2, 7, 21 and 60 days after the
completion) with the final assessment's single-answer questions copied in. The deliveries are
sent and answered by the simulated nights of escalation/demo.py, so the retention chart has a curve.

Idempotent: a course that has a programme already keeps it as it is.
"""

from __future__ import annotations

import datetime as dt
import zlib

from django.core.exceptions import ValidationError

from assignments.boosters.models import DEFAULT_SCHEDULE, BoosterChoice, BoosterDelivery, BoosterProgramme
from assignments.boosters.services import booster_answer, programme_save, question_copy_from_quiz
from courses.models import Course, Question, Quiz

COURSE_CODES = ["ABC-201"]
QUESTIONS = 6
# The share answered right at each step of the schedule: people forget a little more each time.
RIGHT_SHARE = [90, 78, 66, 55, 50, 50]
UNANSWERED_SHARE = 12


def seed(org) -> list[BoosterProgramme]:
    created = []
    for code in COURSE_CODES:
        course = Course.objects.filter(code=code, status=Course.Status.PUBLISHED).order_by("-version").first()
        if course is None or BoosterProgramme.objects.filter(course_code=code).exists():
            continue
        programme = programme_save(
            course=course,
            is_active=False,
            schedule_days=list(DEFAULT_SCHEDULE),
            retention_threshold=60,
            actor=org.admin,
        )
        copied = 0
        questions = Question.objects.filter(quiz__course=course, quiz__kind=Quiz.Kind.FINAL).order_by("order", "pk")
        for question in questions.select_related("quiz__course", "remediation_resource"):
            if copied == QUESTIONS:
                break
            try:
                question_copy_from_quiz(programme=programme, source_question=question, actor=org.admin)
            except ValidationError:
                continue  # not single choice: not a booster
            copied += 1
        if copied:
            programme = programme_save(
                course=course,
                is_active=True,
                schedule_days=list(DEFAULT_SCHEDULE),
                retention_threshold=60,
                actor=org.admin,
            )
        created.append(programme)
    return created


def _roll(*parts: int) -> int:
    """0-99, the same for the same delivery on every seed (the demo stays deterministic)."""
    return zlib.crc32(":".join(str(p) for p in parts).encode()) % 100


def answer_sent(
    *,
    night: dt.datetime,
    not_after: dt.datetime,
    first_right_emails: tuple[str, ...] = (),
    leave_open_emails: tuple[str, ...] = (),
) -> int:
    """The learners answer the boosters sent at ``night`` during that morning (call it with the clock
            set to ``night``): most right at the first step, fewer at later ones, some never answered. People
            named in ``first_right_emails`` answer all right; nobody answers after ``not_after`` (the real
        time: the morning after the last night may not have come yet), nor those in ``leave_open_emails``
    (their home page shows the question still open). Returns how many answers were recorded."""
    answered = 0
    sent = (
        BoosterDelivery.objects.filter(
            status=BoosterDelivery.Status.QUEUED, answered_at__isnull=True, queued_at__lte=night
        )
        .select_related("learner")
        .order_by("pk")
    )
    for delivery in sent:
        if delivery.queued_at < night - dt.timedelta(hours=20):
            continue  # not answered the day it came: it stays unanswered
        if delivery.learner.email in leave_open_emails:
            continue
        always_right = delivery.learner.email in first_right_emails
        if not always_right and _roll(delivery.pk, 0) < UNANSWERED_SHARE:
            continue
        choices = list(BoosterChoice.objects.filter(question_id=delivery.question_id).order_by("order", "pk"))
        right = always_right or _roll(delivery.pk, 1) < RIGHT_SHARE[min(delivery.step, len(RIGHT_SHARE)) - 1]
        pool = [c for c in choices if c.is_correct == right] or choices
        choice = pool[_roll(delivery.pk, 2) % len(pool)]
        at = night + dt.timedelta(hours=5, minutes=_roll(delivery.pk, 3) * 3)
        if at > not_after:
            continue
        via = BoosterDelivery.AnsweredVia.EMAIL if _roll(delivery.pk, 4) < 70 else BoosterDelivery.AnsweredVia.HOME
        booster_answer(delivery=delivery, choice_id=choice.pk, via=via, at=at)
        answered += 1
    return answered
