"""Reads for the escalation workflows: policies, open assignments, time zones.

Deadlines are judged in each learner's own time zone: the workflows loop over the (few) distinct
time zones of active learners and the (few) policies, and run one set-based query for each,
never one per assignment.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from assignments.models import Assignment
from assignments.state import exemptions_in_force
from escalation.models import EscalationPolicy, EscalationStep, Notification
from lms.models import User

OPEN_STATUSES = [Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS, Assignment.Status.FAILED]


@dataclass
class PolicyScope:
    policy: EscalationPolicy
    steps: list[EscalationStep]
    courses: Q  # which assignments (by course_code) this policy governs


def policy_scopes() -> list[PolicyScope]:
    """Each policy with the assignments it governs; the default covers every other course."""
    policies = list(EscalationPolicy.objects.prefetch_related("steps").select_related("compliance_officer"))
    specific = [p.course_code for p in policies if p.course_code]
    scopes = []
    for policy in policies:
        courses = Q(course_code=policy.course_code) if policy.course_code else ~Q(course_code__in=specific)
        scopes.append(PolicyScope(policy=policy, steps=list(policy.steps.all()), courses=courses))
    return scopes


def policy_for_course(course_code: str) -> EscalationPolicy | None:
    return (
        EscalationPolicy.objects.filter(course_code=course_code).first()
        or EscalationPolicy.objects.filter(course_code="").first()
    )


def learner_timezones() -> list[str]:
    return sorted(set(User.objects.filter(is_active=True).order_by().values_list("timezone", flat=True).distinct()))


def timezones_by_local_date(as_of: dt.datetime) -> dict[dt.date, list[str]]:
    """The time zones of active learners grouped by their local date at ``as_of`` (at most three
    dates, however many time zones): the workflows run one set of queries per local date."""
    by_date: dict[dt.date, list[str]] = {}
    for timezone_name in learner_timezones():
        by_date.setdefault(local_date(as_of, timezone_name), []).append(timezone_name)
    return dict(sorted(by_date.items()))


def local_date(as_of: dt.datetime, timezone_name: str) -> dt.date:
    try:
        zone = zoneinfo.ZoneInfo(timezone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return as_of.astimezone(zone).date()


def excused_on(day: dt.date) -> dict[int, set[str]]:
    """Learner id -> course codes they are excused from on ``day`` ("" = every course): the
    exemptions in force by the one rule (``assignments.state.exemptions_in_force``).

    Exemptions are few: reading them once and excluding them by id keeps the workflows' big
    queries free of a correlated subquery per assignment.
    """
    excused: dict[int, set[str]] = {}
    rows = exemptions_in_force(day).values_list("learner_id", "course_code")
    for learner_id, code in rows:
        excused.setdefault(learner_id, set()).add(code)
    return excused


def is_excused(excused: dict[int, set[str]], learner_id: int, course_code: str) -> bool:
    codes = excused.get(learner_id)
    return bool(codes) and ("" in codes or course_code in codes)


def exclude_excused(qs: QuerySet[Assignment], excused: dict[int, set[str]]) -> QuerySet[Assignment]:
    everything = [learner for learner, codes in excused.items() if "" in codes]
    if everything:
        qs = qs.exclude(learner_id__in=everything)
    by_code: dict[str, list[int]] = {}
    for learner, codes in excused.items():
        if "" not in codes:
            for code in codes:
                by_code.setdefault(code, []).append(learner)
    for code, learners in by_code.items():
        qs = qs.exclude(course_code=code, learner_id__in=learners)
    return qs


def open_assignments(
    *, day: dt.date, timezone_names: list[str], scope: PolicyScope, excused: dict[int, set[str]] | None = None
) -> QuerySet[Assignment]:
    """Active, not completed assignments of active, non-exempt learners in the given time zones
    (those whose local date is ``day``)."""
    qs = Assignment.objects.filter(
        scope.courses,
        archived_at__isnull=True,
        status__in=OPEN_STATUSES,
        learner__is_active=True,
        learner__timezone__in=timezone_names,
    )
    return exclude_excused(qs, excused_on(day) if excused is None else excused)


def assignment_for_case_file(*, viewer: User, pk: int, learner_may_see: bool = False) -> Assignment | None:
    """An assignment whose case file ``viewer`` may read: admins, anyone above the learner in the
    reporting chain and, where allowed, the learner. None (404) otherwise."""
    from lms.selectors import user_ids_below_sql

    qs = Assignment.objects.select_related("learner", "course", "learner__manager")
    if viewer.is_admin:
        return qs.filter(pk=pk).first()
    visible = Q(learner_id__in=user_ids_below_sql(viewer.pk))
    if learner_may_see:
        visible |= Q(learner_id=viewer.pk)
    return qs.filter(visible, pk=pk).first()


def case_file(assignment: Assignment):
    return assignment.events.select_related("actor").order_by("occurred_at", "pk")


def notifications_for(*, user: User) -> QuerySet:
    """A user's notifications as their list shows them, newest first (notification_inbox_idx),
    each with ``learner_of``: the learner of the assignment it is about (for its link)."""
    return (
        Notification.objects.filter(recipient=user)
        .exclude(status=Notification.Status.CANCELLED)
        .annotate(learner_of=F("assignment__learner_id"))
        .order_by("-created_at", "-pk")
    )


def unread_count(*, user: User) -> int:
    """How many of a user's notifications they have not seen in their list (the menu's count)."""
    return (
        Notification.objects.filter(recipient=user, read_at=None).exclude(status=Notification.Status.CANCELLED).count()
    )
