"""Who has earned each badge: one set-based query per badge, never a query per person.

- course passed: a completion of the badge's course code (any version, imported history too); a
  pass from before the badge was made is awarded quietly, dated the day of the pass;
- all required training current: every active assignment of the person is compliant or in its
  renewal window, or excused (exempt), by the one rule of ``assignments.state`` as the reports read
  it, with at least one compliant (someone excused from everything has nothing to celebrate);
- team 100 % compliant: the same over the active direct reports of a manager, awarded to the
  manager (at least one compliant assignment in the team);
- booster streak: the last N booster answers of a person all right (``booster_streaks``), when the
  boosters app is installed.

Only active people (leavers get nothing), only badges that are awarding, and never someone who
already holds the badge (revoked or not: a revoked badge is not given back by the next night).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, Min, Q
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment, Completion
from assignments.state import ComplianceState, excused_for, with_compliance_state
from escalation.recognition.models import Award, Badge
from lms.models import User

CURRENT = [ComplianceState.COMPLIANT.value, ComplianceState.EXPIRING.value]
CURRENT_OR_EXCUSED = [*CURRENT, ComplianceState.EXEMPT.value]


@dataclass(frozen=True)
class Earned:
    badge_id: int
    recipient_id: int
    reason: str
    completion_id: int | None = None
    # For a course passed before its badge existed: the award is dated the day of the pass (the
    # Open Badges ``issuedOn``) and made quietly (no "badge earned" email years later, no digest line).
    awarded_at: dt.datetime | None = None
    quiet: bool = False


def criteria_text(badge: Badge) -> str:
    if badge.criteria == Badge.Rule.COURSE_PASSED:
        return _("Passed the course %(code)s.") % {"code": badge.course_code}
    if badge.criteria == Badge.Rule.ALL_MANDATORY:
        return _("Every required training course completed and current.")
    if badge.criteria == Badge.Rule.BOOSTER_STREAK:
        return _("%(n)d booster questions answered right in a row.") % {"n": badge.streak or 0}
    return _("Led a team in which everyone's required training was complete and current.")


def reason_text(criteria: str, course_code: str = "", streak: int | None = None) -> str:
    """Why a badge of this rule was awarded, in the active language: read when the award is shown or
    its email is written (in the recipient's language), never stored translated."""
    if criteria == Badge.Rule.COURSE_PASSED:
        return _("Passed %(code)s") % {"code": course_code}
    if criteria == Badge.Rule.ALL_MANDATORY:
        return str(_("All required training current"))
    if criteria == Badge.Rule.TEAM_COMPLIANT:
        return str(_("Whole team compliant"))
    return _("%(n)d booster answers right in a row") % {"n": streak or 0}


def boosters_installed() -> bool:
    return apps.is_installed("assignments.boosters")


def _holders(badge: Badge) -> set[int]:
    return set(Award.objects.filter(badge=badge).values_list("recipient_id", flat=True))


def course_passed(badge: Badge, *, learner_ids: list[int] | None = None) -> list[Earned]:
    qs = Completion.objects.filter(course_code=badge.course_code, learner__is_active=True)
    if learner_ids is not None:
        qs = qs.filter(learner_id__in=learner_ids)
    qs = qs.exclude(learner_id__in=Award.objects.filter(badge=badge).values("recipient_id"))
    rows = qs.values("learner_id").annotate(first=Min("pk"), passed=Min("completed_at")).order_by("learner_id")
    reason = reason_text(badge.criteria, badge.course_code)
    # Passes from before the badge was made are recognised as of their own day, without a message.
    since = badge.created_at
    return [
        Earned(badge.pk, row["learner_id"], reason, row["first"])
        if since is None or row["passed"] >= since
        else Earned(badge.pk, row["learner_id"], reason, row["first"], awarded_at=row["passed"], quiet=True)
        for row in rows
    ]


def _current(day: dt.date, group_by: str) -> list[int]:
    qs = Assignment.objects.filter(archived_at__isnull=True, learner__is_active=True)
    qs = with_compliance_state(qs, day=day, excused=excused_for(day)).order_by()
    return list(
        qs.values(group_by)
        .annotate(
            blocking=Count("pk", filter=~Q(state__in=CURRENT_OR_EXCUSED)),
            current=Count("pk", filter=Q(state__in=CURRENT)),
        )
        .filter(blocking=0, current__gt=0, **{f"{group_by}__isnull": False})
        .values_list(group_by, flat=True)
    )


def all_mandatory(badge: Badge, *, day: dt.date) -> list[Earned]:
    qualified = set(_current(day, "learner_id")) - _holders(badge)
    reason = reason_text(badge.criteria)
    return [Earned(badge.pk, pk, reason) for pk in sorted(qualified)]


def team_compliant(badge: Badge, *, day: dt.date) -> list[Earned]:
    # Direct reports who are active; the manager must be active too.
    managers = _current(day, "learner__manager_id")
    active = set(User.objects.filter(pk__in=managers, is_active=True).values_list("pk", flat=True))
    reason = reason_text(badge.criteria)
    return [Earned(badge.pk, pk, reason) for pk in sorted(active - _holders(badge))]


def booster_streak(badge: Badge, *, learner_ids: list[int] | None = None) -> list[Earned]:
    if not boosters_installed() or not badge.streak:
        return []
    from escalation.recognition.streaks import booster_streaks

    holders = _holders(badge)
    reason = reason_text(badge.criteria, streak=badge.streak)
    streaks = booster_streaks(length=badge.streak, learner_ids=learner_ids)
    return [Earned(badge.pk, pk, reason) for pk in sorted(streaks - holders)]


def earned(badge: Badge, *, day: dt.date) -> list[Earned]:
    if badge.criteria == Badge.Rule.COURSE_PASSED:
        return course_passed(badge)
    if badge.criteria == Badge.Rule.ALL_MANDATORY:
        return all_mandatory(badge, day=day)
    if badge.criteria == Badge.Rule.TEAM_COMPLIANT:
        return team_compliant(badge, day=day)
    return booster_streak(badge)
