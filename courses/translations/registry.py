"""What of a course can be translated: kind -> model, fields, which are HTML, how to reach the course.

Courses registers its own kinds (``register_course_kinds``, from this app's ``AppConfig.ready``);
apps above courses register theirs from their own ``ready`` (``assignments.boosters`` adds the
booster questions and answers), so courses never imports them. A kind's ``course_lookup`` is the
ORM path from the object to its course; every read and write of translations filters by it, which
is what keeps a translation from naming an object of another course.

``learner_content`` kinds are what a learner sees while taking the course: a language is offered
to learners only when all of them are translated (``selectors.available_languages``). Booster
questions come weeks later, one at a time, and are shown translated question by question
(``selectors.overlay_whole``), so they are not part of that rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


def snippet(text: str, length: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"


@dataclass(frozen=True)
class TextKind:
    kind: str
    model: type[models.Model]
    fields: tuple[str, ...]
    course_lookup: str
    order_by: tuple[str, ...]
    label: Callable[[models.Model], str]
    html_fields: frozenset[str] = field(default_factory=frozenset)
    select_related: tuple[str, ...] = ()
    learner_content: bool = True

    def objects_of(self, course) -> models.QuerySet:
        """This kind's objects of ``course`` (a Course or its pk), in display order."""
        course_id = course.pk if isinstance(course, models.Model) else course
        queryset = self.model.objects.filter(**{self.course_lookup: course_id})
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset.order_by(*self.order_by)

    def field_label(self, name: str) -> str:
        return str(self.model._meta.get_field(name).verbose_name)

    def max_length(self, name: str) -> int | None:
        return self.model._meta.get_field(name).max_length


KINDS: dict[str, TextKind] = {}


def register(kind: TextKind) -> None:
    KINDS[kind.kind] = kind


def get(kind: str) -> TextKind | None:
    return KINDS.get(kind)


def kind_of(instance: models.Model) -> TextKind | None:
    for text_kind in KINDS.values():
        if type(instance) is text_kind.model:
            return text_kind
    return None


def register_course_kinds() -> None:
    from courses.models import Choice, Course, LearningResource, Module, Question, Quiz

    register(
        TextKind(
            kind="course",
            model=Course,
            fields=("title", "description"),
            course_lookup="pk",
            order_by=("pk",),
            label=lambda course: _("Course “%(title)s”") % {"title": snippet(course.title)},
        )
    )
    register(
        TextKind(
            kind="module",
            model=Module,
            fields=("title", "body"),
            html_fields=frozenset({"body"}),
            course_lookup="course",
            order_by=("order", "pk"),
            label=lambda module: _("Module “%(title)s”") % {"title": snippet(module.title)},
        )
    )
    register(
        TextKind(
            kind="resource",
            model=LearningResource,
            fields=("title", "body"),
            html_fields=frozenset({"body"}),
            course_lookup="course",
            order_by=("order", "pk"),
            label=lambda resource: _("Resource “%(title)s”") % {"title": snippet(resource.title)},
        )
    )
    register(
        TextKind(
            kind="quiz",
            model=Quiz,
            fields=("title",),
            course_lookup="course",
            order_by=("pk",),
            label=lambda quiz: _("Quiz “%(title)s”") % {"title": snippet(quiz.title)},
        )
    )
    register(
        TextKind(
            kind="question",
            model=Question,
            fields=("text", "explanation"),
            course_lookup="quiz__course",
            order_by=("quiz_id", "order", "pk"),
            label=lambda question: _("Question “%(text)s”") % {"text": snippet(question.text)},
        )
    )
    register(
        TextKind(
            kind="choice",
            model=Choice,
            fields=("text", "feedback"),
            course_lookup="question__quiz__course",
            order_by=("question__quiz_id", "question__order", "question_id", "order", "pk"),
            select_related=("question",),
            label=lambda choice: (
                _("Choice “%(text)s” of “%(question)s”")
                % {"text": snippet(choice.text, 40), "question": snippet(choice.question.text, 40)}
            ),
        )
    )


class OverlaidContentError(RuntimeError):
    """An object showing a translation in place of its main text must never be saved."""


def _refuse_overlaid(sender, instance, **kwargs) -> None:
    if getattr(instance, "_content_language", None):
        raise OverlaidContentError(
            f"{sender.__name__} {instance.pk} shows its {instance._content_language} translation; "
            "read it again before saving it."
        )


def connect_save_guard() -> None:
    """Learner pages overlay translations onto the objects they read (``selectors.Overlay``):
    such an object holds translated text in its main fields, so saving it would overwrite the
    course's main text. The guard makes that a loud error instead of silent data loss."""
    for text_kind in KINDS.values():
        pre_save.connect(_refuse_overlaid, sender=text_kind.model, dispatch_uid=f"overlay-guard-{text_kind.kind}")


def register_and_guard(kind: TextKind) -> None:
    """For apps above courses: register a kind and guard its model."""
    register(kind)
    pre_save.connect(_refuse_overlaid, sender=kind.model, dispatch_uid=f"overlay-guard-{kind.kind}")
