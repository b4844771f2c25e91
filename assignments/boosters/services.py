"""Booster programmes: authoring, planning the steps, and recording answers.

Rules in plain words:

- **Schedule.** Step ``k`` of a completion is due on the learner's local day ``completed_on +
  schedule[k-1]`` (``completed_on`` is the completion's local day for that learner). A completion
  enrolled after some of its steps have passed starts at the first step not yet past. A learner
  gets at most one booster per local day: a second one due the same day waits for the next day.
- **Spaced repetition.** A question answered wrong comes back at the next step that is queued
  after the answer (it goes before any question not asked yet), marked "asked again". If an
  answer, right or wrong, leaves the completion with a question still owed (answered wrong when
  last asked) and no step still to come, one more step is added one *last gap* later (the gap
  between the last two steps of the schedule, or its only day), up to ``MAX_EXTRA_STEPS`` beyond
  the schedule: two questions answered wrong before the next step come back one after the other
  (a replay of remnoteio/remnote-issues#273, where a card owed again fell out of the queue).
  Otherwise questions go in the programme's order, the
  first not yet asked of this completion; when all have been asked, the one asked longest ago.
- **Answers.** Recorded once: the row's ``answered_at`` is set only where it is still empty
  (``filter(pk=..., answered_at=None).update(...) == 1``), so a replayed link or a second tab
  records nothing and shows the first answer.
- **Links.** Each answer in the email is a link carrying ``django.core.signing`` of the delivery
  id and the choice id (salt ``boosters.answer``), valid for ``LINK_MAX_AGE``. Nothing else in
  it: a changed id breaks the signature, so a link cannot answer another person's booster.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments.boosters.models import (
    BoosterChoice,
    BoosterDelivery,
    BoosterProgramme,
    BoosterQuestion,
    local_day_start,
    step_due_on,
)
from lms.audit import audit_record

LINK_SALT = "boosters.answer"
LINK_MAX_AGE = dt.timedelta(days=30)
MAX_EXTRA_STEPS = 3
MAX_STEPS = 12
MAX_DAYS = 3650
MIN_CHOICES, MAX_CHOICES = 2, 8


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# --- links ---------------------------------------------------------------------------------


class LinkInvalid(Exception):
    """The link was changed or was never ours."""


class LinkExpired(Exception):
    """The link is genuine but older than LINK_MAX_AGE."""


def answer_token(*, delivery_id: int, choice_id: int) -> str:
    return signing.dumps({"d": delivery_id, "c": choice_id}, salt=LINK_SALT, compress=True)


def answer_path(*, delivery_id: int, choice_id: int) -> str:
    return reverse("boosters:answer_link", args=[answer_token(delivery_id=delivery_id, choice_id=choice_id)])


_TOKEN_SLOT = "--token--"


def answer_paths() -> Callable[[int, int], str]:
    """``answer_path`` for many links (the nightly run writes thousands): one signer and one
    reversal of the URL for all of them, where a signer and a ``reverse`` per link were most of the
    run's Python. The same links: a token is URL-safe base64 with ':' and '.', which ``reverse``
    leaves as they are, and it is signed as ``signing.dumps`` signs."""
    signer = signing.TimestampSigner(salt=LINK_SALT)
    before, after = reverse("boosters:answer_link", args=[_TOKEN_SLOT]).split(_TOKEN_SLOT)

    def path(delivery_id: int, choice_id: int) -> str:
        return before + signer.sign_object({"d": delivery_id, "c": choice_id}, compress=True) + after

    return path


def read_answer_token(token: str) -> tuple[int, int]:
    """(delivery id, choice id) of a genuine, unexpired link; LinkExpired or LinkInvalid otherwise."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise LinkExpired from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise LinkInvalid from error
    if not isinstance(data, dict) or not isinstance(data.get("d"), int) or not isinstance(data.get("c"), int):
        raise LinkInvalid
    return data["d"], data["c"]


# --- authoring -----------------------------------------------------------------------------


def parse_schedule(value: str | list) -> list[int]:
    """ "2, 7, 21, 60" -> [2, 7, 21, 60]; ValidationError naming what is wrong."""
    parts = value if isinstance(value, list) else [p for p in str(value).replace(";", ",").split(",") if p.strip()]
    days: list[int] = []
    for part in parts:
        try:
            days.append(int(str(part).strip()))
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not a whole number of days.") % {"value": str(part).strip()}, code="schedule"
            ) from None
    if not days:
        raise ValidationError(_("Give at least one day, for example 2, 7, 21, 60."), code="schedule")
    if len(days) > MAX_STEPS:
        raise ValidationError(_("At most %(n)d steps.") % {"n": MAX_STEPS}, code="schedule")
    if any(d < 1 or d > MAX_DAYS for d in days):
        raise ValidationError(_("Each day must be between 1 and %(n)d.") % {"n": MAX_DAYS}, code="schedule")
    if any(b <= a for a, b in zip(days, days[1:], strict=False)):
        raise ValidationError(_("The days must increase, for example 2, 7, 21, 60."), code="schedule")
    return days


