"""Reads for the SCORM player: the package of a learner's module, its table of contents with each
SCO's state in the current run, and the data a launch hands to the run-time API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from assignments.models import Assignment
from assignments.scorm_runtime.datamodel import duration_from_seconds, time12_from_seconds
from assignments.scorm_runtime.models import ScormInteraction, ScormState
from assignments.scorm_runtime.services import current_run, refusal_of
from courses.models import Module
from courses.scorm.models import ScormItem, ScormPackage


def package_for_module(*, module: Module) -> ScormPackage | None:
    return ScormPackage.objects.filter(module_id=module.pk).select_related("quiz", "module").first()


def package_for_quiz(*, quiz) -> ScormPackage | None:
    """The package that plays (and grades) ``quiz``, or None for a native quiz."""
    if quiz is None:
        return None
    return ScormPackage.objects.filter(quiz_id=quiz.pk).only("pk", "module_id", "quiz_id").first()


def package_get_for_assignment(*, assignment: Assignment, module_pk: int) -> ScormPackage:
    """The package played as module ``module_pk`` of the assignment's course, or 404."""
    return get_object_or_404(
        ScormPackage.objects.select_related("quiz", "module"), module_id=module_pk, course_id=assignment.course_id
    )


@dataclass
class TocEntry:
    item: ScormItem
    state: ScormState | None
    current: bool = False

    @property
    def status(self) -> str:
        if self.state is None:
            return ScormState.Completion.NOT_ATTEMPTED
        if self.state.success != ScormState.Success.UNKNOWN:
            return self.state.success
        return self.state.completion


@dataclass
class Launch:
    package: ScormPackage
    run: int
    item: ScormItem | None
    toc: list[TocEntry] = field(default_factory=list)
    refusal: str = ""  # why nothing is recorded (review), or why it cannot start
    blocked: bool = False  # attempts used up or cooldown: the content is not launched
    cmi: dict = field(default_factory=dict)  # what loadFromJSON gives scorm-again


def _number(value: Decimal) -> str:
    """A decimal as SCORM reads it: 80, 0.8 (never 8E+1)."""
    return format(value.normalize(), "f")


def _cmi_for(*, package: ScormPackage, item: ScormItem, state: ScormState | None, learner, review: bool) -> dict:
    name = f"{learner.last_name}, {learner.first_name}".strip(", ") or learner.email
    resumes = state is not None and (
        state.exit == "suspend" or (state.exit == "" and bool(state.suspend_data or state.location))
    )
    entry = "resume" if resumes else ("ab-initio" if state is None else "")
    total = state.total_seconds if state is not None else Decimal(0)
    mastery = item.mastery_score if item.mastery_score is not None else package.mastery_score
    if not package.is_2004:
        cmi = {
            "core": {
                "student_id": str(learner.pk),
                "student_name": name,
                "lesson_location": state.location if state else "",
                "credit": "no-credit" if review else "credit",
                "lesson_status": state.cmi.get("cmi.core.lesson_status", "not attempted") if state else "not attempted",
                "entry": entry,
                "lesson_mode": "review" if review else "normal",
                "total_time": time12_from_seconds(total),
            },
            "suspend_data": state.suspend_data if state else "",
            "launch_data": item.data_from_lms,
            "student_data": {
                "mastery_score": "" if mastery is None else _number(mastery),
                "max_time_allowed": item.max_time_allowed,
                "time_limit_action": item.time_limit_action,
            },
        }
        if state is not None:
            for key in ("raw", "min", "max"):
                value = state.cmi.get(f"cmi.core.score.{key}")
                if value:
                    cmi["core"].setdefault("score", {})[key] = value
        return cmi
    passing = item.scaled_passing_score
    if passing is None and package.mastery_score is not None:
        passing = package.mastery_score / 100
    cmi = {
        "learner_id": str(learner.pk),
        "learner_name": name,
        "location": state.location if state else "",
        "credit": "no-credit" if review else "credit",
        "mode": "review" if review else "normal",
        "entry": entry,
        "completion_status": state.cmi.get("cmi.completion_status", "unknown") if state else "unknown",
        "success_status": state.cmi.get("cmi.success_status", "unknown") if state else "unknown",
        "suspend_data": state.suspend_data if state else "",
        "launch_data": item.data_from_lms,
        "total_time": duration_from_seconds(total),
    }
    if passing is not None:
        cmi["scaled_passing_score"] = _number(Decimal(passing))
    if item.completion_threshold is not None:
        cmi["completion_threshold"] = _number(item.completion_threshold)
    if item.max_time_allowed:
        cmi["max_time_allowed"] = item.max_time_allowed
    if item.time_limit_action:
        cmi["time_limit_action"] = item.time_limit_action
    if state is not None:
        for key in ("progress_measure",):
            if state.cmi.get(f"cmi.{key}"):
                cmi[key] = state.cmi[f"cmi.{key}"]
        score = {key: state.cmi.get(f"cmi.score.{key}") for key in ("scaled", "raw", "min", "max")}
        score = {key: value for key, value in score.items() if value}
        if score:
            cmi["score"] = score
    return cmi


