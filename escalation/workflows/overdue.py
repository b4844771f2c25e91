"""3. The overdue ladder: each step of the policy fires once per deadline, on the day the
assignment has been overdue for that many days (or the first run after, should a night be missed),
telling the people the step names, and issuing a formal warning letter if it says so.

Overdue means the learner's local date is after the effective deadline: the due date, or the
retake deadline given after a failure when that is later. Exempt learners are skipped. Days are
counted as the editor says: the day after the deadline is day 1 overdue, so a step at day 7 fires
7 days after the deadline and its messages say "7 days overdue" (a step saved at day 0 before
steps started at 1 fires on day 1).

Progress belongs to a deadline, not to the assignment: when the due date or retake deadline moves
(an exemption return, an admin, a retake deadline), a database trigger clears ``ladder_days`` (and
``reminded_days``; migration assignments 0006), and every dedupe key, letter reference and case-file
key carries the deadline, so the steps fire again for the new deadline and never twice for one.

Claim, then write: for each local date and policy, the candidates of every step are claimed at
once, in batches, by setting the assignment's ``ladder_days`` marker to the last step its deadline
has reached (an index on it keeps the steps already taken out of every later read; one read for
all the steps, where a read per step visited mostly the same table pages again); then each step,
in order, is taken for the claimed assignments it is due for (a missed night catches up several),
and its rows are written set-based in the same transaction with
``INSERT ... SELECT ... ON CONFLICT DO NOTHING``, so no row is built in Python (a night after a
backlog writes hundreds of thousands): the step's outbox rows for every recipient in one statement
that reads the batch once (role after role, each in assignment order, as one statement per role
wrote them), its warning letters and case-file events one statement per kind. The dedupe keys
still make every insert idempotent should a marker ever be reset.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django.db.models import (
    Case,
    CharField,
    DateField,
    F,
    JSONField,
    PositiveSmallIntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest, JSONObject, Replace, Substr, Trim
from django.utils import timezone

from escalation.models import EscalationEvent, Notification, WarningLetter
from escalation.selectors import excused_on, open_assignments, policy_scopes, timezones_by_local_date
from escalation.workflows.common import Summary, assignments, claim_and_write, full_name
from escalation.workflows.sql import (
    DayMonthYear,
    DaysBetween,
    IsoDate,
    JSONBool,
    days_word,
    insert_from_select,
    insert_variants_from_select,
)
from lms.dates import add_days, record_day

NOTIFICATION_COLUMNS = {
    "n_recipient": "recipient",
    "n_kind": "kind",
    "n_assignment": "assignment",
    "n_dedupe_key": "dedupe_key",
    "n_context": "context",
    "n_status": "status",
    "n_send_after": "send_after",
    "n_tries": "tries",
    "n_last_error": "last_error",
    "n_claim_token": "claim_token",
    "n_created_at": "created_at",
    "n_updated_at": "updated_at",
}
EVENT_COLUMNS = {
    "e_assignment": "assignment",
    "e_kind": "kind",
    "e_level": "level",
    "e_dedupe_key": "dedupe_key",
    "e_reason": "reason",
    "e_detail": "detail",
    "e_occurred_at": "occurred_at",
}
LETTER_COLUMNS = {
    "w_assignment": "assignment",
    "w_step_days_overdue": "step_days_overdue",
    "w_reference": "reference",
    "w_issued_at": "issued_at",
    "w_deadline_missed": "deadline_missed",
    "w_new_deadline": "new_deadline",
    "w_manager": "manager",
}
# How the outbox key of a warning letter to the learner ends (a copy's ends in "manager").
LEARNERS_LETTER = "learner"
SAMPLE_FIELDS = (
    "pk",
    "learner_id",
    "learner__first_name",
    "learner__last_name",
    "learner__manager_id",
    "learner__manager__manager_id",
    "course__title",
    "days",
    "deadline",
)


def run_overdue_ladder(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("overdue_ladder", dry_run)
    now = timezone.now()
    scopes = policy_scopes()
    for today, zones in timezones_by_local_date(as_of).items():
        excused = excused_on(today)
        for scope in scopes:
            if not scope.steps:
                continue
            open_ = open_assignments(day=today, timezone_names=zones, scope=scope, excused=excused)
            due = {step.pk: _due(step, today) for step in scope.steps}
            if dry_run:
                for level, step in enumerate(scope.steps, start=1):
                    options = {"scope": scope, "step": step, "level": level, "today": today, "as_of": as_of}
                    candidates = open_.filter(due[step.pk]).order_by()
                    _escalate(_rows(candidates, today), dry_run=True, summary=summary, now=now, **options)
                continue
            candidates = open_.filter(reduce(or_, due.values())).order_by()
            _claim_and_escalate(candidates, scope=scope, today=today, as_of=as_of, now=now, summary=summary)
    return summary


def _cutoff(step, today: dt.date) -> dt.date:
    """The latest deadline a step is due for on ``today``."""
    return today - dt.timedelta(days=first_day(step.days_overdue))


def _deadline_passed(cutoff: dt.date) -> Q:
    """The deadline (the due date, or a later retake deadline) on or before ``cutoff``."""
    return Q(due_date__lte=cutoff) & (Q(retake_deadline__isnull=True) | Q(retake_deadline__lte=cutoff))


def _due(step, today: dt.date) -> Q:
    """The assignments a step is due for on ``today``: not taken yet (the ladder index keeps the
    steps already taken out of the read: a quiet night reads only what is new, however long the
    case files grow), and the deadline that many days past."""
    return (Q(ladder_days__isnull=True) | Q(ladder_days__lt=step.days_overdue)) & _deadline_passed(_cutoff(step, today))


def _claim_and_escalate(candidates: QuerySet, *, scope, today: dt.date, as_of, now, summary: Summary) -> None:
    """Claim the candidates of every step of a local date and policy at once, each marked with
    the last step its deadline has reached, then take the steps in order, each for the claimed
    assignments it is due for (a missed night catches up several), as when each step was claimed
    on its own (module docstring)."""
    cutoffs = [(step, _cutoff(step, today)) for step in scope.steps]
    reached = Case(
        *[
            When(_deadline_passed(cutoff), then=Value(step.days_overdue))
            for step, cutoff in sorted(cutoffs, key=lambda item: item[0].days_overdue, reverse=True)
        ],
        output_field=PositiveSmallIntegerField(),
    )

    def write(claimed: list[tuple]) -> None:
        for level, (step, cutoff) in enumerate(cutoffs, start=1):
            ids = [
                pk
                for pk, taken, due_date, retake in claimed
                if (taken is None or taken < step.days_overdue)
                and due_date <= cutoff
                and (retake is None or retake <= cutoff)
            ]
            if ids:
                options = {"scope": scope, "step": step, "level": level, "today": today, "as_of": as_of}
                _escalate(_rows(assignments(ids), today), dry_run=False, summary=summary, now=now, **options)

    claim_and_write(candidates, write, fields=("ladder_days", "due_date", "retake_deadline"), ladder_days=reached)


def first_day(days_overdue: int) -> int:
    """The number of days after the deadline on which a step fires: its own number (day 1 is the
    first day overdue); a step saved as day 0 fires on day 1 (the deadline day is not overdue)."""
    return max(days_overdue, 1)


def _rows(qs: QuerySet, today: dt.date) -> QuerySet:
    return (
        qs.annotate(deadline=Greatest("due_date", Coalesce("retake_deadline", "due_date"), output_field=DateField()))
        .annotate(days=DaysBetween(Value(today), F("deadline")))
        .order_by()
    )


def _deadline_tag():
    """The deadline as YYYYMMDD, for the keys and references of one deadline's steps."""
    return Replace(IsoDate(F("deadline")), Value("-"), Value(""))


