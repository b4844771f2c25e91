"""Reads of course translations: the texts to translate, each language's status, the languages a
learner can take a course in, and the overlay learner pages show.

A text needs a translation when its main-language text is not empty. A translation counts only
while it is *current*: its ``source_digest`` is the digest of the main text as it is now. A
language is *available* to learners when every learner-content text of the course (registry:
course, modules, resources, quizzes, questions, choices) has a current translation in it: a
half-translated compliance quiz is never offered, and an outdated text never shown.

Query counts: ``source_texts`` reads each registered kind once; the overlay reads the course's
translations in one language once, whatever the number of objects it is applied to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from courses.translations import registry
from courses.translations.models import TextTranslation


def digest(text: str) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SourceText:
    kind: str
    object_id: int
    field: str
    label: str
    field_label: str
    text: str
    digest: str
    is_html: bool
    learner_content: bool

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.kind, self.object_id, self.field)


def source_texts(course, *, learner_content_only: bool = False) -> list[SourceText]:
    """Every translatable, non-empty main-language text of ``course``, in display order."""
    rows = []
    for text_kind in registry.KINDS.values():
        if learner_content_only and not text_kind.learner_content:
            continue
        for obj in text_kind.objects_of(course):
            label = str(text_kind.label(obj))
            for name in text_kind.fields:
                text = getattr(obj, name) or ""
                if not text.strip():
                    continue
                rows.append(
                    SourceText(
                        kind=text_kind.kind,
                        object_id=obj.pk,
                        field=name,
                        label=label,
                        field_label=text_kind.field_label(name),
                        text=text,
                        digest=digest(text),
                        is_html=name in text_kind.html_fields,
                        learner_content=text_kind.learner_content,
                    )
                )
    return rows


def other_languages(course) -> list[str]:
    """The site's languages a course can be translated into: all but its own and that language's
    other variants (an en-gb course is read as it is by en readers: outside eyes found English (US)
    listed as 101 texts missing, and first in the export form)."""
    family = course.language.split("-")[0]
    return [code for code, _name in settings.LANGUAGES if code.split("-")[0] != family]


def _digests_by_language(course, languages: Iterable[str] | None = None) -> dict[str, dict[tuple, str]]:
    rows = TextTranslation.objects.filter(course=course)
    if languages is not None:
        rows = rows.filter(language__in=list(languages))
    found: dict[str, dict[tuple, str]] = {}
    for language, kind, object_id, name, source_digest in rows.values_list(
        "language", "kind", "object_id", "field", "source_digest"
    ):
        found.setdefault(language, {})[(kind, object_id, name)] = source_digest
    return found


@dataclass(frozen=True)
class LanguageStatus:
    language: str
    total: int
    translated: int  # current translations
    missing: int
    outdated: int

    @property
    def complete(self) -> bool:
        return self.translated == self.total


def translation_status(course) -> dict[str, LanguageStatus]:
    """Per language other than the course's own: how many texts there are, are translated and
    current, have no translation, or have one older than the main text."""
    texts = source_texts(course)
    found = _digests_by_language(course)
    status = {}
    for language in other_languages(course):
        digests = found.get(language, {})
        translated = outdated = 0
        for text in texts:
            have = digests.get(text.key)
            if have is None:
                continue
            if have == text.digest:
                translated += 1
            else:
                outdated += 1
        status[language] = LanguageStatus(
            language=language,
            total=len(texts),
            translated=translated,
            missing=len(texts) - translated - outdated,
            outdated=outdated,
        )
    return status


def available_languages(course) -> list[str]:
    """The languages other than the course's own whose learner-content translation is complete and
    current, in the order of settings.LANGUAGES."""
    return available_languages_many([course]).get(course.pk, [])


def _learner_digests(course_ids: Iterable[int]) -> dict[int, dict[tuple, str]]:
    """course id -> {text key: digest} of every non-empty learner-content text of the courses (what
    ``source_texts(course, learner_content_only=True)`` lists), one query per kind for any number
    of courses."""
    found: dict[int, dict[tuple, str]] = {course_id: {} for course_id in course_ids}
    for text_kind in registry.KINDS.values():
        if not text_kind.learner_content:
            continue
        rows = (
            text_kind.model.objects.filter(**{f"{text_kind.course_lookup}__in": list(found)})
            .annotate(translation_course_id=models.F(text_kind.course_lookup))
            .values_list("translation_course_id", "pk", *text_kind.fields)
        )
        for course_id, pk, *texts in rows:
            for name, text in zip(text_kind.fields, texts, strict=True):
                if (text or "").strip():
                    found[course_id][(text_kind.kind, pk, name)] = digest(text)
    return found


def available_languages_many(courses: Iterable, *, languages: Iterable[str] | None = None) -> dict[int, list[str]]:
    """``available_languages`` of many courses (course id -> languages; a course with none is left
    out), considering only ``languages`` when given. One query when none of the courses has a
    translation in them (the usual home page); otherwise one more per learner-content kind,
    whatever the number of courses."""
    courses = list(courses)
    rows = TextTranslation.objects.filter(course_id__in=[course.pk for course in courses])
    if languages is not None:
        rows = rows.filter(language__in=list(languages))
    found: dict[int, dict[str, dict[tuple, str]]] = {}
    for course_id, language, kind, object_id, name, source_digest in rows.values_list(
        "course_id", "language", "kind", "object_id", "field", "source_digest"
    ):
        found.setdefault(course_id, {}).setdefault(language, {})[(kind, object_id, name)] = source_digest
    if not found:
        return {}
    texts = _learner_digests(found)
    available = {}
    for course in courses:
        by_language = found.get(course.pk)
        if not by_language:
            continue
        available[course.pk] = [
            language
            for language in other_languages(course)
            if language in by_language
            and all(by_language[language].get(key) == text_digest for key, text_digest in texts[course.pk].items())
        ]
    return available


def learner_languages(course) -> list[str]:
    """What a learner may choose from: the course's own language first, then the available ones."""
    return [course.language, *available_languages(course)]


