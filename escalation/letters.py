"""Formal warning letters as PDF (WeasyPrint), rendered from the WarningLetter row that records
exactly what was issued.

A letter is the learner's document: it is always in the learner's language and time zone
(``lms.recipients.as_person``), also when it is attached to the copy their manager receives (the
copy's email is in the manager's language; the letter it carries is the one the learner got)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from escalation.dispatch import attachment_builder
from escalation.models import Notification, WarningLetter
from lms.recipients import as_person


def warning_letter_pdf(letter: WarningLetter) -> bytes:
    assignment = letter.assignment
    with as_person(assignment.learner):
        return _render(letter)


def _render(letter: WarningLetter) -> bytes:
    assignment = letter.assignment
    # Counted as the ladder counts (escalation.workflows.overdue): the learner's local date of issue
    # less the deadline, so the letter says what the step's emails say.
    issued_on = timezone.localdate(letter.issued_at, timezone=assignment.learner.tzinfo)
    html = render_to_string(
        "escalation/warning_letter.html",
        {
            "letter": letter,
            "issued_on": issued_on,
            "days_overdue": (issued_on - letter.deadline_missed).days,
            "assignment": assignment,
            "learner": assignment.learner,
            "course": assignment.course,
            "manager": letter.manager,
            "organisation_name": settings.ORGANISATION_NAME,
        },
    )
    # Imported here, as every other PDF does: importing WeasyPrint loads Pango and friends, seconds
    # that every process (each management command, an import of a CSV) paid at start-up.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


@attachment_builder(Notification.Kind.WARNING_LETTER)
def _letters(rows: list[Notification]) -> list[tuple[str, bytes, str]]:
    references = [row.context.get("reference") for row in rows if row.context.get("reference")]
    letters = WarningLetter.objects.filter(reference__in=references).select_related(
        "assignment__learner", "assignment__course", "manager"
    )
    return [(f"{letter.reference}.pdf", warning_letter_pdf(letter), "application/pdf") for letter in letters]
