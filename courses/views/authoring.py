"""Course authoring pages for admins: courses, modules, resources, quizzes, questions, publishing,
new versions and course package import/export. Every view is admin-only (403 for others)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses import usage
from courses.forms.authoring import (
    CourseForm,
    ModuleForm,
    PackageUploadForm,
    QuestionForm,
    QuizForm,
    ResourceForm,
    choice_formset,
)
from courses.models import Course, LearningResource, Module, Question, Quiz
from courses.selectors.authoring import course_get_for_editor, course_list_for_authoring
from courses.services import authoring as services
from courses.services.authoring import course_import_package
from courses.services.package_archive import course_package_archive, package_read
from lms.permissions import admin_required


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors where the form has the field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _editor_url(course: Course, anchor: str = "") -> str:
    return reverse("authoring_course_detail", args=[course.pk]) + (f"#{anchor}" if anchor else "")


def _form_page(request, *, form, course: Course | None, title: str, cancel_url: str, submit: str, **extra):
    return render(
        request,
        "courses/authoring/form.html",
        {"form": form, "course": course, "title": title, "cancel_url": cancel_url, "submit": submit, **extra},
    )


@admin_required
@require_GET
def course_list(request):
    search = request.GET.get("q", "").strip()
    page = Paginator(course_list_for_authoring(search=search), 50).get_page(request.GET.get("page"))
    return render(request, "courses/authoring/course_list.html", {"page": page, "search": search})


@admin_required
@require_http_methods(["GET", "POST"])
def course_create(request):
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(data=form.service_data(), actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Draft course %(course)s created. Add modules and a final assessment.") % {"course": course}
            )
            return redirect(_editor_url(course))
    return _form_page(
        request,
        form=form,
        course=None,
        title=_("New course"),
        cancel_url=reverse("authoring_course_list"),
        submit=_("Create course"),
    )


@admin_required
@require_GET
def course_detail(request, pk: int):
    course = course_get_for_editor(pk=pk)
    context = {
        "course": course,
        "editable": course.status == Course.Status.DRAFT,
        "problems": services.course_publish_problems(course) if course.status == Course.Status.DRAFT else [],
    }
    return render(request, "courses/authoring/course_detail.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def course_edit(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    saved_due_days = course.default_due_days
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        new_due_days = form.cleaned_data.get("default_due_days")
        if new_due_days != saved_due_days and request.POST.get("confirm_due_change") != str(new_due_days):
            # Show what the change touches before saving it.
            preview = usage.due_change_preview(course=course, default_due_days=new_due_days)
            if preview is not None and (preview.active_unfinished or preview.rules):
                return _form_page(
                    request,
                    form=form,
                    course=course,
                    title=_("Course details and rules"),
                    cancel_url=_editor_url(course),
                    submit=_("Confirm and save"),
                    due_preview=preview,
                    old_due_days=saved_due_days,
                    new_due_days=new_due_days,
                )
        try:
            services.course_update(course=course, data=form.service_data(), actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Course rules saved."))
            return redirect(_editor_url(course))
    return _form_page(
        request,
        form=form,
        course=course,
        title=_("Course details and rules"),
        cancel_url=_editor_url(course),
        submit=_("Save"),
    )


@admin_required
@require_POST
def course_publish(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    try:
        services.course_publish(course=course, actor=request.user)
    except ValidationError as error:
        messages.error(request, _("Not published. Fix these problems first:"))
        for problem in error.messages:
            messages.error(request, problem)
    else:
        # The next step is assigning it: the assign page with this course chosen.
        messages.success(request, _("%(course)s is published. Now choose who takes it.") % {"course": course})
        return redirect(reverse("assignments:assign") + f"?course={course.pk}")
    return redirect(_editor_url(course))


@admin_required
@require_POST
def course_unpublish(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    try:
        services.course_unpublish(course=course, actor=request.user)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("%(course)s is a Draft again.") % {"course": course})
    return redirect(_editor_url(course))


@admin_required
@require_POST
def course_new_version(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    try:
        new = services.course_new_version(course=course, actor=request.user)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
        return redirect(_editor_url(course))
    messages.success(
        request,
        _("Version %(version)d created as a Draft; version %(old)d is unchanged.")
        % {"version": new.version, "old": course.version},
    )
    return redirect(_editor_url(new))


@admin_required
@require_GET
def course_export(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    # Plain JSON for a course without files; a zip of course.json and the files otherwise.
    handle, filename, content_type = course_package_archive(course)
    if filename.endswith(".json"):
        response = HttpResponse(handle.read(), content_type=content_type)
    else:
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def course_import(request):
    form = PackageUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        # Read in memory; the uploaded file name is never used.
        try:
            package, files = package_read(form.cleaned_data["package"])
            course = course_import_package(
                package=package, files=files, publish=form.cleaned_data["publish"], actor=request.user
            )
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request,
                _("Imported %(course)s (%(status)s).") % {"course": course, "status": course.get_status_display()},
            )
            return redirect(_editor_url(course))
    return render(request, "courses/authoring/import.html", {"form": form, "problems": problems})


# Modules, resources and quizzes share one edit and one delete flow.


def _edit_part(request, *, course: Course, instance, form, create, update, saved: str, anchor, title: str, submit: str):
    """Form page for one part of a course: create (instance None) or update through the service."""
    if request.method == "POST" and form.is_valid():
        try:
            if instance is None:
                instance = create(course=course, data=form.service_data())
            else:
                update(instance, data=form.service_data())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, saved % {"title": instance.title})
            return redirect(_editor_url(course, anchor(instance)))
    return _form_page(
        request, form=form, course=course, title=title, cancel_url=_editor_url(course, anchor(None)), submit=submit
    )


def _delete_part(request, *, part, delete, deleted: str, anchor: str):
    try:
        delete(part)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, deleted % {"title": part.title})
    return redirect(_editor_url(part.course, anchor))


def _get_module(course_pk: int, pk: int) -> Module:
    return get_object_or_404(Module.objects.select_related("course"), pk=pk, course_id=course_pk)


@admin_required
@require_http_methods(["GET", "POST"])
def module_edit(request, course_pk: int, pk: int | None = None):
    course = get_object_or_404(Course, pk=course_pk)
    module = _get_module(course_pk, pk) if pk else None
    return _edit_part(
        request,
        course=course,
        instance=module,
        form=ModuleForm(request.POST or None, request.FILES or None, instance=module),
        create=services.module_create,
        update=lambda module, data: services.module_update(module=module, data=data),
        saved=_("Module “%(title)s” saved."),
        anchor=lambda _module: "modules",
        title=_("Edit module") if module else _("New module"),
        submit=_("Save module"),
    )


@admin_required
@require_POST
def module_move(request, course_pk: int, pk: int, direction: str):
    module = _get_module(course_pk, pk)
    if direction not in ("up", "down"):
        raise Http404
    try:
        services.module_move(module=module, direction=direction)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(_editor_url(module.course, f"module-{module.pk}"))


@admin_required
@require_POST
def module_delete(request, course_pk: int, pk: int):
    return _delete_part(
        request,
        part=_get_module(course_pk, pk),
        delete=lambda module: services.module_delete(module=module),
        deleted=_("Module “%(title)s” deleted."),
        anchor="modules",
    )


# Resources


def _get_resource(course_pk: int, pk: int) -> LearningResource:
    return get_object_or_404(LearningResource.objects.select_related("course"), pk=pk, course_id=course_pk)


@admin_required
@require_http_methods(["GET", "POST"])
def resource_edit(request, course_pk: int, pk: int | None = None):
    course = get_object_or_404(Course, pk=course_pk)
    resource = _get_resource(course_pk, pk) if pk else None
    return _edit_part(
        request,
        course=course,
        instance=resource,
        form=ResourceForm(request.POST or None, request.FILES or None, instance=resource),
        create=services.resource_create,
        update=lambda resource, data: services.resource_update(resource=resource, data=data),
        saved=_("Resource “%(title)s” saved."),
        anchor=lambda _resource: "resources",
        title=_("Edit resource") if resource else _("New resource"),
        submit=_("Save resource"),
    )


@admin_required
@require_POST
def resource_delete(request, course_pk: int, pk: int):
    return _delete_part(
        request,
        part=_get_resource(course_pk, pk),
        delete=lambda resource: services.resource_delete(resource=resource),
        deleted=_("Resource “%(title)s” deleted."),
        anchor="resources",
    )


# Quizzes and questions


def _get_quiz(course_pk: int, pk: int) -> Quiz:
    return get_object_or_404(Quiz.objects.select_related("course"), pk=pk, course_id=course_pk)


@admin_required
@require_http_methods(["GET", "POST"])
def quiz_edit(request, course_pk: int, pk: int | None = None):
    course = get_object_or_404(Course, pk=course_pk)
    quiz = _get_quiz(course_pk, pk) if pk else None
    return _edit_part(
        request,
        course=course,
        instance=quiz,
        form=QuizForm(request.POST or None, instance=quiz, course=course),
        create=services.quiz_create,
        update=lambda quiz, data: services.quiz_update(quiz=quiz, data=data),
        saved=_("Quiz “%(title)s” saved."),
        anchor=lambda quiz: f"quiz-{quiz.pk}" if quiz else "quizzes",
        title=_("Edit quiz") if quiz else _("New quiz"),
        submit=_("Save quiz"),
    )


@admin_required
@require_POST
def quiz_delete(request, course_pk: int, pk: int):
    return _delete_part(
        request,
        part=_get_quiz(course_pk, pk),
        delete=lambda quiz: services.quiz_delete(quiz=quiz),
        deleted=_("Quiz “%(title)s” deleted."),
        anchor="quizzes",
    )


def _get_question(course_pk: int, quiz_pk: int, pk: int) -> Question:
    return get_object_or_404(
        Question.objects.select_related("quiz__course"), pk=pk, quiz_id=quiz_pk, quiz__course_id=course_pk
    )


@admin_required
@require_http_methods(["GET", "POST"])
def question_edit(request, course_pk: int, quiz_pk: int, pk: int | None = None):
    quiz = _get_quiz(course_pk, quiz_pk)
    course = quiz.course
    question = _get_question(course_pk, quiz_pk, pk) if pk else None
    if question is None and not course.modules.exists():
        # Every question names the module it tests (services.authoring): say so before the form
        # rather than after a save that can only fail.
        context = {"course": course, "quiz": quiz, "question": None, "needs_module": True}
        return render(request, "courses/authoring/question_form.html", context)
    data = request.POST if request.method == "POST" else None
    form = QuestionForm(data, instance=question, course=course)
    formset_class = choice_formset(new_question=question is None)
    formset = formset_class(data, instance=question or Question(quiz=quiz), prefix="choices", question_form=form)
    # The choices first: checking them against the question's kind can put an error on the form.
    choices_valid = formset.is_valid() if request.method == "POST" else False
    if request.method == "POST" and choices_valid and form.is_valid():
        try:
            if question is None:
                question = services.question_create(
                    quiz=quiz,
                    data=form.service_data(),
                    choices=formset.service_rows(),
                    true_false_answer=form.cleaned_data.get("true_false_answer"),
                )
            else:
                services.question_update(question=question, data=form.service_data(), choices=formset.service_rows())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Question saved."))
            return redirect(_editor_url(course, f"question-{question.pk}"))
    context = {
        "form": form,
        "formset": formset,
        "course": course,
        "quiz": quiz,
        "question": question,
        "cancel_url": _editor_url(course, f"quiz-{quiz.pk}"),
    }
    return render(request, "courses/authoring/question_form.html", context)


@admin_required
@require_POST
def question_delete(request, course_pk: int, quiz_pk: int, pk: int):
    question = _get_question(course_pk, quiz_pk, pk)
    try:
        services.question_delete(question=question)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Question deleted."))
    return redirect(_editor_url(question.quiz.course, f"quiz-{question.quiz_id}"))