def _recipients(step, officer_id: int | None) -> list[tuple[str, F | Value, Q]]:
    """(role, recipient, condition) for each person above the learner the step tells: never the
    learner themself, never nobody."""
    roles = []
    if step.notify_manager:
        roles.append(
            (
                "manager",
                F("learner__manager_id"),
                Q(learner__manager__isnull=False) & ~Q(learner__manager_id=F("learner_id")),
            )
        )
    if step.notify_managers_manager:
        roles.append(
            (
                "managers_manager",
                F("learner__manager__manager_id"),
                Q(learner__manager__manager__isnull=False) & ~Q(learner__manager__manager_id=F("learner_id")),
            )
        )
    if step.notify_compliance_officer and officer_id:
        roles.append(("compliance_officer", Value(officer_id), ~Q(learner_id=officer_id)))
    return roles


def _once_per_person(roles: list[tuple[str, F | Value, Q]]) -> list[tuple[str, F | Value, Q]]:
    """The roles with each condition narrowed so that a person who holds several of them (the
    manager's manager who is also the compliance officer) gets the step's message once, in the
    first role: one outbox row per person, learner and step."""
    narrowed = []
    for index, (role, recipient, condition) in enumerate(roles):
        for _earlier, other, _ in roles[:index]:
            same = _same_person(recipient, other)
            if same is True:
                break
            if same is not False:
                condition &= ~same
        else:
            narrowed.append((role, recipient, condition))
    return narrowed


