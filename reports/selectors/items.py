"""Item analysis ("common failure points") for a course's quiz questions, from first attempts.

For each question, over the submitted first attempts (``number == 1``) that presented it:

- ``wrong_share``: the share answering it wrong;
- the most chosen wrong answer (the incorrect choice selected most often);
- ``discrimination``: the share answering it right among attempts that passed minus the share
  among attempts that failed (-1 .. +1). A good question is answered right by those who pass and
  wrong by those who fail; zero or below means it does not separate them, or that its key is wrong.

With ``language``, only first attempts taken in that language of the course texts
(``Attempt.language``, issue 16): the same questions and choices, so the figures compare how a
question reads in each language. Without it, every language together: a course counts once
whatever the language it was taken in.

Three queries whatever the number of attempts: questions, per-question counts, wrong choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from assignments.models import Attempt, AttemptAnswer
from assignments.scorm_runtime.selectors import course_codes_with_interactions
from courses.models import Question

# Fewer first-attempt answers than this and no flag is raised: too little evidence.
MIN_RESPONSES = 5
HARD_SHARE = 0.7  # wrong on first attempt by 70% or more
LOW_DISCRIMINATION = 0.2

FLAGS = {
    "negative": _("Learners who fail answer it better than those who pass: check the answer key."),
    "distractor": _("A wrong answer is chosen more often than the right one: the wording may mislead."),
    "hard": _("Most learners get it wrong first time: unclear, or not covered by the material."),
    "flat": _("It hardly separates passing from failing learners."),
}


@dataclass
class ItemStats:
    question: Question
    responses: int = 0
    wrong: int = 0
    passed_n: int = 0
    passed_right: int = 0
    failed_n: int = 0
    failed_right: int = 0
    top_wrong_choice: str = ""
    top_wrong_count: int = 0
    flags: list[str] = field(default_factory=list)
    # Booster answers to the booster questions copied from this one (every step), and the wrong ones.
    booster_answered: int = 0
    booster_wrong: int = 0

    @property
    def booster_wrong_percent(self) -> float | None:
        return round(100 * self.booster_wrong / self.booster_answered, 1) if self.booster_answered else None

    @property
    def wrong_share(self) -> float | None:
        return self.wrong / self.responses if self.responses else None

    @property
    def wrong_percent(self) -> float | None:
        return None if self.wrong_share is None else round(100 * self.wrong_share, 1)

    @property
    def discrimination(self) -> float | None:
        if not self.passed_n or not self.failed_n:
            return None
        return self.passed_right / self.passed_n - self.failed_right / self.failed_n

    @property
    def flag_texts(self) -> list[str]:
        return [str(FLAGS[f]) for f in self.flags]


def item_analysis(*, course_code: str, boosters: list | None = None, language: str | None = None) -> list[ItemStats]:
    """Each question's figures; with the course's ``boosters`` (``retention.booster_items``), also
    how often the booster questions copied from each one were answered wrong; with ``language``,
    from the attempts taken in that language only."""
    questions = list(
        Question.objects.filter(quiz__course__code=course_code)
        .select_related("quiz", "quiz__course")
        .order_by("quiz__course__version", "quiz__kind", "quiz_id", "order", "pk")
    )
    stats = {q.pk: ItemStats(question=q) for q in questions}
    first = Q(attempt__number=1, attempt__status=Attempt.Status.SUBMITTED)
    if language:
        first &= Q(attempt__language=language)
    counts = (
        AttemptAnswer.objects.filter(first, question_id__in=stats)
        .order_by()
        .values("question_id")
        .annotate(
            responses=Count("pk"),
            wrong=Count("pk", filter=Q(is_correct=False)),
            passed_n=Count("pk", filter=Q(attempt__passed=True)),
            passed_right=Count("pk", filter=Q(attempt__passed=True, is_correct=True)),
            failed_n=Count("pk", filter=Q(attempt__passed=False)),
            failed_right=Count("pk", filter=Q(attempt__passed=False, is_correct=True)),
        )
    )
    for row in counts:
        item = stats[row.pop("question_id")]
        for key, value in row.items():
            setattr(item, key, value)
    # Selections per choice on first attempts (right and wrong, to compare the top distractor with the key).
    selections = (
        AttemptAnswer.selected.through.objects.filter(
            attemptanswer__attempt__number=1,
            attemptanswer__attempt__status=Attempt.Status.SUBMITTED,
            attemptanswer__question_id__in=stats,
            **({"attemptanswer__attempt__language": language} if language else {}),
        )
        .order_by()
        .values("attemptanswer__question_id", "choice_id", "choice__text", "choice__is_correct")
        .annotate(n=Count("pk"))
    )
    right_picks: dict[int, int] = {}
    # Most chosen first; a tie goes to the choice listed first.
    for row in sorted(selections, key=lambda r: (-r["n"], r["choice_id"])):
        item = stats[row["attemptanswer__question_id"]]
        if row["choice__is_correct"]:
            right_picks[item.question.pk] = max(right_picks.get(item.question.pk, 0), row["n"])
        elif row["n"] > item.top_wrong_count:
            item.top_wrong_count, item.top_wrong_choice = row["n"], row["choice__text"]
    for item in stats.values():
        item.flags = _flags(item, right_picks.get(item.question.pk, 0))
    if boosters:
        from reports.selectors.retention import booster_wrong_by_quiz_question

        for question_id, (answered, wrong) in booster_wrong_by_quiz_question(boosters).items():
            if question_id in stats:
                stats[question_id].booster_answered, stats[question_id].booster_wrong = answered, wrong
    return list(stats.values())


def _flags(item: ItemStats, right_picks: int) -> list[str]:
    if item.responses < MIN_RESPONSES:
        return []
    flags = []
    discrimination = item.discrimination
    if discrimination is not None and discrimination < 0:
        flags.append("negative")
    if item.top_wrong_count > right_picks:
        flags.append("distractor")
    if item.wrong_share is not None and item.wrong_share >= HARD_SHARE:
        flags.append("hard")
    if discrimination is not None and 0 <= discrimination < LOW_DISCRIMINATION:
        flags.append("flat")
    return flags


def courses_with_attempts() -> list[tuple[str, str]]:
    """Course codes that have quiz questions, newest title per code (one query)."""
    from reports.selectors.compliance import course_titles

    codes = set(Question.objects.values_list("quiz__course__code", flat=True).distinct())
    # SCORM packages' questions (cmi.interactions) have their own section on the page.
    codes = sorted(codes | course_codes_with_interactions())
    titles = course_titles(codes)
    return [(code, titles.get(code, code)) for code in codes]