def language_for(locale: str | None, course, available: list[str] | None = None) -> str:
    """The language a learner whose interface language is ``locale`` takes ``course`` in.

    The rule: the learner's exact language when the course is in it or has it available; else,
    when the course's main language shares the learner's language family (the primary subtag: an
    "en-gb" learner and an "en" course), the main language; else an available language of that
    family ("en-gb" learner, "de" course with a complete "en" translation: "en"); else the main
    language.
    """
    choices = learner_languages(course) if available is None else [course.language, *available]
    return pick_language(locale, course.language, choices)


def _family(code: str | None) -> str:
    return (code or "").split("-", 1)[0]


def pick_language(locale: str | None, main: str, candidates: Iterable[str]) -> str:
    """The rule of ``language_for`` over any candidate languages (the main language is always one)."""
    choices = [main, *[code for code in candidates if code != main]]
    if locale in choices:
        return locale
    for language in choices:
        if _family(language) == _family(locale):
            return language
    return main


def whole_translation(rows: dict[tuple[str, int, str], tuple[str, str]], texts: dict[tuple[str, int, str], str]):
    """``texts`` (key -> main text) translated from ``rows`` (key -> (text, digest)) when every
    non-empty one has a current translation; otherwise None: all of it translated, or none."""
    translated = {}
    for key, main in texts.items():
        if not (main or "").strip():
            translated[key] = main
            continue
        found = rows.get(key)
        if found is None or found[1] != digest(main):
            return None
        translated[key] = found[0]
    return translated


def translations_by_language(course_ids: Iterable[int], kinds: Iterable[str]) -> dict[tuple[int, str], dict]:
    """(course id, language) -> {(kind, object id, field): (text, digest)} for ``kinds`` of the
    courses, in one query (the nightly booster run reads its programmes' translations once)."""
    found: dict[tuple[int, str], dict] = {}
    for course_id, language, kind, object_id, name, text, source_digest in TextTranslation.objects.filter(
        course_id__in=list(course_ids), kind__in=list(kinds)
    ).values_list("course_id", "language", "kind", "object_id", "field", "text", "source_digest"):
        found.setdefault((course_id, language), {})[(kind, object_id, name)] = (text, source_digest)
    return found


def overlay_courses(pairs: Iterable[tuple[models.Model, str | None]]) -> None:
    """Show each course of ``pairs`` (course, language) with its title and description in that
    language where they have a current translation (``Overlay``: in place, never to be saved), as
    the course page does. One query for any number of courses; none when every language is the
    course's own."""
    pending = [(course, language) for course, language in pairs if language and language != course.language]
    if not pending:
        return
    rows = translations_by_language({course.pk for course, _language in pending}, [TextTranslation.Kind.COURSE])
    for course, language in pending:
        Overlay(course.pk, language, rows.get((course.pk, language), {})).apply(course)


def overlay_in_reader_language(course, locale: str | None, objects: list[models.Model]) -> str:
    """Show ``objects`` (a booster question and its answers) in the reader's language when all of
    them are translated into it (``pick_language``'s rule), else leave them in the course's own;
    returns the language shown. At most one query per language tried (usually one, or none)."""
    if not locale or _family(locale) == _family(course.language):
        return course.language
    codes = [code for code, _name in settings.LANGUAGES]
    tries = [locale] + [code for code in codes if code != locale and _family(code) == _family(locale)]
    for language in tries:
        if language in codes and overlay_whole(course.pk, language, objects):
            return language
    return course.language


