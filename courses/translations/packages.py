"""The translations of a course in its course package (docs/course-package-format.md, "Translations").

The package's top-level ``translations`` maps a language code to the list of that language's
translated texts, each naming its object by the stable reference of ``package_objects`` (module
and resource keys, the positions of quizzes, questions and choices), never a database id::

    "translations": {"es": [{"ref": "module:m1-intro", "field": "title", "text": "Introducción",
                             "source_digest": "<sha256 of the main text it translates>"}]}

``source_digest`` is what the export writes, so that a translation already older than its main
text stays outdated through export and import, and the round trip is exact; a hand-written package
may leave it out, and the translation then counts as a translation of the package's main text.
A package without ``translations`` (or without ``course.language``) imports as before. Only the
course's own content travels (booster questions belong to their programme, not the package).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from courses.translations import registry
from courses.translations.models import TextTranslation
from courses.translations.selectors import digest
from lms.html import sanitise_html
from lms.languages import language_codes

ENTRY_KEYS = ("ref", "field", "text")
DIGEST = re.compile(r"^[0-9a-f]{64}$")


def _kind_of_ref(ref: str) -> str:
    return ref.split(":", 1)[0]


def _package_refs(package: dict) -> dict[str, dict]:
    """Reference -> the package item it names (its main texts), for a package whose structure is
    valid enough to walk; items that are not objects are skipped (their own problems are listed)."""

    def items(value):
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    refs: dict[str, dict] = {}
    if isinstance(package.get("course"), dict):
        refs["course"] = package["course"]
    for module in items(package.get("modules")):
        refs[f"module:{module.get('key')}"] = module
    for resource in items(package.get("resources")):
        refs[f"resource:{resource.get('key')}"] = resource
    for q_index, quiz in enumerate(package.get("quizzes") if isinstance(package.get("quizzes"), list) else []):
        if not isinstance(quiz, dict):
            continue
        refs[f"quiz:{q_index}"] = quiz
        for n_index, question in enumerate(quiz.get("questions") if isinstance(quiz.get("questions"), list) else []):
            if not isinstance(question, dict):
                continue
            refs[f"question:{q_index}.{n_index}"] = question
            for c_index, choice in enumerate(
                question.get("choices") if isinstance(question.get("choices"), list) else []
            ):
                refs[f"choice:{q_index}.{n_index}.{c_index}"] = choice
    return refs


class TranslationsPart:
    key = "translations"

    def check(self, check, value: Any, path: str, package: dict) -> None:
        if not isinstance(value, dict):
            check.add(path, _("must be an object"))
            return
        course = package.get("course") if isinstance(package.get("course"), dict) else {}
        main_language = course.get("language", settings.LANGUAGE_CODE)
        refs = _package_refs(package)
        for language, entries in value.items():
            language_path = f"{path}.{language}"
            if language not in language_codes():
                check.add(
                    language_path,
                    _("is not one of this site's languages (%(codes)s)") % {"codes": ", ".join(language_codes())},
                )
                continue
            if language == main_language:
                check.add(language_path, _("is the course's own language: its texts are the course's"))
                continue
            if not check.array(entries, language_path):
                continue
            seen: set[tuple[str, str]] = set()
            for index, entry in enumerate(entries):
                self._check_entry(check, entry, f"{language_path}[{index}]", refs, seen)

    def _check_entry(self, check, entry: Any, path: str, refs: dict, seen: set) -> None:
        if not check.object(entry, path, ENTRY_KEYS, optional=("source_digest",)):
            return
        ref, name = entry["ref"], entry["field"]
        if not isinstance(ref, str) or ref not in refs:
            check.add(
                f"{path}.ref",
                _(
                    "must name a part of this package (course, module:<key>, resource:<key>, quiz:<n>, question:<n>.<n>, choice:<n>.<n>.<n>)"
                ),
            )
            return
        text_kind = registry.get(_kind_of_ref(ref))
        if not isinstance(name, str) or name not in text_kind.fields:
            check.add(f"{path}.field", _("must be one of %(fields)s") % {"fields": ", ".join(text_kind.fields)})
            return
        if (ref, name) in seen:
            check.add(path, _("translates %(ref)s %(field)s a second time") % {"ref": ref, "field": name})
        seen.add((ref, name))
        if name in text_kind.html_fields:
            check.html(entry["text"], f"{path}.text")
        else:
            check.string(entry["text"], f"{path}.text", max_length=text_kind.max_length(name))
        if "source_digest" in entry and (
            not isinstance(entry["source_digest"], str) or not DIGEST.match(entry["source_digest"])
        ):
            check.add(
                f"{path}.source_digest", _("must be the SHA-256 of the main text, 64 lowercase hexadecimal digits")
            )

    def export(self, *, course, objects: list[tuple[str, Any]]) -> dict:
        rows = {
            (row.language, row.kind, row.object_id, row.field): row
            for row in TextTranslation.objects.filter(
                course=course,
                kind__in=[kind for kind, text_kind in registry.KINDS.items() if text_kind.learner_content],
            )
        }
        exported: dict[str, list] = {}
        for language in language_codes():
            entries = []
            for ref, obj in objects:
                kind = _kind_of_ref(ref)
                for name in registry.get(kind).fields:
                    row = rows.get((language, kind, obj.pk, name))
                    if row is not None:
                        entries.append(
                            {"ref": ref, "field": name, "text": row.text, "source_digest": row.source_digest}
                        )
            if entries:
                exported[language] = entries
        return exported

    def build(self, *, course, value: dict, objects: list[tuple[str, Any]]) -> None:
        by_ref = dict(objects)
        rows = []
        for language, entries in value.items():
            for entry in entries:
                obj = by_ref[entry["ref"]]
                kind = _kind_of_ref(entry["ref"])
                text_kind = registry.get(kind)
                text = sanitise_html(entry["text"]) if entry["field"] in text_kind.html_fields else entry["text"]
                rows.append(
                    TextTranslation(
                        course=course,
                        language=language,
                        kind=kind,
                        object_id=obj.pk,
                        field=entry["field"],
                        text=text,
                        source_digest=entry.get("source_digest") or digest(getattr(obj, entry["field"]) or ""),
                    )
                )
        TextTranslation.objects.bulk_create(rows)