def _same_person(a: F | Value, b: F | Value) -> Q | bool:
    if isinstance(a, Value) and isinstance(b, Value):
        return a.value == b.value
    if isinstance(a, Value):
        a, b = b, a
    if isinstance(b, Value):
        return Q(**{a.name: b.value})
    return Q(**{a.name: F(b.name), f"{b.name}__isnull": False})


def _joined(pieces: list) -> Substr | Value:
    """The concatenation of ", x" pieces without the leading ", " ('' when none)."""
    if not pieces:
        return Value("")
    return Substr(pieces[0] if len(pieces) == 1 else Concat(*pieces, output_field=CharField()), 3)


# Who a step told, as the case file says it: "the manager and the manager's manager".
ROLE_WORDS = {
    "manager": "the manager",
    "managers_manager": "the manager's manager",
    "compliance_officer": "the compliance officer",
}
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]


def in_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def ordinal(level: int) -> str:
    return ORDINALS[level - 1] if level <= len(ORDINALS) else f"{level}th"


def step_reason_tail(level: int, step_day: int) -> str:
    """What a ladder message's reason says after its number of days: " overdue (third escalation
    step, the one for day 14)". ``_escalate`` writes it in SQL after the days the database counts,
    ``_sample`` in Python for the preview: both through here, so they agree."""
    return f" overdue ({ordinal(level)} escalation step, the one for day {step_day})"


def _told_in_words(roles: list[tuple[str, F | Value, Q]]) -> Case | Value:
    """Whom the step told, in words, as one CASE over which of its roles had someone to tell (at
    most three roles, so at most seven cases); "nobody else" when none had. Larger sets of roles
    are tried first, so the first that holds is exactly the roles that held (no negated
    condition, which a NULL manager would make unknown)."""
    if not roles:
        return Value("nobody else")
    sets = [[index for index in range(len(roles)) if mask & (1 << index)] for mask in range(1, 1 << len(roles))]
    whens = []
    for chosen in sorted(sets, key=len, reverse=True):
        condition = Q()
        for index in chosen:
            condition &= roles[index][2]
        whens.append(When(condition, then=Value(in_words([ROLE_WORDS[roles[index][0]] for index in chosen]))))
    return Case(*whens, default=Value("nobody else"), output_field=CharField())


