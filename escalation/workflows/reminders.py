"""1. Due reminders: the learner is reminded N days before the due date (policy.reminder_days).

Reminder days are bands: with [7, 1], a learner whose due date is 2 to 7 days away gets the
"7" reminder once, and 0 to 1 day away the "1" reminder once. A night the job did not run is
caught up the next night; a reminder never repeats for one due date: each band is claimed by
setting the assignment's ``reminded_days`` marker in the transaction that writes it (and the dedupe
key per assignment, due date and band keeps the insert idempotent). When the due date moves, a
database trigger clears the marker (migration assignments 0006): the reminders start again for the
new date, each band that is still ahead sent once.

A night claims every band's candidates of a local date and policy at once, each marked with its
own band (one read of the reminder index and of the rows it points at, where a read per band
visited mostly the same table pages again), then writes band after band, each band's rows in
assignment order, as when each band was claimed on its own.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django.db.models import Case, CharField, F, JSONField, PositiveSmallIntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, JSONObject, Replace, Trim
from django.utils import timezone

from assignments.models import Assignment
from escalation.models import EscalationEvent, Notification
from escalation.selectors import excused_on, open_assignments, policy_scopes, timezones_by_local_date
from escalation.workflows.common import Summary, assignments, claim_and_write, full_name
from escalation.workflows.overdue import EVENT_COLUMNS, NOTIFICATION_COLUMNS
from escalation.workflows.sql import DayMonthYear, DaysBetween, IsoDate, days_word, insert_from_select

SAMPLE_FIELDS = ("learner_id", "learner__first_name", "learner__last_name", "course__title", "days_left")


def run_due_reminders(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("due_reminders", dry_run)
    now = timezone.now()
    scopes = policy_scopes()
    for today, zones in timezones_by_local_date(as_of).items():
        excused = excused_on(today)
        for scope in scopes:
            # Each band's due dates, nearest first: with [7, 1], 0 to 1 day away and 2 to 7.
            bands, low = [], 0
            for band in sorted(set(scope.policy.reminder_days)):
                bands.append((band, today + dt.timedelta(days=low), today + dt.timedelta(days=band)))
                low = band + 1
            if not bands:
                continue
            open_ = open_assignments(day=today, timezone_names=zones, scope=scope, excused=excused).filter(
                status__in=[Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS]
            )
            # A nearer reminder sent already makes this one pointless; this one sent, done.
            due = {
                band: Q(due_date__gte=first, due_date__lte=last)
                & (Q(reminded_days__isnull=True) | Q(reminded_days__gt=band))
                for band, first, last in bands
            }
            options = {"as_of": as_of, "now": now, "summary": summary}
            if dry_run:
                for band, _first, _last in bands:
                    _remind(_rows(open_.filter(due[band]).order_by(), today), band=band, dry_run=True, **options)
                continue
            _claim_and_remind(open_.filter(reduce(or_, due.values())).order_by(), bands, today, options)
    return summary


def _claim_and_remind(candidates: QuerySet, bands: list[tuple[int, dt.date, dt.date]], today: dt.date, options):
    """Claim the candidates of every band at once, each marked with its own band (the nearest band
    whose last day its due date is on or before), and write them band after band (module
    docstring)."""
    marker = Case(
        *[When(due_date__lte=last, then=Value(band)) for band, _first, last in bands],
        output_field=PositiveSmallIntegerField(),
    )

    def write(claimed: list[tuple]) -> None:
        for band, first, last in bands:
            ids = [pk for pk, due_date in claimed if first <= due_date <= last]
            if ids:
                _remind(_rows(assignments(ids), today), band=band, dry_run=False, **options)

    claim_and_write(candidates, write, fields=("due_date",), reminded_days=marker)


def _rows(qs: QuerySet, today: dt.date) -> QuerySet:
    return qs.annotate(days_left=DaysBetween(F("due_date"), Value(today))).order_by()


def _remind(
    candidates: QuerySet, *, band: int, as_of: dt.datetime, now: dt.datetime, dry_run: bool, summary: Summary
) -> None:
    # A few rows for the preview page; none means nothing to do (a quiet night reads the candidates once).
    rows = list(candidates.order_by("pk").values_list(*SAMPLE_FIELDS)[: Summary.SAMPLES])
    if not rows:
        return
    summary.add_samples(
        [
            (
                learner_id,
                Notification.Kind.REMINDER,
                f"due in {days_left} {'day' if days_left == 1 else 'days'}",
                full_name(first, last),
                title,
            )
            for learner_id, first, last, title, days_left in rows
        ]
    )
    days_left = Cast("days_left", CharField())
    # The keys carry the due date (YYYYMMDD): a moved due date gets its own reminders.
    due_tag = Replace(IsoDate(F("due_date")), Value("-"), Value(""))
    new = insert_from_select(
        Notification,
        candidates.annotate(
            n_recipient=F("learner_id"),
            n_kind=Value(Notification.Kind.REMINDER.value),
            n_assignment=F("pk"),
            n_dedupe_key=Concat(
                Value("reminder:"),
                Cast("pk", CharField()),
                Value(":"),
                due_tag,
                Value(f":{band}"),
                output_field=CharField(),
            ),
            n_context=JSONObject(
                learner=Trim(Concat("learner__first_name", Value(" "), "learner__last_name", output_field=CharField())),
                first_name=F("learner__first_name"),
                course=F("course__title"),
                course_code=F("course_code"),
                due_date=IsoDate(F("due_date")),
                days_left=F("days_left"),
                reason=Concat(Value("due in "), days_left, days_word("days_left"), output_field=CharField()),
            ),
            n_status=Value(Notification.Status.PENDING.value),
            n_send_after=Value(now),
            n_tries=Value(0),
            n_last_error=Value(""),
            n_claim_token=Value(""),
            n_created_at=Value(now),
            n_updated_at=Value(now),
        ),
        NOTIFICATION_COLUMNS,
        unique=("dedupe_key", "n_dedupe_key"),
        dry_run=dry_run,
    )
    recorded = insert_from_select(
        EscalationEvent,
        candidates.annotate(
            e_assignment=F("pk"),
            e_kind=Value(EscalationEvent.Kind.REMINDED.value),
            e_level=Value(0),
            e_dedupe_key=Concat(
                Value("reminded:"),
                Cast("pk", CharField()),
                Value(":"),
                due_tag,
                Value(f":{band}"),
                output_field=CharField(),
            ),
            e_reason=Concat(
                Value("Reminder: due on "),
                DayMonthYear(F("due_date")),
                Value(" ("),
                days_left,
                days_word("days_left"),
                Value(" left)."),
                output_field=CharField(),
            ),
            e_detail=Cast(Value("{}"), JSONField()),
            e_occurred_at=Value(as_of),
        ),
        EVENT_COLUMNS,
        unique=("dedupe_key", "e_dedupe_key"),
        dry_run=dry_run,
    )
    summary.add_counts(notifications=new, events=recorded)
