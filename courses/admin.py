"""The Django admin as a fallback for course authoring (the purpose-built pages live at
/courses/authoring/). Content of a course that is not a Draft is read-only here too. A course's
rules are compliance evidence (lms.audit.EVIDENCE_MODELS): the course is created, changed,
published and versioned through ``courses.services.authoring``, which validates and records each
change in the audit trail; a course is never deleted here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from courses.models import Choice, Course, LearningResource, Module, Question, Quiz
from courses.services.authoring import (
    COURSE_FIELDS,
    course_create,
    course_new_version,
    course_publish,
    course_update,
)
from courses.services.packages import course_rule_problems
from lms.admin import adopt_saved


def _course_of(obj) -> Course | None:
    if obj is None:
        return None
    if isinstance(obj, Course):
        return obj
    if isinstance(obj, Question):
        return obj.quiz.course
    if isinstance(obj, Choice):
        return obj.question.quiz.course
    return obj.course


class DraftOnlyMixin:
    """Change, add and delete only while the course is a Draft (published content is versioned)."""

    def _is_draft(self, obj) -> bool:
        course = _course_of(obj)
        return course is None or course.status == Course.Status.DRAFT

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._is_draft(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._is_draft(obj)


class DraftOnlyInlineMixin(DraftOnlyMixin):
    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self._is_draft(obj)


class ModuleInline(DraftOnlyInlineMixin, admin.StackedInline):
    model = Module
    extra = 0
    fields = ["order", "key", "title", "body", "video_url", "file_url", "estimated_minutes"]


class LearningResourceInline(DraftOnlyInlineMixin, admin.StackedInline):
    model = LearningResource
    extra = 0
    fields = ["order", "key", "kind", "title", "url", "body"]


class QuizInline(DraftOnlyInlineMixin, admin.TabularInline):
    model = Quiz
    extra = 0
    fields = ["kind", "title", "module", "pass_mark", "shuffle_questions", "shuffle_choices", "retake_missed_only"]
    show_change_link = True


class QuestionInline(DraftOnlyInlineMixin, admin.StackedInline):
    model = Question
    extra = 0
    fields = ["order", "kind", "text", "explanation", "objective", "remediation_module", "remediation_resource"]
    show_change_link = True


class ChoiceInline(DraftOnlyInlineMixin, admin.TabularInline):
    model = Choice
    extra = 0
    fields = ["order", "text", "is_correct", "feedback"]


class AdminCourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["code", "title", "description", *Course.RULE_FIELDS]

    def clean(self):
        # The service's own rule checks, as field messages here (the service would refuse them).
        cleaned = super().clean()
        code = cleaned.get("code")
        if self.instance.pk is None and code and Course.objects.filter(code__iexact=code).exists():
            self.add_error("code", _("A course with this code already exists: create a new version of it instead."))
        if cleaned.get("expiry_rule"):
            for message in course_rule_problems(
                expiry_rule=cleaned["expiry_rule"],
                recertification_months=cleaned.get("recertification_months"),
                fixed_expiry_month=cleaned.get("fixed_expiry_month"),
                fixed_expiry_day=cleaned.get("fixed_expiry_day"),
            ):
                self.add_error("expiry_rule", message[0].upper() + message[1:] + ".")
        return cleaned


@admin.register(Course)
class CourseAdmin(DraftOnlyMixin, admin.ModelAdmin):
    form = AdminCourseForm
    list_display = ["code", "version", "title", "status", "compliance_critical", "updated_at"]
    list_filter = ["status", "compliance_critical"]
    search_fields = ["code", "title"]
    # Status changes only through the publish action, which validates the content first.
    readonly_fields = ["version", "status"]
    inlines = [ModuleInline, LearningResourceInline, QuizInline]
    actions = ["publish_selected", "new_version_of_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.version > 1:
            return [*self.readonly_fields, "code"]  # the code ties the versions together
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in COURSE_FIELDS}
            course_update(course=obj, data=data, actor=request.user)
        else:
            data = {name: value for name, value in form.cleaned_data.items() if name in COURSE_FIELDS}
            adopt_saved(obj, course_create(data=data, actor=request.user))

    @admin.action(description=_("Publish the selected Draft courses"))
    def publish_selected(self, request, queryset):
        for course in queryset:
            try:
                course_publish(course=course, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{course}: " + " ".join(error.messages), level=messages.ERROR)
            else:
                self.message_user(request, _("%(course)s published.") % {"course": course}, level=messages.SUCCESS)

    @admin.action(description=_("Create a new Draft version of the selected courses"))
    def new_version_of_selected(self, request, queryset):
        for course in queryset:
            try:
                new = course_new_version(course=course, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{course}: " + " ".join(error.messages), level=messages.ERROR)
            else:
                self.message_user(request, _("%(course)s created.") % {"course": new}, level=messages.SUCCESS)


@admin.register(Module)
class ModuleAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "course", "key", "order", "estimated_minutes"]
    list_select_related = ["course"]
    search_fields = ["title", "key", "course__code"]


@admin.register(LearningResource)
class LearningResourceAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "course", "kind", "key"]
    list_select_related = ["course"]
    list_filter = ["kind"]
    search_fields = ["title", "key", "course__code"]


@admin.register(Quiz)
class QuizAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "course", "kind", "pass_mark"]
    list_select_related = ["course"]
    list_filter = ["kind"]
    search_fields = ["title", "course__code"]
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "quiz", "kind", "order"]
    list_select_related = ["quiz__course"]
    list_filter = ["kind"]
    search_fields = ["text", "quiz__course__code"]
    inlines = [ChoiceInline]


@admin.register(Choice)
class ChoiceAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["text", "question", "is_correct"]
    list_select_related = ["question__quiz__course"]
    search_fields = ["text"]
