"""Booster questions and answers as translatable course texts (courses.translations.registry).

Courses cannot import boosters (apps import only downwards), so boosters register their kinds from
their AppConfig.ready. A booster's texts belong to the course version its programme picks from
(``BoosterProgramme.course``); the email and the answer page show a question in the recipient's
language only when the question and all its answers are translated (``overlay_whole``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from courses.translations.registry import TextKind, register_and_guard, snippet


def register_booster_kinds() -> None:
    from assignments.boosters.models import BoosterChoice, BoosterQuestion

    register_and_guard(
        TextKind(
            kind="booster_question",
            model=BoosterQuestion,
            fields=("text", "feedback", "good_application", "resource_title"),
            course_lookup="programme__course",
            order_by=("order", "pk"),
            label=lambda question: _("Booster question “%(text)s”") % {"text": snippet(question.text)},
            learner_content=False,
        )
    )
    register_and_guard(
        TextKind(
            kind="booster_choice",
            model=BoosterChoice,
            fields=("text", "feedback"),
            course_lookup="question__programme__course",
            order_by=("question__order", "question_id", "order", "pk"),
            select_related=("question",),
            label=lambda choice: (
                _("Booster answer “%(text)s” of “%(question)s”")
                % {"text": snippet(choice.text, 40), "question": snippet(choice.question.text, 40)}
            ),
            learner_content=False,
        )
    )
