"""Translations for tests, written through the service (as a translator would)."""

from __future__ import annotations

from courses.translations.selectors import source_texts
from courses.translations.services import translation_save


def translate_all(course, language: str, *, prefix: str | None = None, learner_content_only: bool = False) -> int:
    """Translate every text of ``course`` into ``language`` as "<prefix><main text>" (HTML bodies
    as "<p><prefix></p><main body>"); returns how many texts were written."""
    prefix = prefix if prefix is not None else f"[{language}] "
    count = 0
    for text in source_texts(course, learner_content_only=learner_content_only):
        value = f"<p>{prefix}</p>{text.text}" if text.is_html else f"{prefix}{text.text}"
        translation_save(
            course=course,
            language=language,
            kind=text.kind,
            object_id=text.object_id,
            field=text.field,
            text=value,
            by=None,
        )
        count += 1
    return count