def programme_save(
    *,
    course,
    is_active: bool,
    schedule_days: list[int],
    retention_threshold: int,
    actor,
) -> BoosterProgramme:
    """Create or change the programme of ``course``'s code. A changed schedule re-dates the steps
    still waiting (steps beyond the new schedule are dropped); sent steps keep theirs."""
    schedule_days = parse_schedule(schedule_days)
    if not 0 <= int(retention_threshold) <= 100:
        raise ValidationError({"retention_threshold": _("The retention threshold must be between 0 and 100.")})
    with transaction.atomic():
        programme = BoosterProgramme.objects.select_for_update().filter(course_code=course.code).first()
        now = timezone.now()
        if is_active and programme is None:
            raise ValidationError({"is_active": _("Add at least one question before activating the programme.")})
        created = False
        if programme is None:
            # The lock above finds no row to lock for a course's first programme: two first saves
            # at once (a double click) both get here. The insert runs in a savepoint; the one that
            # loses on booster_programme_one_per_course (it waits for the winner's commit) locks the
            # winner's row and carries on as a change of it.
            try:
                with transaction.atomic():
                    programme = BoosterProgramme.objects.create(
                        course=course,
                        course_code=course.code,
                        is_active=False,
                        schedule_days=schedule_days,
                        retention_threshold=retention_threshold,
                        created_by=actor if getattr(actor, "pk", None) else None,
                    )
                created = True
            except IntegrityError:
                programme = BoosterProgramme.objects.select_for_update().filter(course_code=course.code).first()
                if programme is None:
                    raise
        if is_active and not programme.questions.filter(is_active=True).exists():
            raise ValidationError({"is_active": _("Add at least one question before activating the programme.")})
        if created:
            audit_record(
                actor=actor,
                action="create",
                obj_label="boosters.boosterprogramme",
                obj_id=programme.pk,
                changes={
                    "course": (None, course.code),
                    "schedule_days": (None, schedule_days),
                    "retention_threshold": (None, retention_threshold),
                },
            )
            return programme
        changes = {}
        if programme.is_active != is_active:
            changes["is_active"] = (programme.is_active, is_active)
        if list(programme.schedule_days) != schedule_days:
            changes["schedule_days"] = (list(programme.schedule_days), schedule_days)
        if programme.retention_threshold != int(retention_threshold):
            changes["retention_threshold"] = (programme.retention_threshold, int(retention_threshold))
        if not changes:
            return programme
        if is_active and not programme.is_active:
            programme.activated_at = now
        programme.is_active = is_active
        programme.schedule_days = schedule_days
        programme.retention_threshold = int(retention_threshold)
        programme.save()
        if "schedule_days" in changes:
            _redate_pending(programme)
        audit_record(
            actor=actor, action="change", obj_label="boosters.boosterprogramme", obj_id=programme.pk, changes=changes
        )
        return programme


def _redate_pending(programme: BoosterProgramme) -> None:
    """Re-date the steps still waiting after a schedule change, in batches (an admin's action on
    one programme: a query per batch)."""
    schedule = list(programme.schedule_days)
    last = 0
    while True:
        batch = list(
            BoosterDelivery.objects.filter(
                programme=programme, status=BoosterDelivery.Status.PENDING, step__lte=len(schedule), pk__gt=last
            )
            .select_related("completion", "learner")
            .order_by("pk")[:2000]
        )
        if not batch:
            break
        last = batch[-1].pk
        for row in batch:
            tz = zone(row.learner.timezone)
            completed_on = timezone.localdate(row.completion.completed_at, timezone=tz)
            row.due_on = step_due_on(completed_on, schedule, row.step)
            row.due_at = local_day_start(row.due_on, tz)
        BoosterDelivery.objects.bulk_update(batch, ["due_on", "due_at"], batch_size=500)
    BoosterDelivery.objects.filter(
        programme=programme, status=BoosterDelivery.Status.PENDING, step__gt=len(schedule)
    ).exclude(is_repeat=True).delete()


@dataclass(frozen=True)
class ChoiceInput:
    text: str
    is_correct: bool
    feedback: str = ""


