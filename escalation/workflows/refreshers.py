"""6b. Refresher offers: a learner whose booster answers show they remember too little of a course
is offered a refresher (a review of the course) before their certificate comes up for renewal.

The rule, per completion of a course whose booster programme is active:

- the learner's **retention** for it is the share of their answered boosters for that completion
  that were answered right (boosters sent and not answered are not counted);
- it counts from ``MIN_ANSWERS`` answers up: fewer say too little to judge;
- below the programme's ``retention_threshold`` (strictly below: 60 % means 59.9 % is offered,
  60 % is not) the learner is offered a refresher: one ``refresher_offered`` message linking to the
  completed course in the player, where reviewing records nothing new and changes no certificate;
- only while the training is current: the learner is employed, not exempt from the course on
  their local day, the completion's assignment is not archived (recertification, a clean slate or
  a withdrawal archive it), the course has not been completed again since, and the certificate
  has not expired (its recertification date is still ahead; a course that never expires always
  qualifies). A completion imported from another system (no assignment here) has no boosters.

Once per completion: the outbox's dedupe key ``refresher_offered:<completion id>`` makes a second
run, or a later answer that drops the figure again, write nothing; a renewal is a new completion
and can be offered again. The offer is at-most-once by that key, like every outbox row.

Set-based: for each local date (``timezones_by_local_date``) one grouped query over the answered
boosters of the completions that had an answer in the last ``LOOKBACK_DAYS`` (a figure only
changes when an answer comes in; a week covers nights the job did not run), the thresholds
compared in the query (``HAVING``), then the outbox insert in batches.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Q

from assignments.boosters.models import BoosterDelivery
from assignments.models import Completion
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from escalation.selectors import excused_on, is_excused, timezones_by_local_date
from escalation.workflows.common import Summary, chunks, full_name

# Fewer answered boosters than this for a completion and no refresher is offered (too little evidence).
MIN_ANSWERS = 3
# Completions whose figure may have changed: those with a booster answered in the last week.
LOOKBACK_DAYS = 7

FIELDS = (
    "completion_id",
    "learner_id",
    "completion__assignment_id",
    "completion__course_code",
    "completion__course__title",
    "completion__expires_on",
    "learner__first_name",
    "learner__last_name",
    "programme__retention_threshold",
)


def refresher_candidates(*, today: dt.date, timezone_names: list[str], since: dt.datetime):
    """Rows (FIELDS + answered, right) of the completions below their programme's threshold."""
    recent = BoosterDelivery.objects.filter(answered_at__gte=since).values("completion_id")
    renewed = Completion.objects.filter(
        learner_id=OuterRef("learner_id"),
        course_code=OuterRef("completion__course_code"),
        completed_at__gt=OuterRef("completion__completed_at"),
    )
    return (
        BoosterDelivery.objects.filter(
            completion_id__in=recent,
            answered_at__isnull=False,
            programme__is_active=True,
            learner__is_active=True,
            learner__timezone__in=timezone_names,
            completion__assignment__isnull=False,
            completion__assignment__archived_at__isnull=True,
        )
        .filter(Q(completion__expires_on__isnull=True) | Q(completion__expires_on__gt=today))
        .exclude(Exists(renewed))
        .order_by()
        .values(*FIELDS)
        .annotate(answered=Count("pk"), right=Count("pk", filter=Q(correct=True)))
        .filter(answered__gte=MIN_ANSWERS)
        # right / answered < threshold / 100, in integers.
        .annotate(right_100=F("right") * 100, bar=F("programme__retention_threshold") * F("answered"))
        .filter(right_100__lt=F("bar"))
        .order_by("completion_id")
    )


def run_refresher_offers(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("refresher_offers", dry_run)
    summary.add_counts(notifications=0, offered=0)
    since = as_of - dt.timedelta(days=LOOKBACK_DAYS)
    for today, zones in timezones_by_local_date(as_of).items():
        excused = excused_on(today)
        rows = refresher_candidates(today=today, timezone_names=zones, since=since)
        for batch in chunks(rows.iterator(chunk_size=2000)):
            messages = [
                _offer(row)
                for row in batch
                if not is_excused(excused, row["learner_id"], row["completion__course_code"])
            ]
            new = enqueue(messages, dry_run=dry_run)
            summary.add(new, offered=len(new))
    return summary


def _offer(row: dict) -> Outgoing:
    answered, right = row["answered"], row["right"]
    retention = round(100 * right / answered, 1)
    threshold = row["programme__retention_threshold"]
    expires_on = row["completion__expires_on"]
    return Outgoing(
        recipient_id=row["learner_id"],
        kind=Notification.Kind.REFRESHER_OFFERED,
        dedupe_key=f"refresher_offered:{row['completion_id']}",
        context={
            "learner": full_name(row["learner__first_name"], row["learner__last_name"]),
            "first_name": row["learner__first_name"],
            "course": row["completion__course__title"],
            "course_code": row["completion__course_code"],
            "completion_id": row["completion_id"],
            "answered": answered,
            "right": right,
            "retention": retention,
            "threshold": threshold,
            "expires_on": expires_on.isoformat() if expires_on else None,
            "reason": f"booster answers {right} of {answered} right ({retention:g}%), below {threshold}%",
        },
        assignment_id=row["completion__assignment_id"],
    )
