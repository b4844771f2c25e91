"""Writes of course translations.

``translation_save`` is the one way a translation is written by a person (the admin pages, the
translators' file import): the language must be one of the site's and not the course's own, the
object must belong to the course (its kind's ``course_lookup``), the main text must exist, HTML
fields are reduced to the safe subset as the main field is (``lms.html.sanitise_html``), the
digest of the main text as it is now is recorded (what makes the translation current), and the
change is recorded in the audit trail against the course, like other course edits.

A published course can be translated in place: a translation changes no rule, no answer and no
score (choices are the same objects whatever the language), and learners see a language only once
it is complete. A new version of a course gets copies of its translations through the course
package (``courses.translations.packages``), digests included, so a translation of a text the new
version keeps stays current and one already outdated stays outdated.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import Course
from courses.translations import registry
from courses.translations.models import TextTranslation
from courses.translations.selectors import digest
from lms.audit import audit_record, label_of
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


@transaction.atomic
def translation_save(
    *, course: Course, language: str, kind: str, object_id: int, field: str, text: str, by=None
) -> TextTranslation:
    """Create or replace the translation of one text; refused with a ValidationError naming what is
    wrong, changing nothing."""
    _check_language(course, language)
    text_kind, obj = _source(course, kind, object_id, field)
    main = getattr(obj, field) or ""
    if not main.strip():
        raise ValidationError({"text": _("The main text is empty: there is nothing to translate.")})
    text = text if isinstance(text, str) else ""
    if field in text_kind.html_fields:
        text = sanitise_html(text)
    if not text.strip():
        raise ValidationError({"text": _("A translation cannot be empty; delete it to show the main text instead.")})
    limit = text_kind.max_length(field)
    if limit is not None and len(text) > limit:
        raise ValidationError(
            {
                "text": _("This translation has %(length)d characters; at most %(limit)d fit.")
                % {"length": len(text), "limit": limit}
            }
        )
    existing = (
        TextTranslation.objects.select_for_update()
        .filter(kind=kind, object_id=obj.pk, field=field, language=language)
        .first()
    )
    old = existing.text if existing else None
    translation = existing or TextTranslation(
        course=course, language=language, kind=kind, object_id=obj.pk, field=field
    )
    translation.text = text
    translation.source_digest = digest(main)
    translation.translated_by = by
    translation.save()
    if old != text:
        _audit(
            course=course,
            actor=by,
            key=f"translation {language} {kind} {obj.pk} {field}",
            old=old,
            new=text,
            reason="Translation saved",
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
