"""An admin previews a course as a learner would see it, Draft or published: its modules (with
their files and video), resources and quizzes, answered and marked with the feedback a learner
gets. Nothing is recorded: no assignment, attempt, module progress, notification or audit row
(the views only read, through courses.selectors.preview); every page says so in its banner."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from courses.models import LearningResource, Module, Quiz
from courses.selectors import preview as selectors
from lms.fields import parse_id
from lms.permissions import admin_required


@admin_required
@require_GET
def course_preview(request, pk: int):
    course = selectors.course_get_for_preview(pk=pk)
    context = {
        "course": course,
        "modules": selectors.preview_modules(course=course),
        "resources": selectors.preview_resources(course=course),
        "quizzes": selectors.preview_quizzes(course=course),
    }
    return render(request, "courses/preview/course.html", context)


@admin_required
@require_GET
def module_preview(request, pk: int, module_pk: int):
    course = selectors.course_get_for_preview(pk=pk)
    modules = selectors.preview_modules(course=course)
    index = next((i for i, module in enumerate(modules) if module.pk == module_pk), None)
    if index is None:
        get_object_or_404(Module, pk=module_pk, course=course)  # 404: not a module of this course
    module = modules[index]
    context = {
        "course": course,
        "module": module,
        "modules": modules,
        "position": index + 1,
        "previous_module": modules[index - 1] if index > 0 else None,
        "next_module": modules[index + 1] if index + 1 < len(modules) else None,
        "checks": [quiz for quiz in selectors.preview_quizzes(course=course) if quiz.module_id == module.pk],
    }
    return render(request, "courses/preview/module.html", context)


@admin_required
@require_GET
def resource_preview(request, pk: int, resource_pk: int):
    course = selectors.course_get_for_preview(pk=pk)
    resource = get_object_or_404(LearningResource, pk=resource_pk, course=course)
    return render(request, "courses/preview/resource.html", {"course": course, "resource": resource})


@admin_required
@require_http_methods(["GET", "POST"])
def quiz_preview(request, pk: int, quiz_pk: int):
    """The quiz as a learner takes it; a POST marks the answers in memory and shows the feedback."""
    course = selectors.course_get_for_preview(pk=pk)
    quiz, questions = selectors.preview_quiz(course=course, pk=quiz_pk)
    result = None
    if request.method == "POST":
        chosen: dict[int, set[int]] = {}
        for question in questions:
            ids = {parse_id(value) for value in request.POST.getlist(f"q{question.pk}")}
            chosen[question.pk] = {value for value in ids if value is not None}
        result = selectors.preview_mark(quiz=quiz, questions=questions, chosen_ids=chosen)
    context = {
        "course": course,
        "quiz": quiz,
        "questions": questions,
        "result": result,
        "is_final": quiz.kind == Quiz.Kind.FINAL,
    }
    return render(request, "courses/preview/quiz.html", context)
