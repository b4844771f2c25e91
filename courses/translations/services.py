"""Writes of course translations.

``translations_save_many`` is the one way translations are written by a person
(``translation_save`` for one text from the admin pages, the translators' file import for many):
the language must be one of the site's and not the course's own, the object must belong to the
course (its kind's ``course_lookup``), the main text must exist, HTML fields are reduced to the safe subset as the main field is (``lms.html.sanitise_html``), the
digest of the main text as it is now is recorded (what makes the translation current), and the
change is recorded in the audit trail against the course, like other course edits.

A published course can be translated in place: a translation changes no rule, no answer and no
score (choices are the same objects whatever the language), and learners see a language only once
it is complete. A new version of a course gets copies of its translations through the course
package (``courses.translations.packages``), digests included, so a translation of a text the new
version keeps stays current and one already outdated stays outdated.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import Course
from courses.translations import registry
from courses.translations.models import TextTranslation
from courses.translations.selectors import digest
from lms.audit import audit_record, audit_record_many, label_of
from lms.bulk import bulk_update
from lms.html import sanitise_html
from lms.languages import language_codes, native_name
from lms.models import AuditEntry


def _check_language(course: Course, language: str) -> None:
    if language not in language_codes():
        raise ValidationError(
            {
                "language": _("“%(value)s” is not one of this site's languages (%(codes)s).")
                % {"value": str(language)[:40], "codes": ", ".join(language_codes())}
            }
        )
    if language == course.language:
        raise ValidationError(
            {
                "language": _("%(language)s is the course's own language: edit the course itself instead.")
                % {"language": native_name(language)}
            }
        )


def _source(course: Course, kind: str, object_id: int, field: str):
    """The object and text kind a translation names, checked to belong to ``course``."""
    text_kind = registry.get(kind)
    if text_kind is None:
        raise ValidationError(
            {"kind": _("“%(kind)s” is not something a course translates.") % {"kind": str(kind)[:40]}}
        )
    if field not in text_kind.fields:
        raise ValidationError(
            {
                "field": _("“%(field)s” is not a translatable text of a %(kind)s (those are: %(fields)s).")
                % {"field": str(field)[:40], "kind": kind, "fields": ", ".join(text_kind.fields)}
            }
        )
    try:
        number = int(object_id)
    except (TypeError, ValueError):
        number = None
    obj = text_kind.objects_of(course).filter(pk=number).first() if number is not None and number > 0 else None
    if obj is None:
        raise ValidationError(
            {"object_id": _("This course has no %(kind)s number %(id)s.") % {"kind": kind, "id": str(object_id)[:20]}}
        )
    return text_kind, obj


def _audit(*, course: Course, actor, key: str, old: str | None, new: str | None, reason: str) -> None:
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CHANGE,
        obj_label=label_of(Course),
        obj_id=course.pk,
        changes={key: [old, new]},
        reason=reason,
    )


@dataclass(frozen=True)
class TextSave:
    """One translation to write: the text it translates (kind, object, field), the translation as
    given, and the digest of the main text the translator translated."""

    kind: str
    object_id: int
    field: str
    text: str
    source_digest: str


def translation_text(text_kind: registry.TextKind, field: str, text: object) -> str:
    """A translation as it is stored: HTML fields reduced to the safe subset the main field is held
    to (``lms.html.sanitise_html``); other text as it was typed."""
    text = text if isinstance(text, str) else ""
    return sanitise_html(text) if field in text_kind.html_fields else text


def translation_problem(text_kind: registry.TextKind, field: str, text: str) -> str | None:
    """Why a stored translation (``translation_text``) cannot be saved, or None."""
    if not text.strip():
        return _("A translation cannot be empty; delete it to show the main text instead.")
    limit = text_kind.max_length(field)
    if limit is not None and len(text) > limit:
        return _("This translation has %(length)d characters; at most %(limit)d fit.") % {
            "length": len(text),
            "limit": limit,
        }
    return None


@transaction.atomic
def translations_save_many(*, course: Course, language: str, saves: list[TextSave], by=None) -> list[TextTranslation]:
    """Create or replace translations of ``course``'s texts in ``language``, in a few statements
    whatever their number (the translators' file import writes hundreds at once), with the audit
    row of each changed text. The caller has checked that each text is the course's and that
    ``source_digest`` is its main text's digest now (``translation_save`` for one text, the import's
    plan for a file); the rules checked here are the language and each translation's text.
    Refused with a ValidationError naming every problem, changing nothing."""
    _check_language(course, language)
    prepared = []
    problems = []
    for save in saves:
        text_kind = registry.get(save.kind)
        text = translation_text(text_kind, save.field, save.text)
        problem = translation_problem(text_kind, save.field, text)
        if problem:
            problems.append(problem)
        prepared.append((save, text))
    if problems:
        raise ValidationError({"text": problems})
    existing = {
        (row.kind, row.object_id, row.field): row
        for row in TextTranslation.objects.select_for_update().filter(
            course=course,
            language=language,
            kind__in={save.kind for save in saves},
            object_id__in={save.object_id for save in saves},
        )
    }
    translator = by if getattr(by, "is_authenticated", False) else None
    new, changed, audits, rows = [], [], [], []
    for save, text in prepared:
        key = (save.kind, save.object_id, save.field)
        current = existing.get(key)
        old = current.text if current else None
        if current is None:
            current = TextTranslation(
                course=course,
                language=language,
                kind=save.kind,
                object_id=save.object_id,
                field=save.field,
                text=text,
                source_digest=save.source_digest,
                translated_by=translator,
            )
            new.append(current)
        else:
            current.text, current.source_digest, current.translated_by = text, save.source_digest, translator
            changed.append(current)
        rows.append(current)
        if old != text:
            audits.append(
                (course.pk, {f"translation {language} {save.kind} {save.object_id} {save.field}": (old, text)})
            )
    # bulk_create (not lms.bulk.bulk_insert): the caller of one save gets its row with its id.
    TextTranslation.objects.bulk_create(new, batch_size=1000)
    bulk_update(changed, ["text", "source_digest", "translated_by", "updated_at"])
    audit_record_many(
        actor=by,
        action=AuditEntry.Action.CHANGE,
        obj_label=label_of(Course),
        entries=audits,
        reason="Translation saved",
    )
    return rows


@transaction.atomic
def translation_save(
    *, course: Course, language: str, kind: str, object_id: int, field: str, text: str, by=None
) -> TextTranslation:
    """Create or replace the translation of one text; refused with a ValidationError naming what is
    wrong, changing nothing."""
    _check_language(course, language)
    _text_kind, obj = _source(course, kind, object_id, field)
    main = getattr(obj, field) or ""
    if not main.strip():
        raise ValidationError({"text": _("The main text is empty: there is nothing to translate.")})
    (translation,) = translations_save_many(
        course=course,
        language=language,
        saves=[TextSave(kind=kind, object_id=obj.pk, field=field, text=text, source_digest=digest(main))],
        by=by,
    )
    return translation


@transaction.atomic
def translation_delete(*, course: Course, language: str, kind: str, object_id: int, field: str, by=None) -> bool:
    """Delete one translation (the learner then sees the main text, and the language is no longer
    complete). Returns whether there was one."""
    _check_language(course, language)
    _source(course, kind, object_id, field)
    translation = TextTranslation.objects.filter(
        course=course, kind=kind, object_id=object_id, field=field, language=language
    ).first()
    if translation is None:
        return False
    translation.delete()
    _audit(
        course=course,
        actor=by,
        key=f"translation {language} {kind} {object_id} {field}",
        old=translation.text,
        new=None,
        reason="Translation deleted",
    )
    return True