class Overlay:
    """The translations of one course in one language, read in one query, applied in memory.

    ``apply`` writes each current translation into the object's field in place (and marks the
    object, so the registry's save guard refuses to save it); texts without a current translation
    keep their main-language text. Objects of another course are left alone.
    """

    def __init__(self, course_id: int, language: str, rows: dict[tuple[str, int, str], tuple[str, str]]):
        self.course_id = course_id
        self.language = language
        self._rows = rows

    def text(self, obj: models.Model, name: str) -> str:
        main = getattr(obj, name) if not getattr(obj, "_content_language", None) else obj._main_texts[name]
        text_kind = registry.kind_of(obj)
        if text_kind is None:
            return main
        found = self._rows.get((text_kind.kind, obj.pk, name))
        if found is None or found[1] != digest(main):
            return main
        return found[0]

    def value(self, kind: str, object_id: int, name: str, main: str) -> str:
        """The text of one field read as a plain value (``values()`` rows), current translation or main."""
        found = self._rows.get((kind, object_id, name))
        if found is None or found[1] != digest(main or ""):
            return main
        return found[0]

    def apply(self, *objects: models.Model | Iterable[models.Model] | None) -> None:
        if not self._rows:
            return
        for item in objects:
            if item is None:
                continue
            if isinstance(item, models.Model):
                self._apply_one(item)
            else:
                for obj in item:
                    self._apply_one(obj)

    def _apply_one(self, obj: models.Model) -> None:
        text_kind = registry.kind_of(obj)
        if text_kind is None or getattr(obj, "_content_language", None) == self.language:
            return
        main_texts = {name: getattr(obj, name) for name in text_kind.fields}
        changed = False
        for name in text_kind.fields:
            found = self._rows.get((text_kind.kind, obj.pk, name))
            if found is not None and found[1] == digest(main_texts[name]):
                setattr(obj, name, found[0])
                changed = True
        if changed:
            obj._main_texts = main_texts
            obj._content_language = self.language


class _NoOverlay(Overlay):
    def __init__(self, course_id: int, language: str):
        super().__init__(course_id, language, {})

    def apply(self, *objects) -> None:
        return None


def overlay_for(course, language: str | None) -> Overlay:
    """The overlay of ``course`` in ``language``: no query when it is the course's own language."""
    if not language or language == course.language:
        return _NoOverlay(course.pk, course.language)
    rows = {
        (kind, object_id, name): (text, source_digest)
        for kind, object_id, name, text, source_digest in TextTranslation.objects.filter(
            course=course, language=language
        ).values_list("kind", "object_id", "field", "text", "source_digest")
    }
    return Overlay(course.pk, language, rows)


def translated(obj: models.Model, name: str, language: str) -> str:
    """One field of one object in ``language`` (its main text when there is no current translation)."""
    text_kind = registry.kind_of(obj)
    main = getattr(obj, name)
    if text_kind is None:
        return main
    row = (
        TextTranslation.objects.filter(kind=text_kind.kind, object_id=obj.pk, field=name, language=language)
        .values_list("text", "source_digest")
        .first()
    )
    if row is None or row[1] != digest(main):
        return main
    return row[0]


def overlay_whole(course_id: int, language: str | None, objects: list[models.Model]) -> bool:
    """Show ``objects`` (one booster question and its answers) in ``language`` only when every one
    of their non-empty texts has a current translation: all of it translated, or none. One query.
    Returns whether the objects were translated."""
    if not language or not objects:
        return False
    keys = []
    for obj in objects:
        text_kind = registry.kind_of(obj)
        if text_kind is None:
            return False
        keys += [(text_kind.kind, obj.pk, name) for name in text_kind.fields if (getattr(obj, name) or "").strip()]
    if not keys:
        return False
    query = models.Q()
    for kind, object_id, name in keys:
        query |= models.Q(kind=kind, object_id=object_id, field=name)
    rows = {
        (kind, object_id, name): (text, source_digest)
        for kind, object_id, name, text, source_digest in TextTranslation.objects.filter(
            query, course_id=course_id, language=language
        ).values_list("kind", "object_id", "field", "text", "source_digest")
    }
    overlay = Overlay(course_id, language, rows)
    for obj in objects:
        for name in registry.kind_of(obj).fields:
            main = getattr(obj, name) or ""
            if main.strip() and (
                (registry.kind_of(obj).kind, obj.pk, name) not in rows
                or rows[(registry.kind_of(obj).kind, obj.pk, name)][1] != digest(main)
            ):
                return False
    overlay.apply(objects)
    return True
