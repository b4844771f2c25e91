"""6. Boosters: the day's spaced question for each learner after a completion.

Two passes, both set-based and batched:

1. **Enrol.** Completions of a course whose booster programme is active, recent enough to have a
   step still to come, by an active learner whose assignment is not archived, and with no booster
   row yet: one *pending* row for their first step not yet past, dated on the learner's local day
   (``assignments.boosters.services`` has the rule). One anti-join query for every programme (each
   reaching back as far as its own schedule), one insert per batch.
2. **Claim and queue.** Pending rows whose local day has begun (``due_at <= as_of``: a learner in
   Sydney is due at their midnight, hours before one in London), read through the partial index
   ``booster_delivery_claim_idx`` in batches, locked with SKIP LOCKED. In the batch's one
   transaction each row is queued (question chosen, ``status=queued``) or skipped with its reason
   (left: inactive; archived: the assignment was archived; exempt that day; late: its day passed
   more than ``CATCHUP_DAYS`` ago, the programme having been paused), the next step's row is
   created, and the emails are written to the outbox (kind ``booster``, dedupe key
   ``booster:<delivery id>``). Each step is queued at most once: the row leaves *pending* in the
   transaction that writes its message, (completion, step) is unique and so is the dedupe key. A
   second run the same night finds nothing pending that is due.

Leavers and archived assignments get no further step; an exempt learner skips that day's step and
keeps the next. A learner due two boosters on one day (two courses) gets one; the other waits a
day. A dry run does the same work inside a transaction and rolls it back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from assignments.boosters.models import BoosterChoice, BoosterDelivery, BoosterProgramme, local_day_start, step_due_on
from assignments.boosters.services import answer_paths, pick_question, zone
from assignments.models import Completion
from courses.translations.selectors import digest, translations_by_language, whole_translation
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from escalation.selectors import excused_on, is_excused
from escalation.workflows.common import Summary, chunks, full_name
from lms.bulk import bulk_insert, bulk_update
from lms.lookups import AnyOf

CATCHUP_DAYS = 3
BATCH = 2000

Status = BoosterDelivery.Status
Skip = BoosterDelivery.SkipReason


def run_boosters(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("boosters", dry_run)
    summary.add_counts(notifications=0, enrolled=0, queued=0, skipped=0, postponed=0)
    # A real run commits batch by batch; a dry run does the same inside one transaction, rolled back.
    with transaction.atomic() if dry_run else contextlib.nullcontext():
        programmes = {
            p.pk: p
            for p in BoosterProgramme.objects.filter(is_active=True)
            .annotate(in_use=Count("questions", filter=Q(questions__is_active=True)))
            .filter(in_use__gt=0)
            .select_related("course")
        }
        if programmes:
            _enrol(programmes, as_of=as_of, summary=summary)
            _claim_and_queue(programmes, as_of=as_of, summary=summary)
        if dry_run:
            transaction.set_rollback(True)
    return summary


# --- 1. enrol ------------------------------------------------------------------------------


def _enrol(programmes: dict[int, BoosterProgramme], *, as_of: dt.datetime, summary: Summary) -> None:
    # One read for every programme (a programme per course code): each reached back as far as its
    # schedule, with a day of margin either side of the local days of every time zone.
    by_code = {p.course_code: p for p in programmes.values()}
    reach = {code: as_of - dt.timedelta(days=p.schedule_days[-1] + 2) for code, p in by_code.items()}
    in_reach = Q()
    for code, since in reach.items():
        in_reach |= Q(course_code=code, completed_at__gte=since)
    rows = (
        Completion.objects.filter(
            in_reach,
            # A completion is recorded when it happens (or later, when imported): the bound on
            # created_at lets completion_recorded_idx skip the years of older evidence.
            created_at__gte=min(reach.values()),
            completed_at__lte=as_of,
            assignment__isnull=False,
            assignment__archived_at__isnull=True,
            learner__is_active=True,
        )
        .exclude(Exists(BoosterDelivery.objects.filter(completion_id=OuterRef("pk"))))
        .values_list("course_code", "pk", "learner_id", "completed_at", "learner__timezone")
        # Programme by programme (course code), each one's completions in the order they were recorded.
        .order_by("course_code", "pk")
    )
    days = _LocalDays(as_of)
    # Read whole (a few thousand rows a night), not through a cursor: PostgreSQL planned the
    # cursor's query as a hash join against every active assignment (a full scan of the table),
    # where whole it looks up the assignment of each completion in reach not yet enrolled.
    for code, group in groupby(list(rows), key=itemgetter(0)):
        programme = by_code[code]
        schedule = list(programme.schedule_days)
        for batch in chunks(group, BATCH):
            new = []
            for _code, completion_id, learner_id, completed_at, timezone_name in batch:
                tz, today = days.zone(timezone_name)
                completed_on = completed_at.astimezone(tz).date()
                for step in range(1, len(schedule) + 1):
                    due_on = step_due_on(completed_on, schedule, step)
                    if due_on >= today:
                        new.append(
                            BoosterDelivery(
                                programme_id=programme.pk,
                                completion_id=completion_id,
                                learner_id=learner_id,
                                step=step,
                                due_on=due_on,
                                due_at=days.start(due_on, timezone_name),
                            )
                        )
                        break
            bulk_insert(new, ignore_conflicts=True)
            summary.add_counts(notifications=0, enrolled=len(new))


class _LocalDays:
    """Per time zone name (a few for thousands of learners): its zone and the learner's day at
    ``as_of``; per (day, zone): the instant that day starts."""

    def __init__(self, as_of: dt.datetime):
        self.as_of = as_of
        self._zones: dict[str, tuple[dt.tzinfo, dt.date]] = {}
        self._starts: dict[tuple[dt.date, str], dt.datetime] = {}

    def zone(self, name: str) -> tuple[dt.tzinfo, dt.date]:
        if name not in self._zones:
            tz = zone(name)
            self._zones[name] = (tz, timezone.localdate(self.as_of, timezone=tz))
        return self._zones[name]

    def start(self, day: dt.date, name: str) -> dt.datetime:
        key = (day, name)
        if key not in self._starts:
            self._starts[key] = local_day_start(day, self.zone(name)[0])
        return self._starts[key]


# --- 2. claim and queue --------------------------------------------------------------------

_FIELDS = (
    "pk",
    "programme_id",
    "completion_id",
    "learner_id",
    "step",
    "due_on",
    "learner__is_active",
    "learner__timezone",
    "learner__first_name",
    "learner__last_name",
    "completion__completed_at",
    "completion__assignment_id",
    "completion__assignment__archived_at",
    "learner__locale",
)


def _claim_and_queue(programmes: dict[int, BoosterProgramme], *, as_of: dt.datetime, summary: Summary) -> None:
    candidates = BoosterDelivery.objects.filter(
        status=Status.PENDING, due_at__lte=as_of, programme_id__in=list(programmes)
    ).order_by("due_at", "pk")
    run = _Run(programmes=programmes, questions=_questions(programmes), as_of=as_of, summary=summary)
    while True:
        with transaction.atomic():
            qs = candidates.exclude(pk__in=run.postponed_ids) if run.postponed_ids else candidates
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            batch = list(qs.values_list(*_FIELDS)[:BATCH])
            if not batch:
                return
            _queue_batch(batch, run)


@dataclass
class _Run:
    """What the batches of one run share: the programmes and their questions, and what the run
    has learnt so far (exemptions per day, learners already served, rows postponed)."""

    programmes: dict[int, BoosterProgramme]
    questions: dict[int, dict]
    as_of: dt.datetime
    summary: Summary
    excused_by_day: dict[dt.date, dict[int, set[str]]] = field(default_factory=dict)
    served: set[int] = field(default_factory=set)  # learners queued a booster in this run
    postponed_ids: set[int] = field(default_factory=set)
    # (programme, question, locale) -> what _in_language gives: a handful for thousands of rows.
    wording: dict[tuple[int, int, str | None], tuple[str, list, str]] = field(default_factory=dict)

    def __post_init__(self):
        self.days = _LocalDays(self.as_of)
        self.link = answer_paths()
        self.schedules = {pk: list(p.schedule_days) for pk, p in self.programmes.items()}

    def in_language(self, programme_id: int, question_id: int, locale: str | None) -> tuple[str, list, str]:
        key = (programme_id, question_id, locale)
        if key not in self.wording:
            course = self.programmes[programme_id].course
            self.wording[key] = _in_language(self.questions[programme_id], question_id, course, locale)
        return self.wording[key]


def _questions(programmes: dict[int, BoosterProgramme]) -> dict[int, dict]:
    """Per programme: its questions in use in order, each one's text and choices, and every text
    a learner reads of it (for its translations, courses.translations) (two queries)."""
    translations = translations_by_language(
        {p.course_id for p in programmes.values()}, ["course", "booster_question", "booster_choice"]
    )
    out: dict[int, dict] = {
        pk: {"order": [], "text": {}, "choices": {}, "texts": {}, "translations": translations} for pk in programmes
    }
    rows = (
        BoosterChoice.objects.filter(question__programme_id__in=list(programmes), question__is_active=True)
        .order_by("question__programme_id", "question__order", "question_id", "order", "pk")
        .values_list(
            "question__programme_id",
            "question_id",
            "question__text",
            "pk",
            "text",
            "question__feedback",
            "question__good_application",
            "question__resource_title",
            "feedback",
        )
    )
    for programme_id, question_id, text, choice_id, choice_text, feedback, good, resource, choice_feedback in rows:
        entry = out[programme_id]
        if question_id not in entry["text"]:
            entry["order"].append(question_id)
            entry["text"][question_id] = text
            entry["choices"][question_id] = []
            entry["texts"][question_id] = {
                ("booster_question", question_id, "text"): text,
                ("booster_question", question_id, "feedback"): feedback,
                ("booster_question", question_id, "good_application"): good,
                ("booster_question", question_id, "resource_title"): resource,
            }
        entry["choices"][question_id].append((choice_id, choice_text))
        entry["texts"][question_id][("booster_choice", choice_id, "text")] = choice_text
        entry["texts"][question_id][("booster_choice", choice_id, "feedback")] = choice_feedback
    return out


def _in_language(bank: dict, question_id: int, course, locale: str | None) -> tuple[str, list, str]:
    """The question, its choices and the course title as the learner reads them: in their language
    when the question and all its answers are translated into it (pick_language's rule), else in
    the course's own (what the answer page shows too: overlay_in_reader_language)."""
    main = (bank["text"][question_id], bank["choices"][question_id], course.title)
    if not locale or locale.split("-")[0] == course.language.split("-")[0]:
        return main
    tries = [locale] + [
        code for code, _n in settings.LANGUAGES if code != locale and code.split("-")[0] == locale.split("-")[0]
    ]
    for language in tries:
        rows = bank["translations"].get((course.pk, language))
        whole = whole_translation(rows, bank["texts"][question_id]) if rows else None
        if whole is None:
            continue
        title = rows.get(("course", course.pk, "title"))
        return (
            whole[("booster_question", question_id, "text")],
            [(pk, whole[("booster_choice", pk, "text")]) for pk, _text in bank["choices"][question_id]],
            title[0] if title and title[1] == digest(course.title) else course.title,
        )
    return main


def _queue_batch(batch, run: _Run) -> None:
    as_of = run.as_of
    completion_ids = {row[2] for row in batch}
    history: dict[int, list[tuple[int, int, bool | None]]] = {}
    for completion_id, step, question_id, correct in BoosterDelivery.objects.filter(
        AnyOf(F("completion_id"), list(completion_ids)), status=Status.QUEUED
    ).values_list("completion_id", "step", "question_id", "correct"):
        history.setdefault(completion_id, []).append((step, question_id, correct))

    updates: list[BoosterDelivery] = []
    next_rows: list[BoosterDelivery] = []
    messages: list[Outgoing] = []
    counts = {"queued": 0, "skipped": 0, "postponed": 0}
    for (
        pk,
        programme_id,
        completion_id,
        learner_id,
        step,
        due_on,
        is_active,
        timezone_name,
        first,
        last,
        completed_at,
        assignment_id,
        archived_at,
        locale,
    ) in batch:
        programme = run.programmes[programme_id]
        tz, today = run.days.zone(timezone_name)
        row = BoosterDelivery(pk=pk, due_on=due_on, step=step)
        follow_on = True
        if not is_active:
            row.status, row.skip_reason, follow_on = Status.SKIPPED, Skip.LEFT, False
        elif assignment_id is None or archived_at is not None:
            row.status, row.skip_reason, follow_on = Status.SKIPPED, Skip.ARCHIVED, False
        elif is_excused(_excused(run.excused_by_day, today), learner_id, programme.course_code):
            row.status, row.skip_reason = Status.SKIPPED, Skip.EXEMPT
        elif due_on < today - dt.timedelta(days=CATCHUP_DAYS):
            row.status, row.skip_reason = Status.SKIPPED, Skip.LATE
        elif learner_id in run.served:
            # One booster a day: this one waits for the learner's next day.
            row.status = Status.PENDING
            row.due_on = today + dt.timedelta(days=1)
            row.due_at = run.days.start(row.due_on, timezone_name)
            run.postponed_ids.add(pk)
            counts["postponed"] += 1
            updates.append(row)
            continue
        else:
            bank = run.questions[programme_id]
            picked = pick_question(history=history.get(completion_id, []), question_ids=bank["order"])
            if picked is None:
                row.status, row.skip_reason = Status.SKIPPED, Skip.NO_QUESTION
            else:
                question_id, again = picked
                row.status, row.question_id, row.is_repeat, row.queued_at = Status.QUEUED, question_id, again, as_of
                run.served.add(learner_id)
                question_text, choices, course_title = run.in_language(programme_id, question_id, locale)
                messages.append(
                    Outgoing(
                        recipient_id=learner_id,
                        kind=Notification.Kind.BOOSTER,
                        dedupe_key=f"booster:{pk}",
                        assignment_id=assignment_id,
                        context={
                            "delivery_id": pk,
                            "course": course_title,
                            "learner": full_name(first, last),
                            "question": question_text,
                            "again": again,
                            "step": step,
                            "choices": [{"text": text, "path": run.link(pk, choice_id)} for choice_id, text in choices],
                            "reason": "Booster question",
                        },
                    )
                )
        counts["queued" if row.status == Status.QUEUED else "skipped"] += 1
        updates.append(row)
        if follow_on:
            completed_on = completed_at.astimezone(tz).date()
            next_on = step_due_on(completed_on, run.schedules[programme_id], step + 1)
            if next_on is not None:
                next_on = max(next_on, today + dt.timedelta(days=1))
                next_rows.append(
                    BoosterDelivery(
                        programme_id=programme_id,
                        completion_id=completion_id,
                        learner_id=learner_id,
                        step=step + 1,
                        due_on=next_on,
                        due_at=run.days.start(next_on, timezone_name),
                    )
                )
    # lms.bulk.bulk_update: one statement joined to a JSON document per batch, stamping updated_at;
    # Django's bulk_update compiled a CASE WHEN per row and field (seconds of Python a night).
    queued_or_skipped = [r for r in updates if r.status != Status.PENDING]
    if queued_or_skipped:
        bulk_update(queued_or_skipped, ["status", "skip_reason", "question", "is_repeat", "queued_at"])
    waiting = [r for r in updates if r.status == Status.PENDING]
    if waiting:
        bulk_update(waiting, ["due_on", "due_at"])
    # lms.bulk.bulk_insert likewise: one JSON document, not a placeholder per value.
    bulk_insert(next_rows, ignore_conflicts=True)
    new = enqueue(messages)
    run.summary.add(new, **counts)


def _excused(cache: dict[dt.date, dict[int, set[str]]], day: dt.date) -> dict[int, set[str]]:
    if day not in cache:
        cache[day] = excused_on(day)
    return cache[day]
