"""SCORM import pages for admins (403 for others): a package as a new course, or as a module of one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from courses.models import Course, Quiz
from courses.scorm.forms import ScormCourseImportForm, ScormModuleImportForm
from courses.scorm.services import scorm_package_import
from lms.permissions import admin_required


def _problems(form, error: ValidationError) -> list[str]:
    """Field errors go on the form's fields; the package's problems are listed above it."""
    if hasattr(error, "error_dict"):
        problems = []
        for field, errors in error.error_dict.items():
            if field in form.fields and field != "package":
                form.add_error(field, errors)
            else:
                problems.extend(message for item in errors for message in item.messages)
        return problems
    return error.messages


def _imported(request, package) -> None:
    count = package.items.count()
    messages.success(
        request,
        ngettext(
            "Imported the SCORM package “%(title)s” (%(version)s, %(count)s item) into the Draft course %(course)s.",
            "Imported the SCORM package “%(title)s” (%(version)s, %(count)s items) into the Draft course %(course)s.",
            count,
        )
        % {
            "title": package.title,
            "version": package.get_scorm_version_display(),
            "count": count,
            "course": package.course,
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def import_course(request):
    form = ScormCourseImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["package"]
        try:
            package = scorm_package_import(file=upload, by=request.user, filename=upload.name, **form.service_kwargs())
        except ValidationError as error:
            problems = _problems(form, error)
        else:
            _imported(request, package)
            return redirect(reverse("authoring_course_detail", args=[package.course_id]) + "#modules")
    return render(
        request,
        "scorm/import.html",
        {"form": form, "problems": problems, "course": None, "cancel_url": reverse("authoring_course_list")},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def import_module(request, course_pk: int):
    course = get_object_or_404(Course, pk=course_pk, status=Course.Status.DRAFT)
    has_final = course.quizzes.filter(kind=Quiz.Kind.FINAL).exists()
    form = ScormModuleImportForm(request.POST or None, request.FILES or None, has_final=has_final)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["package"]
        try:
            package = scorm_package_import(
                file=upload,
                by=request.user,
                filename=upload.name,
                as_module_of=course,
                title=form.cleaned_data["title"] or None,
                grades_course=form.cleaned_data["grades_course"],
                pass_mark=form.cleaned_data["pass_mark"],
            )
        except ValidationError as error:
            problems = _problems(form, error)
        else:
            _imported(request, package)
            return redirect(reverse("authoring_course_detail", args=[course.pk]) + "#modules")
    return render(
        request,
        "scorm/import.html",
        {
            "form": form,
            "problems": problems,
            "course": course,
            "cancel_url": reverse("authoring_course_detail", args=[course.pk]) + "#modules",
        },
    )
