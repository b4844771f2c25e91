"""Retention: how much of a course people still know in the weeks after it, from their booster
answers (``assignments.boosters``).

A booster programme sends a question at each spacing step after a completion (step 1 on day 2,
step 2 on day 7...). The figures count, per step, the boosters that were **answered** and how many
of those were answered right; a booster sent and never answered counts in neither (it says nothing
about what the learner remembers). A question asked again after a wrong answer counts at the step
it was asked again, like any other answer there. Plotted per course over the steps, the share
right is the team's forgetting curve.

Whose answers: the people in a report ``Scope`` (a manager's direct reports or whole chain, the
organisation for admins; narrowed to departments and a course) who are employed now, as in the
compliance figures beside them. Item analysis counts every answer to a course's boosters,
leavers' too (it is about the question, not the people).

A page's figures are two queries whatever the number of answers: one grouped count of the
answers (course, step, question) and one read of the programmes with their course titles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from assignments.boosters.models import BoosterDelivery, BoosterProgramme
from courses.models import Course
from reports.selectors.state import Scope, id_list_sql

# A booster question is marked on item analysis when at least MIN_BOOSTER_ANSWERS answers were
# given and at least BOOSTER_WRONG_FLAG % of them were wrong (fewer answers: too little evidence).
MIN_BOOSTER_ANSWERS = 5
BOOSTER_WRONG_FLAG = 50


@dataclass
class StepFigure:
    """One spacing step: how many boosters were answered, how many right."""

    step: int
    day: int | None = None  # the days after completion the step falls on (None: no longer on the schedule)
    answered: int = 0
    right: int = 0

    @property
    def wrong(self) -> int:
        return self.answered - self.right

    @property
    def percent(self) -> float | None:
        """The share answered right (0..100, one decimal); None when nothing was answered."""
        return round(100 * self.right / self.answered, 1) if self.answered else None


@dataclass
class Curve:
    """A course's (or one question's) share right at each step, steps 1..n with none left out."""

    key: str
    label: str
    steps: list[StepFigure] = field(default_factory=list)
    threshold: int | None = None
    question_id: int | None = None

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.steps)

    @property
    def right(self) -> int:
        return sum(s.right for s in self.steps)

    @property
    def percent(self) -> float | None:
        return round(100 * self.right / self.answered, 1) if self.answered else None


def answered_deliveries(scope: Scope) -> QuerySet[BoosterDelivery]:
    """The answered boosters of the people in ``scope`` who are employed now."""
    qs = BoosterDelivery.objects.filter(answered_at__isnull=False, learner__is_active=True)
    if scope.manager_id is not None and scope.subtree and scope.people_ids is not None:
        qs = qs.filter(learner_id__in=id_list_sql(scope.people_ids))
    elif scope.manager_id is not None and scope.subtree:
        from lms.selectors import user_ids_below_sql

        qs = qs.filter(learner_id__in=user_ids_below_sql(scope.manager_id))
    elif scope.manager_id is not None:
        qs = qs.filter(learner__manager_id=scope.manager_id)
    if scope.department_ids:
        qs = qs.filter(learner__department_id__in=scope.department_ids)
    if scope.course_code:
        qs = qs.filter(programme__course_code=scope.course_code)
    return qs


def programmes(codes=None) -> dict[str, BoosterProgramme]:
    """The booster programmes (of ``codes``, or all: one per course code, few), each with
    ``title``, the newest title of its course, in one query."""
    newest = Course.objects.filter(code=OuterRef("course_code")).order_by("-version").values("title")[:1]
    qs = BoosterProgramme.objects.annotate(title=Subquery(newest)).only(
        "course_code", "schedule_days", "retention_threshold"
    )
    if codes is not None:
        qs = qs.filter(course_code__in=list(codes))
    return {p.course_code: p for p in qs}


def _steps(found: dict[int, StepFigure], schedule: list[int], last: int) -> list[StepFigure]:
    """Steps 1..n (n: the schedule's length, or the last step answered if a shortened schedule
    left answers beyond it), each with its day and its counts (zero where none)."""
    steps = []
    for step in range(1, max(len(schedule), last) + 1):
        figure = found.get(step, StepFigure(step=step))
        figure.day = int(schedule[step - 1]) if step <= len(schedule) else None
        steps.append(figure)
    return steps


def retention(scope: Scope, *, known: dict[str, BoosterProgramme] | None = None) -> tuple[list[Curve], list[Curve]]:
    """The curves of ``scope`` by course and by question, from one grouped count of the answers
    (course, step, question) and one read of the programmes (none when ``known`` are given)."""
    rows = list(
        answered_deliveries(scope)
        .order_by()
        .values("programme__course_code", "step", "question_id", "question__order", "question__text")
        .annotate(answered=Count("pk"), right=Count("pk", filter=Q(correct=True)))
    )
    by_course: dict[str, dict[int, StepFigure]] = {}
    by_question: dict[tuple[str, int], dict[int, StepFigure]] = {}
    texts: dict[int, tuple[int, str]] = {}
    for row in rows:
        code, step = row["programme__course_code"], row["step"]
        figure = by_course.setdefault(code, {}).setdefault(step, StepFigure(step=step))
        figure.answered += row["answered"]
        figure.right += row["right"]
        by_question.setdefault((code, row["question_id"]), {})[step] = StepFigure(
            step=step, answered=row["answered"], right=row["right"]
        )
        texts[row["question_id"]] = (row["question__order"], row["question__text"])
    if not rows:
        return [], []
    found = known if known is not None else programmes(by_course)

    def curve(code: str, label: str, steps: dict[int, StepFigure], question_id: int | None = None) -> Curve:
        programme = found.get(code)
        schedule = list(programme.schedule_days) if programme else []
        return Curve(
            key=code,
            label=label,
            steps=_steps(steps, schedule, max(steps)),
            threshold=programme.retention_threshold if programme else None,
            question_id=question_id,
        )

    courses = [
        curve(code, f"{code} · {getattr(found.get(code), 'title', '') or ''}".rstrip(" ·"), by_course[code])
        for code in sorted(by_course)
    ]
    questions = [
        curve(code, texts[question_id][1], by_question[(code, question_id)], question_id)
        for code, question_id in sorted(by_question, key=lambda k: (k[0], texts[k[1]][0], k[1]))
    ]
    return courses, questions


def retention_by_course(scope: Scope) -> list[Curve]:
    """Each course with answered boosters in ``scope``: the answers and the right ones at each step."""
    return retention(scope)[0]


def retention_by_question(scope: Scope) -> list[Curve]:
    """Each booster question answered in ``scope``: its answers and right ones at each step, by
    course then question order. ``key`` is the course code."""
    return retention(scope)[1]


@dataclass
class BoosterItem:
    """A booster question of a course with how often it was answered wrong (every step)."""

    question_id: int
    text: str
    source_question_id: int | None
    answered: int
    wrong: int

    @property
    def wrong_percent(self) -> float | None:
        return round(100 * self.wrong / self.answered, 1) if self.answered else None

    @property
    def flagged(self) -> bool:
        return self.answered >= MIN_BOOSTER_ANSWERS and 100 * self.wrong >= BOOSTER_WRONG_FLAG * self.answered


def booster_items(*, course_code: str) -> list[BoosterItem]:
    """The course's booster questions with answers, most often wrong first (one query). Everyone's
    answers count, leavers' too: the figure is about the question."""
    rows = (
        BoosterDelivery.objects.filter(programme__course_code=course_code, answered_at__isnull=False)
        .order_by()
        .values("question_id", "question__text", "question__source_question_id")
        .annotate(answered=Count("pk"), wrong=Count("pk", filter=Q(correct=False)))
    )
    items = [
        BoosterItem(
            question_id=row["question_id"],
            text=row["question__text"],
            source_question_id=row["question__source_question_id"],
            answered=row["answered"],
            wrong=row["wrong"],
        )
        for row in rows
    ]
    return sorted(items, key=lambda i: (-(i.wrong / i.answered), -i.answered, i.question_id))


def booster_wrong_by_quiz_question(items: list[BoosterItem]) -> dict[int, tuple[int, int]]:
    """Quiz question id -> (booster answers, wrong) over the booster questions copied from it."""
    totals: dict[int, tuple[int, int]] = {}
    for item in items:
        if item.source_question_id is not None:
            answered, wrong = totals.get(item.source_question_id, (0, 0))
            totals[item.source_question_id] = (answered + item.answered, wrong + item.wrong)
    return totals