def launch_for(
    *, assignment: Assignment, package: ScormPackage, item_pk: int | None, now: dt.datetime | None = None
) -> Launch:
    """What the player shows: the current run, the item to play (the asked one, else the first SCO
    not done), the table of contents, and the data the run-time API starts from (three queries)."""
    now = now or timezone.now()
    run = current_run(assignment=assignment, package=package)
    items = list(package.items.filter(is_visible=True).order_by("order", "pk"))
    states = {
        state.item_id: state
        for state in ScormState.objects.filter(assignment_id=assignment.pk, item__package=package, run=run)
    }
    refusal = refusal_of(assignment=assignment, package=package, now=now)
    review = bool(refusal) and (assignment.archived_at is not None or assignment.status == Assignment.Status.COMPLETED)
    blocked = bool(refusal) and not review
    chosen = next((item for item in items if item.pk == item_pk), None) if item_pk is not None else None
    if chosen is None:
        chosen = next(
            (item for item in items if item.is_sco and not (states.get(item.pk) and states[item.pk].is_done)),
            items[0] if items else None,
        )
    toc = [
        TocEntry(item=item, state=states.get(item.pk), current=chosen is not None and item.pk == chosen.pk)
        for item in items
    ]
    launch = Launch(package=package, run=run, item=chosen, toc=toc, refusal=refusal, blocked=blocked)
    if chosen is not None and chosen.is_sco and not blocked:
        launch.cmi = _cmi_for(
            package=package, item=chosen, state=states.get(chosen.pk), learner=assignment.learner, review=review
        )
    return launch


def interaction_rows_for_course(*, course_code: str) -> list[dict]:
    """Item analysis of SCORM interactions (cmi.interactions) for every version of a course: per
    package item and interaction identifier, how many runs answered it right or wrong and the share
    right (one query). Neutral, unanticipated and numeric results are not counted."""
    rows = list(
        ScormInteraction.objects.filter(state__item__package__course__code=course_code, is_correct__isnull=False)
        .values("state__item__package__title", "state__item__title", "identifier")
        .annotate(
            responses=Count("pk"),
            correct=Count("pk", filter=Q(is_correct=True)),
            description=Max("description"),
            kind=Max("kind"),
        )
        .order_by("state__item__package__title", "state__item__title", "identifier")
    )
    for row in rows:
        row["correct_percent"] = Decimal(row["correct"] * 100) / row["responses"]
    return rows


def course_codes_with_interactions() -> set[str]:
    """Course codes whose SCORM packages have reported interactions (one query)."""
    return set(ScormInteraction.objects.values_list("state__item__package__course__code", flat=True).distinct())
