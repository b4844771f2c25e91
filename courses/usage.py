"""How the apps above courses use a course: a registry that courses owns.

Courses sit below the apps that assign, complete and schedule them, so this app never reads their
tables. Each of those apps registers here in its ``AppConfig.ready``:

- a *counter*: a function of ``OuterRef("pk")`` (a course) returning a COUNT subquery, shown on the
  authoring pages (``assignment_count``) and used to tell whether a course is in use (a course
  somebody was assigned or completed cannot go back to Draft);
- a *due-change preview*: what a change of the course's default due period would touch, shown
  before the change is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Expression, OuterRef

_counters: dict[str, Callable[[OuterRef], Expression]] = {}
_due_change_previews: list[Callable[..., Any]] = []


def register_counter(name: str, count: Callable[[OuterRef], Expression]) -> None:
    """``count(OuterRef("pk"))`` is an integer expression: the rows of one kind for the course."""
    _counters[name] = count


def counters() -> dict[str, Expression]:
    """Every registered counter as an annotation for a Course queryset: ``{name: expression}``."""
    return {name: count(OuterRef("pk")) for name, count in sorted(_counters.items())}


def course_in_use(course) -> bool:
    """True when any registered counter is above zero for ``course`` (one query)."""
    from courses.models import Course

    annotations = counters()
    if not annotations:
        return False
    row = Course.objects.filter(pk=course.pk).annotate(**annotations).values(*annotations).get()
    return any(row.values())


def register_due_change_preview(preview: Callable[..., Any]) -> None:
    """``preview(course=..., default_due_days=...)`` returns an object with ``active_unfinished``
    and ``rules`` (counts) that the course form shows before saving a new due period."""
    if preview not in _due_change_previews:
        _due_change_previews.append(preview)


def due_change_preview(*, course, default_due_days: int):
    """The registered preview of a due-period change, or None when no app registered one."""
    for preview in _due_change_previews:
        return preview(course=course, default_due_days=default_due_days)
    return None