def _escalate(
    candidates: QuerySet,
    *,
    scope,
    step,
    level: int,
    today: dt.date,
    as_of: dt.datetime,
    now: dt.datetime,
    dry_run: bool,
    summary: Summary,
) -> None:
    days = step.days_overdue
    officer = scope.policy.compliance_officer
    roles = _recipients(step, officer.pk if officer else None)
    new_deadline = add_days(today, step.new_deadline_days)
    learner = Trim(Concat("learner__first_name", Value(" "), "learner__last_name", output_field=CharField()))
    # Keys and references carry the deadline: a moved deadline gets its own steps (module docstring).
    key = Concat(
        Value("overdue:"),
        Cast("pk", CharField()),
        Value(":"),
        _deadline_tag(),
        Value(f":{days}:"),
        output_field=CharField(),
    )
    reference = Concat(
        Value("WL-"), Cast("pk", CharField()), Value(f"-{days}-"), _deadline_tag(), output_field=CharField()
    )
    context = {
        "learner": learner,
        "first_name": F("learner__first_name"),
        "course": F("course__title"),
        "course_code": F("course_code"),
        "compliance_critical": JSONBool(F("course__compliance_critical")),
        "due_date": IsoDate(F("deadline")),
        "days_overdue": F("days"),
        "level": Value(level),
        # The step's day: the notifications page says "the one for day 14" in the reader's language
        # (escalation.details), as the English record below does.
        "step_day": Value(first_day(days)),
        "reason": Concat(
            Cast("days", CharField()),
            days_word("days"),
            Value(step_reason_tail(level, first_day(days))),
            output_field=CharField(),
        ),
    }
    letter_context = {
        **context,
        "reference": reference,
        "new_deadline": Value(new_deadline.isoformat()),
        "reason": Concat(Value("formal warning letter "), reference, output_field=CharField()),
    }

    def message(kind: str, recipient, dedupe_key, fields: dict) -> dict:
        return {
            "n_recipient": recipient,
            "n_kind": Value(kind),
            "n_assignment": F("pk"),
            "n_dedupe_key": dedupe_key,
            "n_context": JSONObject(**fields),
            "n_status": Value(Notification.Status.PENDING.value),
            "n_send_after": Value(now),
            "n_tries": Value(0),
            "n_last_error": Value(""),
            "n_claim_token": Value(""),
            "n_created_at": Value(now),
            "n_updated_at": Value(now),
        }

    # What goes out, role by role: (condition on the row, or None for every row; annotations).
    outgoing: list[tuple[Q | None, dict]] = []
    if step.notify_learner:
        outgoing.append(
            (None, message(Notification.Kind.OVERDUE, F("learner_id"), Concat(key, Value("learner")), context))
        )
    for role, recipient, condition in _once_per_person(roles):
        outgoing.append(
            (
                condition,
                message(
                    Notification.Kind.ESCALATION, recipient, Concat(key, Value(role)), {**context, "role": Value(role)}
                ),
            )
        )
    letter_key = Concat(Value("letter:"), reference, Value(":"), output_field=CharField())
    if step.warning_letter:
        outgoing.append(
            (
                None,
                message(
                    Notification.Kind.WARNING_LETTER,
                    F("learner_id"),
                    Concat(letter_key, Value(LEARNERS_LETTER)),
                    letter_context,
                ),
            )
        )
        outgoing.append(
            (
                Q(learner__manager__isnull=False),
                message(
                    Notification.Kind.WARNING_LETTER,
                    F("learner__manager_id"),
                    Concat(letter_key, Value("manager")),
                    {**letter_context, "is_copy": JSONBool(Value(True))},
                ),
            )
        )

    if not _sample(
        candidates,
        step=step,
        level=level,
        roles=[role for role, _, _ in roles],
        officer_id=officer.pk if officer else None,
        summary=summary,
    ):
        return  # nothing to do for this step

    notifications, learner_letters = enqueue(outgoing, candidates=candidates, dry_run=dry_run)

    events = 0
    if step.warning_letter:
        insert_from_select(
            WarningLetter,
            candidates.annotate(
                w_assignment=F("pk"),
                w_step_days_overdue=Value(days),
                w_reference=reference,
                w_issued_at=Value(as_of),
                w_deadline_missed=F("deadline"),
                w_new_deadline=Value(new_deadline),
                w_manager=F("learner__manager_id"),
            ),
            LETTER_COLUMNS,
            unique=("reference", "w_reference"),
            dry_run=dry_run,
        )
        events += insert_from_select(
            EscalationEvent,
            candidates.annotate(
                e_assignment=F("pk"),
                e_kind=Value(EscalationEvent.Kind.WARNING_LETTER.value),
                e_level=Value(level),
                e_dedupe_key=Concat(Value("letter:"), reference, output_field=CharField()),
                e_reason=Concat(
                    Value("Formal warning letter "),
                    reference,
                    Value(f" issued; new deadline {record_day(new_deadline)}."),
                    output_field=CharField(),
                ),
                e_detail=JSONObject(reference=reference),
                e_occurred_at=Value(as_of),
            ),
            EVENT_COLUMNS,
            unique=("dedupe_key", "e_dedupe_key"),
            dry_run=dry_run,
        )

    told_json = _joined(
        [Case(When(condition, then=Value(f', "{role}"')), default=Value("")) for role, _, condition in roles]
    )
    escalated = insert_from_select(
        EscalationEvent,
        candidates.annotate(
            e_assignment=F("pk"),
            e_kind=Value(EscalationEvent.Kind.ESCALATED.value),
            e_level=Value(level),
            e_dedupe_key=Concat(
                Value("escalated:"),
                Cast("pk", CharField()),
                Value(":"),
                _deadline_tag(),
                Value(f":{days}"),
                output_field=CharField(),
            ),
            e_reason=Concat(
                Cast("days", CharField()),
                days_word("days"),
                Value(" past the deadline of "),
                DayMonthYear(F("deadline")),
                Value(f": the {ordinal(level)} escalation step told "),
                _told_in_words(roles),
                output_field=CharField(),
            ),
            e_detail=Cast(
                Concat(Value('{"told": ['), told_json, Value(f'], "step_days": {days}}}'), output_field=CharField()),
                JSONField(),
            ),
            e_occurred_at=Value(as_of),
        ),
        EVENT_COLUMNS,
        unique=("dedupe_key", "e_dedupe_key"),
        dry_run=dry_run,
    )
    summary.add_counts(
        notifications=notifications, events=events + escalated, escalated=escalated, letters=learner_letters
    )


