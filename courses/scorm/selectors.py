"""Reads of SCORM packages for pages and the player."""

from __future__ import annotations

from django.db.models import QuerySet

from courses.models import Course, Module
from courses.scorm.models import ScormItem, ScormPackage


def scorm_package_for_module(*, module: Module) -> ScormPackage | None:
    """The package a module plays, or None for a native module."""
    return ScormPackage.objects.filter(module=module).select_related("course", "quiz").first()


def scorm_items(*, package: ScormPackage, visible_only: bool = False) -> QuerySet[ScormItem]:
    """A package's launchable items in organisation order (the table of contents)."""
    items = ScormItem.objects.filter(package=package).order_by("order", "pk")
    return items.filter(is_visible=True) if visible_only else items


def scorm_packages_of_course(*, course: Course) -> QuerySet[ScormPackage]:
    """A course's packages with their module and items (for the authoring page): two queries."""
    return (
        ScormPackage.objects.filter(course=course)
        .select_related("module", "quiz", "uploaded_by")
        .prefetch_related("items")
        .order_by("module__order", "pk")
    )
