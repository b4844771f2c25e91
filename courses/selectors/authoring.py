"""Reads for the authoring pages: the course list and one course with all of its content."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from courses import usage
from courses.models import Choice, Course, LearningResource, Module, Question, Quiz


def _count(model, **filters) -> Coalesce:
    """A correlated COUNT subquery: several counts on one row without multiplying joins."""
    counts = model.objects.filter(**filters).order_by().values(*filters.keys()).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def course_list_for_authoring(*, search: str = "") -> QuerySet[Course]:
    """Every course version, newest version of each code first, with content counts and flags."""
    courses = Course.objects.annotate(
        module_count=_count(Module, course=OuterRef("pk")),
        quiz_count=_count(Quiz, course=OuterRef("pk")),
        question_count=_count(Question, quiz__course=OuterRef("pk")),
        **usage.counters(),
        is_latest=~Exists(Course.objects.filter(code=OuterRef("code"), version__gt=OuterRef("version"))),
    ).order_by("code", "-version")
    if search:
        courses = courses.filter(Q(code__icontains=search) | Q(title__icontains=search))
    return courses


def course_get_for_editor(*, pk: int) -> Course:
    """One course with modules, resources, quizzes, questions and choices prefetched; 404 if absent."""
    course = (
        Course.objects.filter(pk=pk)
        .annotate(
            **usage.counters(),
            is_latest=~Exists(Course.objects.filter(code=OuterRef("code"), version__gt=OuterRef("version"))),
        )
        .prefetch_related(
            # A module that plays a SCORM package shows the package and its items (courses.scorm).
            Prefetch("modules", queryset=Module.objects.select_related("scorm_package").order_by("order", "pk")),
            "modules__scorm_package__items",
            Prefetch("resources", queryset=LearningResource.objects.order_by("order", "pk")),
            Prefetch("quizzes", queryset=Quiz.objects.select_related("module", "scorm_package__module").order_by("pk")),
            Prefetch(
                "quizzes__questions",
                queryset=Question.objects.select_related(
                    "objective", "remediation_module", "remediation_resource"
                ).order_by("order", "pk"),
            ),
            Prefetch("quizzes__questions__choices", queryset=Choice.objects.order_by("order", "pk")),
        )
        .first()
    )
    if course is None:
        raise Http404
    return course


def course_get_version(*, code: str, version: int | None = None) -> Course | None:
    """A course by code and version; without a version, the latest one."""
    courses = Course.objects.filter(code=code)
    if version is not None:
        return courses.filter(version=version).first()
    return courses.order_by("-version").first()
