"""Reads for the escalation workflows: policies, open assignments, time zones.

Deadlines are judged in each learner's own time zone: the workflows loop over the (few) distinct
time zones of active learners and the (few) policies, and run one set-based query for each,
never one per assignment.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from assignments.models import Assignment, Exemption
from escalation.models import EscalationPolicy, EscalationStep
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
    return sorted(set(User.objects.filter(is_active=True).values_list("timezone", flat=True).distinct()))


def local_date(as_of: dt.datetime, timezone_name: str) -> dt.date:
    try:
        zone = zoneinfo.ZoneInfo(timezone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return as_of.astimezone(zone).date()


def exempt_on(day: dt.date) -> Exists:
    """The learner is excused on ``day`` from this assignment's course (or from every course)."""
    return Exists(
        Exemption.objects.filter(
            learner_id=OuterRef("learner_id"),
            revoked_at__isnull=True,
            starts_on__lte=day,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .filter(Q(course_code="") | Q(course_code=OuterRef("course_code")))
    )


def open_assignments(*, day: dt.date, timezone_name: str, scope: PolicyScope) -> QuerySet[Assignment]:
    """Active, not completed assignments of active, non-exempt learners in one time zone."""
    return Assignment.objects.filter(
        scope.courses,
        archived_at__isnull=True,
        status__in=OPEN_STATUSES,
        learner__is_active=True,
        learner__timezone=timezone_name,
    ).exclude(exempt_on(day))


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
