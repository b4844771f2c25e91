"""The Django admin as a fallback for course authoring (the purpose-built pages live at
/courses/authoring/). Content of a course that is not a Draft is read-only here too, and
publishing goes through the same validation as everywhere else."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from courses.models import Choice, Course, LearningResource, Module, ModuleProgress, Question, Quiz
from courses.services.authoring import course_new_version, course_publish


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


@admin.register(Course)
class CourseAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "version", "title", "status", "compliance_critical", "updated_at"]
    list_filter = ["status", "compliance_critical"]
    search_fields = ["code", "title"]
    # Status changes only through the publish action, which validates the content first.
    readonly_fields = ["status"]
    inlines = [ModuleInline, LearningResourceInline, QuizInline]
    actions = ["publish_selected", "new_version_of_selected"]

    @admin.action(description=_("Publish the selected Draft courses"))
    def publish_selected(self, request, queryset):
        for course in queryset:
            try:
                course_publish(course=course)
            except ValidationError as error:
                self.message_user(request, f"{course}: " + " ".join(error.messages), level=messages.ERROR)
            else:
                self.message_user(request, _("%(course)s published.") % {"course": course}, level=messages.SUCCESS)

    @admin.action(description=_("Create a new Draft version of the selected courses"))
    def new_version_of_selected(self, request, queryset):
        for course in queryset:
            try:
                new = course_new_version(course=course)
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


@admin.register(ModuleProgress)
class ModuleProgressAdmin(admin.ModelAdmin):
    """Learner progress is written by the course player; here it is read-only."""

    list_display = ["assignment", "module", "completed_at", "tested_out"]
    list_select_related = ["assignment__learner", "module"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
