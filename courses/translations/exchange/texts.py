"""The texts of a course as the translation pages and files show them: id, label, main text,
digest, and the translation in one language with its state."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from courses.models import Course
from courses.translations.models import TextTranslation
from courses.translations.selectors import source_texts


class State:
    TRANSLATED = "translated"
    MISSING = "missing"
    OUTDATED = "outdated"


@dataclass(frozen=True)
class TextRow:
    """One translatable text of a course, with its translation in one language (if any)."""

    kind: str
    object_id: int
    field: str
    label: str
    source: str
    digest: str
    html: bool
    translation: str | None
    translation_digest: str | None

    @property
    def unit_id(self) -> str:
        return unit_id(self.kind, self.object_id, self.field)

    @property
    def state(self) -> str:
        if self.translation is None:
            return State.MISSING
        return State.TRANSLATED if self.translation_digest == self.digest else State.OUTDATED


@dataclass(frozen=True)
class Unit:
    """One unit read from a file: where it is (for messages), its id, digest and target."""

    where: str
    id: str
    digest: str
    target: str


def unit_id(kind: str, object_id: int, field_name: str) -> str:
    return f"{kind}:{object_id}:{field_name}"


def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


def text_rows(course: Course, language: str) -> list[TextRow]:
    """Every translatable text of ``course`` in display order, with its ``language`` translation:
    the course's texts in one pass (``selectors.source_texts``) and its translations in one query."""
    stored = {
        (row.kind, row.object_id, row.field): row
        for row in TextTranslation.objects.filter(course=course, language=language).only(
            "kind", "object_id", "field", "text", "source_digest"
        )
    }
    rows = []
    for source in source_texts(course):
        translation = stored.get(source.key)
        rows.append(
            TextRow(
                kind=source.kind,
                object_id=source.object_id,
                field=source.field,
                label=f"{source.label}, {source.field_label}",
                source=source.text,
                digest=source.digest,
                html=source.is_html,
                translation=translation.text if translation else None,
                translation_digest=translation.source_digest if translation else None,
            )
        )
    return rows


def export_filename(course: Course, language: str, extension: str) -> str:
    return f"{course.code}-v{course.version}-{language}.{extension}"