def question_create(
    *,
    programme: BoosterProgramme,
    text: str,
    choices: list[ChoiceInput],
    feedback: str = "",
    good_application: str = "",
    resource_title: str = "",
    resource_url: str = "",
    source_question=None,
    actor,
) -> BoosterQuestion:
    choices = [c for c in choices if c.text.strip()]
    if not text.strip():
        raise ValidationError({"text": _("Write the question.")})
    if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        raise ValidationError(
            {"choices": _("Give between %(min)d and %(max)d answers.") % {"min": MIN_CHOICES, "max": MAX_CHOICES}}
        )
    if sum(1 for c in choices if c.is_correct) != 1:
        raise ValidationError({"choices": _("Mark exactly one answer as the right one.")})
    seen: set[str] = set()
    for choice in choices:
        key = " ".join(choice.text.split()).casefold()
        if key in seen:
            raise ValidationError(
                {
                    "choices": _(
                        "Two answers say the same thing (“%(text)s”): a learner could not tell them apart. "
                        "Make each answer different."
                    )
                    % {"text": " ".join(choice.text.split())[:80]}
                }
            )
        seen.add(key)
    with transaction.atomic():
        order = (programme.questions.aggregate(m=Max("order"))["m"] or 0) + 1
        question = BoosterQuestion(
            programme=programme,
            order=order,
            source_question=source_question,
            text=text.strip(),
            feedback=feedback.strip(),
            good_application=good_application.strip(),
            resource_title=resource_title.strip(),
            resource_url=resource_url.strip(),
        )
        question.full_clean()
        question.save()
        BoosterChoice.objects.bulk_create(
            [
                BoosterChoice(
                    question=question,
                    order=i,
                    text=c.text.strip()[:500],
                    is_correct=c.is_correct,
                    feedback=c.feedback.strip(),
                )
                for i, c in enumerate(choices, start=1)
            ]
        )
        audit_record(
            actor=actor,
            action="create",
            obj_label="boosters.boosterquestion",
            obj_id=question.pk,
            changes={
                "programme": (None, programme.course_code),
                "text": (None, question.text),
                "from_quiz_question": (None, source_question.pk if source_question else None),
                # Text, not a list: the audit trail shows it as it is ("1. ...; 2. ...").
                "choices": (None, "; ".join(f"{i}. {c.text.strip()}" for i, c in enumerate(choices, start=1))),
                "right_answer": (None, next(c.text for c in choices if c.is_correct)),
            },
        )
    return question


def question_add(*, course, actor, **question) -> BoosterQuestion:
    """A question written for ``course``'s programme (``question_create``'s arguments but the
    programme), the programme made first, inactive on the default schedule, when the course has
    none; one transaction, so a question refused leaves no programme made for it behind."""
    with transaction.atomic():
        programme = BoosterProgramme.objects.filter(course_code=course.code).first() or programme_save(
            course=course,
            is_active=False,
            schedule_days=[2, 7, 21, 60],
            retention_threshold=60,
            actor=actor,
        )
        return question_create(programme=programme, actor=actor, **question)


def question_copy_from_quiz(*, programme: BoosterProgramme, source_question, actor) -> BoosterQuestion:
    """Copy a question of the course's quiz (text, choices, feedback; the remediation resource
    becomes the resource link). A quiz question with other than one right answer cannot be a
    booster (boosters are single choice)."""
    if source_question.quiz.course.code != programme.course_code:
        raise ValidationError({"source_question": _("Pick a question of this course's quiz.")})
    if programme.questions.filter(source_question=source_question, is_active=True).exists():
        raise ValidationError({"source_question": _("This quiz question is already in the programme.")})
    choices = [
        ChoiceInput(text=c.text, is_correct=c.is_correct, feedback=c.feedback)
        for c in source_question.choices.order_by("order", "pk")
    ]
    resource = source_question.remediation_resource
    return question_create(
        programme=programme,
        text=source_question.text,
        choices=choices,
        feedback=source_question.explanation,
        resource_title=resource.title if resource else "",
        resource_url=(resource.url or "") if resource else "",
        source_question=source_question,
        actor=actor,
    )


def question_retire(*, question: BoosterQuestion, actor) -> None:
    """Stop sending a question; its answers stay. Questions are not edited once written: what a
    learner was asked stays what they answered (retire it and write a new one instead)."""
    with transaction.atomic():
        if not BoosterQuestion.objects.filter(pk=question.pk, is_active=True).update(is_active=False):
            return
        audit_record(
            actor=actor,
            action="change",
            obj_label="boosters.boosterquestion",
            obj_id=question.pk,
            changes={"is_active": (True, False)},
            reason="Retired",
        )


