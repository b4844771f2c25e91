"""Reads of course reviews: the learner's own, the moderation queue and the figures per course
and version.

Every figure (count, average, distribution) is computed over the same reviews: every rating
given, whatever its comments' moderation state (moderation is of text, not of numbers), so the
count always equals the sum of the distribution and the average agrees with it. Comments are
shown to admins outside the moderation page only once approved, and to nobody with a name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Avg, Case, Count, F, Q, QuerySet, When
from django.http import Http404

from assignments.course_reviews.models import RATINGS, CourseReview
from assignments.models import Completion
from courses.models import Course, Question

COMMENTED = ~Q(useful="") | ~Q(unclear="") | Q(unclear_question__isnull=False)


def completion_get_for_reviewer(*, learner, pk: int) -> Completion:
    """The learner's own completion (404 for anyone else's, whoever asks)."""
    try:
        return Completion.objects.select_related("course", "learner").get(pk=pk, learner_id=learner.pk)
    except Completion.DoesNotExist:
        raise Http404 from None


def review_for_completion(*, completion: Completion) -> CourseReview | None:
    return (
        CourseReview.objects.filter(completion_id=completion.pk)
        .select_related("unclear_question", "unclear_question__quiz")
        .first()
    )


def review_get_for_moderation(*, pk: int) -> CourseReview:
    try:
        return CourseReview.objects.get(pk=pk)
    except CourseReview.DoesNotExist:
        raise Http404 from None


def questions_for_review(*, course_id: int) -> QuerySet[Question]:
    """The questions of the course version completed, in quiz and question order."""
    return (
        Question.objects.filter(quiz__course_id=course_id)
        .select_related("quiz")
        .order_by("quiz__kind", "quiz_id", "order", "pk")
    )


def learner_completions_with_reviews(*, learner) -> QuerySet[Completion]:
    """The learner's completions, newest first, each with its review when there is one and
    ``attempt_language``, the language its attempt was taken in (one query)."""
    return (
        Completion.objects.filter(learner_id=learner.pk)
        .select_related("course", "course_review")
        .annotate(attempt_language=F("attempt__language"))
        .order_by("-completed_at", "-pk")
    )


def moderation_list(*, status: str) -> QuerySet[CourseReview]:
    """Reviews with comments in one moderation state (pending: oldest first, to work through)."""
    reviews = CourseReview.objects.filter(COMMENTED, status=status).select_related(
        "course", "unclear_question", "unclear_question__quiz", "moderated_by"
    )
    return reviews.order_by("created_at", "pk") if status == CourseReview.Status.PENDING else reviews


def moderation_counts() -> dict[str, int]:
    rows = CourseReview.objects.filter(COMMENTED).order_by().values("status").annotate(n=Count("pk"))
    counts = {status: 0 for status in CourseReview.Status.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def _distribution() -> dict[str, Count]:
    return {f"r{value}": Count("pk", filter=Q(rating=value)) for value in RATINGS}


@dataclass
class RatingFigures:
    """Count, average and distribution (count per rating, 1 to 5) of a set of reviews."""

    count: int = 0
    average: float | None = None
    counts: dict[int, int] = field(default_factory=dict)
    code: str = ""
    title: str = ""
    version: int | None = None
    pending: int = 0

    @property
    def distribution(self) -> list[tuple[int, int, float]]:
        """(rating, count, percent of all) from 5 down to 1, the percents whole numbers that add up
        to 100 (largest remainder: 1, 2, 4 and 1 of 8 reviews are 13, 25, 50 and 12 %, not 12, 25,
        50 and 12, which add up to 99 as an outside tester noticed)."""
        counts = [self.counts.get(value, 0) for value in reversed(RATINGS)]
        return list(zip(reversed(RATINGS), counts, _whole_percents(counts), strict=True))


def _whole_percents(counts: list[int]) -> list[float]:
    """Each count's share of their sum in whole percents adding up to 100 (Hamilton's largest
    remainder method; ties go to the earlier count); all 0 when the sum is 0."""
    total = sum(counts)
    if not total:
        return [0.0] * len(counts)
    exact = [100 * count / total for count in counts]
    whole = [int(share) for share in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: (-(exact[i] - whole[i]), i))
    for i in by_remainder[: 100 - sum(whole)]:
        whole[i] += 1
    return [float(share) for share in whole]


def _figures(row: dict, **extra) -> RatingFigures:
    return RatingFigures(
        count=row["n"],
        average=None if row["average"] is None else round(float(row["average"]), 2),
        counts={value: row[f"r{value}"] for value in RATINGS},
        **extra,
    )


def ratings_by_course() -> list[RatingFigures]:
    """One row per course code that has reviews, by code (two queries: figures and titles)."""
    rows = (
        CourseReview.objects.order_by()
        .values("course_code")
        .annotate(
            n=Count("pk"),
            average=Avg("rating"),
            pending=Count("pk", filter=COMMENTED & Q(status=CourseReview.Status.PENDING)),
            **_distribution(),
        )
        .order_by("course_code")
    )
    rows = list(rows)
    titles = course_titles([row["course_code"] for row in rows])
    return [
        _figures(row, code=row["course_code"], title=titles.get(row["course_code"], ""), pending=row["pending"])
        for row in rows
    ]


def course_titles(codes: list[str]) -> dict[str, str]:
    """The newest version's title per code (one query)."""
    titles: dict[str, str] = {}
    for code, title in Course.objects.filter(code__in=codes).order_by("code", "-version").values_list("code", "title"):
        titles.setdefault(code, title)
    return titles


def ratings_for_course(*, course_code: str) -> tuple[RatingFigures, list[RatingFigures]]:
    """The figures for a course code over all its versions, and per version, newest first (two
    queries)."""
    reviews = CourseReview.objects.filter(course_code=course_code).order_by()
    whole = reviews.aggregate(n=Count("pk"), average=Avg("rating"), **_distribution())
    versions = (
        reviews.values("course_version")
        .annotate(n=Count("pk"), average=Avg("rating"), **_distribution())
        .order_by("-course_version")
    )
    return (
        _figures(whole, code=course_code),
        [_figures(row, code=course_code, version=row["course_version"]) for row in versions],
    )


def approved_comments(*, course_code: str) -> QuerySet[CourseReview]:
    """Approved comments of a course code, newest first, with the question they name."""
    return (
        CourseReview.objects.filter(COMMENTED, course_code=course_code, status=CourseReview.Status.APPROVED)
        .select_related("unclear_question", "unclear_question__quiz")
        .order_by("-created_at", "-pk")
    )


def course_code_spelled(*, course_code: str) -> str | None:
    """``course_code`` as the catalogue spells it, whatever the letter case it was given in (codes
    are one code whatever their capitals: ``Course.other_spelling``); None for no such course."""
    return (
        Course.objects.filter(code__iexact=course_code)
        .order_by(Case(When(code=course_code, then=0), default=1), "code")
        .values_list("code", flat=True)
        .first()
    )
