"""What assignments tell the courses app about a course's use (registered in AssignmentsConfig.ready):
how many assignments and completions it has, and what a change of its due period would touch."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from assignments.models import Assignment, Completion
from assignments.services.rules import course_due_change_preview
from courses import usage


def _count(model):
    def count(course: OuterRef):
        rows = model.objects.filter(course=course).order_by().values("course").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    return count


def register() -> None:
    usage.register_counter("assignment_count", _count(Assignment))
    usage.register_counter("completion_count", _count(Completion))
    usage.register_due_change_preview(course_due_change_preview)