# --- choosing the question of a step -------------------------------------------------------


def pick_question(*, history: list[tuple[int, int, bool | None]], question_ids: list[int]) -> tuple[int, bool] | None:
    """The question for the next step of one completion, and whether it is asked again.

    ``history``: (step, question id, correct) of its queued steps; ``question_ids``: the
    programme's questions in use, in order. See the module docstring for the rule."""
    if not question_ids:
        return None
    last_seen = _last_seen(history)
    owed = owed_questions(history=history, question_ids=question_ids)
    if owed:
        return owed[0], True
    for qid in question_ids:
        if qid not in last_seen:
            return qid, False
    return min(question_ids, key=lambda qid: (last_seen[qid][0], question_ids.index(qid))), False


def _last_seen(history: list[tuple[int, int, bool | None]]) -> dict[int, tuple[int, bool | None]]:
    last_seen: dict[int, tuple[int, bool | None]] = {}
    for step, question_id, correct in sorted(history):
        last_seen[question_id] = (step, correct)
    return last_seen


def owed_questions(*, history: list[tuple[int, int, bool | None]], question_ids: list[int]) -> list[int]:
    """The questions in use answered wrong when last asked, the earliest asked first (the arguments
    as for ``pick_question``)."""
    in_use = set(question_ids)
    owed = sorted(
        (step, qid) for qid, (step, correct) in _last_seen(history).items() if correct is False and qid in in_use
    )
    return [qid for _step, qid in owed]


# --- answering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerResult:
    delivery: BoosterDelivery
    recorded: bool  # False: it was already answered (the first answer stands)


def booster_answer(
    *, delivery: BoosterDelivery, choice_id: int, via: str, at: dt.datetime | None = None
) -> AnswerResult:
    """Record the learner's answer once. ``delivery`` is already scoped to the learner (by the
    signed link or by their session). A choice not of the delivery's question is refused."""
    at = at or timezone.now()
    if delivery.status != BoosterDelivery.Status.QUEUED or delivery.question_id is None:
        raise ValidationError({"choice": _("This booster has not been sent.")})
    choice = BoosterChoice.objects.filter(pk=choice_id, question_id=delivery.question_id).first()
    if choice is None:
        raise ValidationError({"choice": _("Choose one of the answers shown.")})
    with transaction.atomic():
        recorded = (
            BoosterDelivery.objects.filter(
                pk=delivery.pk, answered_at__isnull=True, status=BoosterDelivery.Status.QUEUED
            ).update(answered_at=at, choice=choice, correct=choice.is_correct, answered_via=via, updated_at=at)
            == 1
        )
        if recorded:
            _make_room_to_ask_again(delivery=delivery, at=at)
    delivery.refresh_from_db()
    return AnswerResult(delivery=delivery, recorded=recorded)


def _make_room_to_ask_again(*, delivery: BoosterDelivery, at: dt.datetime) -> None:
    """An answer that leaves a question owed and no step still to come adds one, a last gap later
    (at most MAX_EXTRA_STEPS beyond the schedule). Up to three queries, one when a step is pending."""
    if BoosterDelivery.objects.filter(
        completion_id=delivery.completion_id, status=BoosterDelivery.Status.PENDING
    ).exists():
        return
    history = list(
        BoosterDelivery.objects.filter(
            completion_id=delivery.completion_id, status=BoosterDelivery.Status.QUEUED, question_id__isnull=False
        ).values_list("step", "question_id", "correct")
    )
    question_ids = list(
        BoosterQuestion.objects.filter(programme_id=delivery.programme_id, is_active=True)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    if not owed_questions(history=history, question_ids=question_ids):
        return
    programme = delivery.programme
    schedule = list(programme.schedule_days)
    last_step = BoosterDelivery.objects.filter(completion_id=delivery.completion_id).aggregate(m=Max("step"))["m"] or 0
    if last_step >= len(schedule) + MAX_EXTRA_STEPS:
        return
    gap = schedule[-1] - schedule[-2] if len(schedule) > 1 else schedule[-1]
    tz = zone(delivery.learner.timezone)
    due_on = timezone.localdate(at, timezone=tz) + dt.timedelta(days=gap)
    BoosterDelivery.objects.bulk_create(
        [
            BoosterDelivery(
                programme=programme,
                completion_id=delivery.completion_id,
                learner_id=delivery.learner_id,
                step=last_step + 1,
                due_on=due_on,
                due_at=local_day_start(due_on, tz),
                is_repeat=True,
            )
        ],
        ignore_conflicts=True,
    )
