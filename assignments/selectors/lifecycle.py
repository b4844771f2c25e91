"""Reads over assignments for the admin pages: lists with a derived state, a learner's history,
exemptions, rules and uploads. Set-based: one query per list, never one per row."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from assignments.models import Assignment, AssignmentRule, Attempt, Completion, Exemption, ImportJob
from assignments.state import ComplianceState, with_compliance_state
from courses.models import Course, Quiz
from lms.models import User
from lms.selectors import person_search_q

# The admin lists' word for a valid completion (DESIGN's is "compliant").
LIST_WORDS = {ComplianceState.COMPLIANT: "completed"}


def with_state(qs: QuerySet[Assignment], *, today: dt.date | None = None) -> QuerySet[Assignment]:
    """Annotate ``state`` by the one rule (``assignments.state``), archived rows shown as such."""
    today = today or timezone.localdate()
    return with_compliance_state(qs, day=today, archived=True, words=LIST_WORDS)


class ReassignBlocker:
    """Why re-assigning a row would fail (``reassign_blocker``), "" when it can succeed."""

    ACTIVE_AGAIN = "active_again"  # archived, and the learner has another active one of the course
    UNPUBLISHED = "unpublished"  # no published version of the course to assign
    LEFT = "left"  # the learner has left


def with_reassign_blocker(qs: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Annotate ``reassign_blocker`` (see ``ReassignBlocker``) by two correlated EXISTS: the list
    offers "Re-assign" only where ``assignment_reassign`` would succeed, and says why otherwise."""
    other_active = Assignment.objects.filter(
        learner_id=OuterRef("learner_id"), course_code=OuterRef("course_code"), archived_at=None
    ).exclude(pk=OuterRef("pk"))
    published = Course.objects.filter(code__iexact=OuterRef("course_code"), status=Course.Status.PUBLISHED)
    return qs.annotate(
        reassign_blocker=Case(
            When(learner__is_active=False, then=Value(ReassignBlocker.LEFT)),
            When(Q(archived_at__isnull=False) & Exists(other_active), then=Value(ReassignBlocker.ACTIVE_AGAIN)),
            When(~Exists(published), then=Value(ReassignBlocker.UNPUBLISHED)),
            default=Value(""),
        )
    )


def assignment_list(
    *,
    course_code: str = "",
    state: str = "",
    search: str = "",
    show: str = "active",
    today: dt.date | None = None,
) -> QuerySet[Assignment]:
    qs = Assignment.objects.select_related("learner", "learner__department", "course")
    if show == "active":
        qs = qs.filter(archived_at=None)
    elif show == "archived":
        qs = qs.filter(archived_at__isnull=False)
    if course_code:
        qs = qs.filter(course_code=course_code)
    if search:
        # Every word in the name, email or employee id: "Lee Learner" finds Lee Learner.
        qs = qs.filter(person_search_q(search, prefix="learner__"))
    qs = with_reassign_blocker(with_state(qs, today=today))
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("due_date", "learner__last_name", "pk")


# Practice checks: the quizzes that never count as attempts at the assessment.
PRACTICE_KINDS = [Quiz.Kind.MODULE_CHECK, Quiz.Kind.PRETEST]


def learner_history(*, learner: User, today: dt.date | None = None) -> dict:
    """Every assignment (active and archived) with its submitted attempts at the final assessment
    (``attempt_count``) and practice checks (``practice_count``), and every completion of a learner."""
    submitted = Q(attempts__status=Attempt.Status.SUBMITTED)
    # The result of the last submitted attempt at the final assessment, beside the count.
    last_final = Attempt.objects.filter(
        assignment_id=OuterRef("pk"), status=Attempt.Status.SUBMITTED, quiz__kind=Quiz.Kind.FINAL
    ).order_by("-number")
    assignments = with_reassign_blocker(
        with_state(
            Assignment.objects.filter(learner=learner)
            .select_related("course", "archived_by", "assigned_by")
            .annotate(
                # Attempts are the final assessment's; practice checks (module checks, the pre-test) apart.
                attempt_count=Count(
                    "attempts", filter=submitted & Q(attempts__quiz__kind=Quiz.Kind.FINAL), distinct=True
                ),
                practice_count=Count(
                    "attempts", filter=submitted & Q(attempts__quiz__kind__in=PRACTICE_KINDS), distinct=True
                ),
                last_score=Subquery(last_final.values("score")[:1]),
                last_passed=Subquery(last_final.values("passed")[:1]),
            ),
            today=today,
        )
    ).order_by("-assigned_at", "-pk")
    completions = (
        Completion.objects.filter(learner=learner)
        .select_related("course", "assignment", "learner")
        # The language of the course texts its attempt was taken in (what its certificate says).
        .annotate(attempt_language=F("attempt__language"))
        .order_by("-completed_at")
    )
    exemptions = Exemption.objects.filter(learner=learner).select_related("approved_by").order_by("-starts_on")
    return {"assignments": assignments, "completions": completions, "exemptions": exemptions}


def assignments_not_started(*, course_code: str) -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        course_code=course_code, archived_at=None, status=Assignment.Status.ASSIGNED, learner__is_active=True
    ).select_related("learner", "course")


def assignable_courses() -> list[Course]:
    """The newest published version of each course code (one query)."""
    newest: dict[str, Course] = {}
    for course in Course.objects.filter(status=Course.Status.PUBLISHED).order_by("code", "version"):
        newest[course.code] = course
    return sorted(newest.values(), key=lambda c: c.code)


def course_codes_in_use() -> list[str]:
    return list(Assignment.objects.order_by("course_code").values_list("course_code", flat=True).distinct())


def active_count_for_course(*, course_code: str) -> int:
    return Assignment.objects.filter(course_code=course_code, archived_at=None).count()


def rule_list() -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.select_related("course", "department").annotate(
        active_assignments=Count("assignments", filter=Q(assignments__archived_at=None))
    )


def exemption_list(*, show: str = "current", today: dt.date | None = None) -> QuerySet[Exemption]:
    today = today or timezone.localdate()
    qs = Exemption.objects.select_related("learner", "approved_by")
    if show == "current":
        qs = qs.filter(revoked_at=None).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    elif show == "ended":
        qs = qs.filter(Q(revoked_at__isnull=False) | Q(ends_on__lt=today))
    return qs.order_by("-starts_on", "pk")


def import_jobs(*, limit: int = 20) -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by").defer("content")[:limit]
