"""Translations of a course's texts (issue 16): course content is data, not catalogue entries.

One row is one field of one object of a course in one language other than the course's own
(``Course.language``). The object is named by its kind (``courses.translations.registry``) and
primary key; ``source_digest`` is the SHA-256 of the main-language text the row translates, so a
translation is *outdated* as soon as the main text changes, and the learner is then shown the main
language instead (``selectors.available_languages``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStampedModel


class TextTranslation(TimeStampedModel):
    class Kind(models.TextChoices):
        COURSE = "course", _("Course")
        MODULE = "module", _("Module")
        RESOURCE = "resource", _("Resource")
        QUIZ = "quiz", _("Quiz")
        QUESTION = "question", _("Question")
        CHOICE = "choice", _("Choice")
        BOOSTER_QUESTION = "booster_question", _("Booster question")
        BOOSTER_CHOICE = "booster_choice", _("Booster answer")

    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="text_translations", verbose_name=_("course")
    )
    language = models.CharField(_("language"), max_length=10)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("object"))
    field = models.CharField(_("field"), max_length=40)
    text = models.TextField(_("translation"))
    source_digest = models.CharField(_("digest of the translated text"), max_length=64)
    translated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("translated by"),
    )

    class Meta:
        ordering = ["course", "language", "kind", "object_id", "field"]
        verbose_name = _("text translation")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "field", "language"],
                name="text_translation_one_per_field_language",
                violation_error_message=_("This text already has a translation in this language."),
            ),
        ]
        indexes = [
            # Learner pages and the status page read one course's translations in one language.
            models.Index(fields=["course", "language"], name="text_translation_course_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.field} ({self.language})"