def enqueue(outgoing: list[tuple[Q | None, dict]], *, candidates: QuerySet, dry_run: bool = False) -> tuple[int, int]:
    """Write a step's outbox rows: (new rows, new warning letters to learners). ``outgoing`` is
    one (condition, annotations) per kind and recipient role, written in that order, each role's
    rows in assignment order (``insert_variants_from_select``): one INSERT that reads the claimed
    batch once, where one INSERT per role read it (and joined its people and courses) again for
    each. The dispatcher lists a recipient's rows of one kind by id, so their order is kept.
    Named after ``escalation.outbox.enqueue``, whose place it takes here (lms/tests/test_faults.py
    kills a run right after this first write)."""
    keys = insert_variants_from_select(
        Notification,
        candidates,
        NOTIFICATION_COLUMNS,
        outgoing,
        unique=("dedupe_key", "n_dedupe_key"),
        dry_run=dry_run,
    )
    letter_to_learner = f":{LEARNERS_LETTER}"
    learner_letters = sum(1 for key in keys if key.startswith("letter:") and key.endswith(letter_to_learner))
    return len(keys), learner_letters


def _sample(
    candidates: QuerySet, *, step, level: int, roles: list[str], officer_id: int | None, summary: Summary
) -> bool:
    """Up to 50 of the messages this step sends, for the preview page (one small query, which also
    tells whether the step has any candidate at all)."""
    samples = []
    rows = list(candidates.order_by("pk").values_list(*SAMPLE_FIELDS)[: Summary.SAMPLES])
    for pk, learner_id, first, last, manager_id, grand_id, title, days, deadline in rows:
        learner = full_name(first, last)
        reason = f"{days} {'day' if days == 1 else 'days'}{step_reason_tail(level, first_day(step.days_overdue))}"
        if step.notify_learner:
            samples.append((learner_id, Notification.Kind.OVERDUE, reason, learner, title))
        told = set()  # once per person, whatever roles they hold (as _once_per_person)
        for role in roles:
            recipient = {"manager": manager_id, "managers_manager": grand_id, "compliance_officer": officer_id}[role]
            if recipient and recipient != learner_id and recipient not in told:
                told.add(recipient)
                samples.append((recipient, Notification.Kind.ESCALATION, reason, learner, title))
        if step.warning_letter:
            letter = f"formal warning letter WL-{pk}-{step.days_overdue}-{deadline:%Y%m%d}"
            samples.append((learner_id, Notification.Kind.WARNING_LETTER, letter, learner, title))
            if manager_id:
                samples.append((manager_id, Notification.Kind.WARNING_LETTER, letter, learner, title))
    summary.add_samples(samples)
    return bool(rows)
