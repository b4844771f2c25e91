"""Course packages: the versioned JSON format of docs/course-package-format.md.

This module is the format alone: reading and writing package text, checking a whole package
(``package_problems``: every problem names the path of the bad item, e.g.
``quizzes[0].questions[3].choices: a single-choice question needs exactly one correct choice``),
building a course's rows from a checked package and exporting a course version back, so that
export(import(package)) == package for every package whose bodies are inside the safe HTML subset
(bodies are stored reduced to it, ``lms.html.sanitise_html``, so every export is). The write that imports a package as a new course version, with
its audit row and optional publishing, is ``courses.services.authoring.course_import_package``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses import files as course_files
from courses.models import MAX_DUE_DAYS, Choice, Course, LearningResource, Module, Question, Quiz
from lms.html import sanitise_html
from lms.languages import language_codes

FORMAT = "lms-course-package"
FORMAT_VERSION = 1
# Version 2 is version 1 plus uploaded files: each module's "attachment", "video" and "captions"
# and each resource's "attachment" (null or a file reference), written as course.json inside a
# zip holding the files (courses.services.package_archive). A course without files is exported
# as version 1, plain JSON, exactly as before.
FILES_FORMAT_VERSION = 2
FORMAT_VERSIONS = (FORMAT_VERSION, FILES_FORMAT_VERSION)

KEY_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
CPD_PATTERN = re.compile(r"^[0-9]{1,4}\.[0-9]{2}$")
SMALL_MAX = 32767  # PositiveSmallIntegerField
INT_MAX = 2147483647  # PositiveIntegerField
TRUE_FALSE_TEXTS = ("True", "False")

TOP_KEYS = ("format", "format_version", "course", "modules", "resources", "quizzes")
COURSE_KEYS = ("code", "version", "title", "description", "rules")
RULE_KEYS = (
    "pass_mark",
    "max_attempts",
    "cooldown_first_minutes",
    "cooldown_later_minutes",
    "grading_method",
    "compliance_critical",
    "default_due_days",
    "recertification_months",
    "recertification_window_days",
    "expiry_rule",
    "fixed_expiry_month",
    "fixed_expiry_day",
    "grace_days",
    "cpd_points",
)
MODULE_KEYS = ("key", "title", "body", "video_url", "file_url", "estimated_minutes")
RESOURCE_KEYS = ("key", "kind", "title", "url", "body")
QUIZ_KEYS = (
    "kind",
    "title",
    "module",
    "pass_mark",
    "shuffle_questions",
    "shuffle_choices",
    "retake_missed_only",
    "questions",
)
QUESTION_KEYS = ("kind", "text", "explanation", "objective", "remediation", "choices")
REMEDIATION_KEYS = ("module", "resource")
CHOICE_KEYS = ("text", "correct", "feedback")
# Version 2: the upload slots (field -> accepted types) and the keys of a file reference.
MODULE_FILE_SLOTS = {
    "attachment": course_files.DOCUMENT_OR_IMAGE,
    "video": course_files.VIDEO,
    "captions": course_files.CAPTIONS,
}
RESOURCE_FILE_SLOTS = {"attachment": course_files.ANY_MEDIA}
FILE_REF_KEYS = ("file", "name", "content_type")
# A file's path in the archive: its SHA-256 and the extension of its type.
FILE_PATH = re.compile(r"^files/[0-9a-f]{64}\.(pdf|png|jpg|webp|gif|mp4|vtt)$")

# Optional parts of a version 2 module that another app supplies: courses.scorm registers "scorm"
# (courses.scorm.course_packages) from its AppConfig.ready, because courses.scorm builds on these
# services and so cannot be imported by them. A part (see ScormModulePart) checks its value, names
# the archive paths it refers to, exports, lists its files and builds its rows after the quizzes.
MODULE_PARTS: dict[str, Any] = {}


def register_module_part(part) -> None:
    MODULE_PARTS[part.key] = part


# Optional top-level parts of any package that another app supplies: courses.translations
# registers "translations" from its AppConfig.ready (it builds on the course forms, which build on
# these services). A part checks its value (``check(check, value, path, package)``), exports it
# (``export(course=..., objects=...)``) and builds its rows (``build(course=..., value=...,
# objects=...)``); ``objects`` are the course's objects by their stable package reference
# (``package_objects``), never by database id.
PACKAGE_PARTS: dict[str, Any] = {}


def register_package_part(part) -> None:
    PACKAGE_PARTS[part.key] = part


def package_objects(course: Course, modules, resources, quizzes) -> list[tuple[str, Any]]:
    """(reference, object) for the course and each module, resource, quiz, question and choice of
    a package, in package order: "course", "module:<key>", "resource:<key>", "quiz:<i>",
    "question:<i>.<j>" and "choice:<i>.<j>.<k>" (positions in the package's arrays, from 0).
    ``quizzes`` are (quiz, [(question, [choices])]) in package order."""
    objects: list[tuple[str, Any]] = [("course", course)]
    objects += [(f"module:{module.key}", module) for module in modules]
    objects += [(f"resource:{resource.key}", resource) for resource in resources]
    for q_index, (quiz, questions) in enumerate(quizzes):
        objects.append((f"quiz:{q_index}", quiz))
        for n_index, (question, choices) in enumerate(questions):
            objects.append((f"question:{q_index}.{n_index}", question))
            objects += [(f"choice:{q_index}.{n_index}.{c_index}", choice) for c_index, choice in enumerate(choices)]
    return objects


def part_path(path: str):
    """The module part whose archive files live at ``path``, or None."""
    return next((part for part in MODULE_PARTS.values() if part.path_pattern.match(path)), None)


def max_length(model, name: str) -> int:
    """A text's limit is its model field's (module and resource keys and links share theirs)."""
    return model._meta.get_field(name).max_length


DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def choice_problems(kind: str, choices: list[tuple[str, bool]]) -> list[str]:
    """The choice rules of a question, shared by package validation and publishing.

    ``choices`` are (text, correct) pairs. Returns translated messages, empty when the rules hold.
    """
    correct = sum(1 for _text, is_correct in choices if is_correct)
    problems = []
    if kind == Question.Kind.SINGLE:
        if len(choices) < 2:
            problems.append(_("a single-choice question needs at least two choices"))
        if correct != 1:
            problems.append(_("a single-choice question needs exactly one correct choice"))
    elif kind == Question.Kind.TRUE_FALSE:
        if sorted(text for text, _correct in choices) != sorted(TRUE_FALSE_TEXTS):
            problems.append(_("a true/false question needs exactly two choices, “True” and “False”"))
        if correct != 1:
            problems.append(_("a true/false question needs exactly one correct choice"))
    elif kind == Question.Kind.MULTIPLE:
        if len(choices) < 2:
            problems.append(_("a multiple-choice question needs at least two choices"))
        if correct < 1:
            problems.append(_("a multiple-choice question needs at least one correct choice"))
    return problems


class _Checker:
    """Collects every problem of a package, each prefixed with the path of the bad item."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._url = URLValidator(schemes=["https"])

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def object(self, value: Any, path: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> bool:
        if not isinstance(value, dict):
            self.add(path, _("must be an object"))
            return False
        complete = True
        for key in keys:
            if key not in value:
                self.add(f"{path}.{key}" if path else key, _("is required"))
                complete = False
        for key in value:
            if key not in keys and key not in optional:
                self.add(f"{path}.{key}" if path else str(key), _("is not allowed"))
        return complete

    def array(self, value: Any, path: str, *, minimum: int = 0) -> bool:
        if not isinstance(value, list):
            self.add(path, _("must be an array"))
            return False
        if len(value) < minimum:
            self.add(
                path, ngettext("needs at least %(n)d item", "needs at least %(n)d items", minimum) % {"n": minimum}
            )
        return True

    def string(
        self, value: Any, path: str, *, empty: bool = False, null: bool = False, max_length: int | None = None
    ) -> bool:
        if value is None and null:
            return True
        if not isinstance(value, str):
            self.add(path, _("must be a string or null") if null else _("must be a string"))
            return False
        if not empty and not value.strip():
            self.add(path, _("must not be empty"))
            return False
        if max_length is not None and len(value) > max_length:
            self.add(path, _("must be at most %(n)d characters") % {"n": max_length})
            return False
        return True

    def html(self, value: Any, path: str) -> bool:
        """A non-empty body that keeps something once reduced to the safe subset (it is stored
        reduced; see lms.html)."""
        if not self.string(value, path):
            return False
        if not sanitise_html(value).strip():
            self.add(path, _("has nothing left once unsafe HTML is removed (see the safe HTML subset)"))
            return False
        return True

    def integer(self, value: Any, path: str, *, minimum: int, maximum: int, null: bool = False) -> bool:
        if value is None and null:
            return True
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, _("must be an integer or null") if null else _("must be an integer"))
            return False
        if not minimum <= value <= maximum:
            self.add(path, _("must be between %(min)d and %(max)d") % {"min": minimum, "max": maximum})
            return False
        return True

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.add(path, _("must be true or false"))
            return False
        return True

    def one_of(self, value: Any, path: str, allowed) -> bool:
        allowed = [str(item) for item in allowed]
        if not isinstance(value, str) or value not in allowed:
            self.add(path, _("must be one of %(allowed)s") % {"allowed": ", ".join(f'"{a}"' for a in allowed)})
            return False
        return True

    def url(self, value: Any, path: str, *, null: bool) -> bool:
        if not self.string(value, path, null=null, max_length=max_length(Module, "video_url")) or value is None:
            return value is None
        try:
            self._url(value)
        except ValidationError:
            self.add(path, _("must be an absolute https:// URL"))
            return False
        return True

    def file_ref(self, value: Any, path: str, accept: tuple[str, ...]) -> bool:
        """Null, or a reference to a file of the archive: path, safe name and one accepted type."""
        if value is None:
            return True
        if not self.object(value, path, FILE_REF_KEYS):
            return False
        ok = True
        if not isinstance(value["file"], str) or not FILE_PATH.match(value["file"]):
            self.add(f"{path}.file", _('must be "files/" followed by the file\'s SHA-256 and its extension'))
            ok = False
        if not self.one_of(value["content_type"], f"{path}.content_type", accept):
            return False
        if ok and value["file"].rsplit(".", 1)[1] != course_files.EXTENSIONS[value["content_type"]]:
            self.add(f"{path}.file", _("must end in the extension of its content type"))
            ok = False
        if self.string(value["name"], f"{path}.name", max_length=100):
            expected = course_files.safe_name(value["name"], value["content_type"])
            if value["name"] != expected:
                self.add(f"{path}.name", _("must be a safe file name, e.g. %(name)s") % {"name": expected})
                ok = False
        return ok

    def key(self, value: Any, path: str) -> bool:
        if not self.string(value, path, max_length=max_length(Module, "key")):
            return False
        if not KEY_PATTERN.match(value):
            self.add(path, _("must be a slug: lowercase letters, digits and single hyphens"))
            return False
        return True


def _check_rules(check: _Checker, rules: Any) -> None:
    if not check.object(rules, "course.rules", RULE_KEYS):
        return
    path = "course.rules."
    check.integer(rules["pass_mark"], path + "pass_mark", minimum=0, maximum=100)
    check.integer(rules["max_attempts"], path + "max_attempts", minimum=1, maximum=SMALL_MAX, null=True)
    check.integer(rules["cooldown_first_minutes"], path + "cooldown_first_minutes", minimum=0, maximum=INT_MAX)
    check.integer(rules["cooldown_later_minutes"], path + "cooldown_later_minutes", minimum=0, maximum=INT_MAX)
    check.one_of(rules["grading_method"], path + "grading_method", Course.GradingMethod.values)
    check.boolean(rules["compliance_critical"], path + "compliance_critical")
    check.integer(rules["default_due_days"], path + "default_due_days", minimum=1, maximum=MAX_DUE_DAYS)
    months_ok = check.integer(
        rules["recertification_months"], path + "recertification_months", minimum=1, maximum=SMALL_MAX, null=True
    )
    check.integer(
        rules["recertification_window_days"], path + "recertification_window_days", minimum=0, maximum=SMALL_MAX
    )
    check.integer(rules["grace_days"], path + "grace_days", minimum=0, maximum=SMALL_MAX)
    if not isinstance(rules["cpd_points"], str) or not CPD_PATTERN.match(rules["cpd_points"]):
        check.add(path + "cpd_points", _('must be a string with exactly two decimals, e.g. "1.50"'))
    month, day = rules["fixed_expiry_month"], rules["fixed_expiry_day"]
    month_ok = check.integer(month, path + "fixed_expiry_month", minimum=1, maximum=12, null=True)
    day_ok = check.integer(day, path + "fixed_expiry_day", minimum=1, maximum=31, null=True)
    if not check.one_of(rules["expiry_rule"], path + "expiry_rule", Course.ExpiryRule.values):
        return
    for message in course_rule_problems(
        expiry_rule=rules["expiry_rule"],
        recertification_months=rules["recertification_months"] if months_ok else 1,
        fixed_expiry_month=month if month_ok else None,
        fixed_expiry_day=day if day_ok else None,
    ):
        check.add(path + "expiry_rule", message)


def course_rule_problems(
    *,
    expiry_rule: str,
    recertification_months: int | None,
    fixed_expiry_month: int | None,
    fixed_expiry_day: int | None,
) -> list[str]:
    """Rules that tie the expiry fields together; used by packages, forms and services alike."""
    problems = []
    if expiry_rule == Course.ExpiryRule.FIXED_DATE:
        if fixed_expiry_month is None or fixed_expiry_day is None:
            problems.append(_("a fixed-date expiry needs a month and a day"))
        elif fixed_expiry_day > DAYS_IN_MONTH[fixed_expiry_month]:
            problems.append(_("the fixed expiry day does not exist in that month"))
        if recertification_months is None:
            problems.append(_("a fixed-date expiry needs a recertification period"))
    elif fixed_expiry_month is not None or fixed_expiry_day is not None:
        problems.append(_("a fixed expiry month and day are only used with the fixed-date expiry rule"))
    return problems


def package_problems(package: Any) -> list[str]:
    """Every problem of a package as ``path: message``; empty for a valid package."""
    check = _Checker()
    if not check.object(package, "", TOP_KEYS, optional=tuple(PACKAGE_PARTS)):
        if not isinstance(package, dict):
            return [_("the package must be a JSON object")]
        return check.problems
    if package["format"] != FORMAT:
        check.add("format", _('must be "%(format)s"') % {"format": FORMAT})
    if isinstance(package["format_version"], bool) or package["format_version"] not in FORMAT_VERSIONS:
        check.add("format_version", _("must be 1, or 2 for a package with files (the versions this system reads)"))
    if check.problems:
        return check.problems
    with_files = package["format_version"] == FILES_FORMAT_VERSION
    module_keys_allowed = MODULE_KEYS + (tuple(MODULE_FILE_SLOTS) if with_files else ())
    resource_keys_allowed = RESOURCE_KEYS + (tuple(RESOURCE_FILE_SLOTS) if with_files else ())

    course = package["course"]
    # "language" is optional: packages written before courses had a language are in the site's.
    if check.object(course, "course", COURSE_KEYS, optional=("language",)):
        if "language" in course:
            check.one_of(course["language"], "course.language", language_codes())
        code_ok = check.string(course["code"], "course.code", max_length=max_length(Course, "code"))
        if code_ok and not CODE_PATTERN.match(course["code"]):
            check.add("course.code", _("must contain only letters, digits, hyphens and underscores"))
        check.integer(course["version"], "course.version", minimum=1, maximum=INT_MAX)
        check.string(course["title"], "course.title", max_length=max_length(Course, "title"))
        check.string(course["description"], "course.description")
        _check_rules(check, course["rules"])

    keys: set[str] = set()
    module_keys: set[str] = set()
    resource_keys: set[str] = set()

    def claim_key(value: Any, path: str, into: set[str]) -> None:
        if not check.key(value, path):
            return
        if value in keys:
            check.add(path, _("“%(key)s” is used more than once") % {"key": value})
        keys.add(value)
        into.add(value)

    if check.array(package["modules"], "modules", minimum=1):
        for index, module in enumerate(package["modules"]):
            path = f"modules[{index}]"
            parts = tuple(MODULE_PARTS) if with_files else ()
            if not check.object(module, path, module_keys_allowed, optional=parts):
                continue
            for key in parts:
                if module.get(key) is not None:
                    MODULE_PARTS[key].check(check, module[key], f"{path}.{key}", package)
            if with_files:
                for slot, accept in MODULE_FILE_SLOTS.items():
                    check.file_ref(module[slot], f"{path}.{slot}", accept)
                if module["captions"] is not None and module["video"] is None:
                    check.add(f"{path}.captions", _("captions need a video"))
            claim_key(module["key"], f"{path}.key", module_keys)
            check.string(module["title"], f"{path}.title", max_length=max_length(Module, "title"))
            if any(module.get(key) is not None for key in parts):
                # A module played by a package (SCORM) may have an empty body.
                check.string(module["body"], f"{path}.body", empty=True)
            else:
                check.html(module["body"], f"{path}.body")
            check.url(module["video_url"], f"{path}.video_url", null=True)
            check.url(module["file_url"], f"{path}.file_url", null=True)
            check.integer(module["estimated_minutes"], f"{path}.estimated_minutes", minimum=1, maximum=SMALL_MAX)

    if check.array(package["resources"], "resources"):
        for index, resource in enumerate(package["resources"]):
            path = f"resources[{index}]"
            if not check.object(resource, path, resource_keys_allowed):
                continue
            attachment = resource.get("attachment")
            claim_key(resource["key"], f"{path}.key", resource_keys)
            check.string(resource["title"], f"{path}.title", max_length=max_length(LearningResource, "title"))
            if not check.one_of(resource["kind"], f"{path}.kind", LearningResource.Kind.values):
                continue
            if with_files and attachment is not None:
                accept = {
                    LearningResource.Kind.VIDEO: course_files.VIDEO,
                    LearningResource.Kind.DOCUMENT: course_files.DOCUMENT_OR_IMAGE,
                }.get(resource["kind"])
                if accept is None:
                    check.add(f"{path}.attachment", _("must be null for this kind of resource"))
                else:
                    check.file_ref(attachment, f"{path}.attachment", accept)
                    if resource["url"] is not None:
                        check.add(f"{path}.url", _("must be null when the resource has a file"))
            if resource["kind"] == LearningResource.Kind.CHEAT_SHEET:
                if resource["url"] is not None:
                    check.add(f"{path}.url", _("must be null for a cheat sheet"))
                check.html(resource["body"], f"{path}.body")
            else:
                if attachment is None:
                    check.url(resource["url"], f"{path}.url", null=False)
                if resource["body"] != "":
                    check.add(f"{path}.body", _('must be "" (an empty string) for this kind of resource'))

    def reference(value: Any, path: str, known: set[str], *, null: bool, what: str) -> bool:
        if value is None and null:
            return True
        if not isinstance(value, str) or value not in known:
            check.add(path, _("must be the key of an existing %(what)s") % {"what": what})
            return False
        return True

    module_word = _("module")
    if check.array(package["quizzes"], "quizzes"):
        seen_kinds: list[str] = []
        for index, quiz in enumerate(package["quizzes"]):
            path = f"quizzes[{index}]"
            if not check.object(quiz, path, QUIZ_KEYS):
                continue
            check.string(quiz["title"], f"{path}.title", max_length=max_length(Quiz, "title"))
            for flag in ("shuffle_questions", "shuffle_choices", "retake_missed_only"):
                check.boolean(quiz[flag], f"{path}.{flag}")
            if check.one_of(quiz["kind"], f"{path}.kind", Quiz.Kind.values):
                kind = quiz["kind"]
                if kind in (Quiz.Kind.FINAL, Quiz.Kind.PRETEST) and kind in seen_kinds:
                    check.add(f"{path}.kind", _('a package has at most one "%(kind)s" quiz') % {"kind": kind})
                seen_kinds.append(kind)
                if kind == Quiz.Kind.MODULE_CHECK:
                    reference(quiz["module"], f"{path}.module", module_keys, null=False, what=module_word)
                elif quiz["module"] is not None:
                    check.add(f"{path}.module", _("must be null for this kind of quiz"))
                if kind == Quiz.Kind.FINAL and quiz["pass_mark"] is not None:
                    check.add(f"{path}.pass_mark", _("must be null for the final quiz (the course pass mark applies)"))
                else:
                    check.integer(quiz["pass_mark"], f"{path}.pass_mark", minimum=0, maximum=100, null=True)
            if not check.array(quiz["questions"], f"{path}.questions", minimum=1):
                continue
            for q_index, question in enumerate(quiz["questions"]):
                _check_question(check, question, f"{path}.questions[{q_index}]", reference, module_keys, resource_keys)
    for key, part in PACKAGE_PARTS.items():
        if key in package:
            part.check(check, package[key], key, package)
    return check.problems


def _check_question(check: _Checker, question: Any, path: str, reference, module_keys, resource_keys) -> None:
    if not check.object(question, path, QUESTION_KEYS):
        return
    kind_ok = check.one_of(question["kind"], f"{path}.kind", Question.Kind.values)
    check.string(question["text"], f"{path}.text")
    check.string(question["explanation"], f"{path}.explanation")
    reference(question["objective"], f"{path}.objective", module_keys, null=False, what=_("module"))
    remediation = question["remediation"]
    if check.object(remediation, f"{path}.remediation", REMEDIATION_KEYS):
        if (remediation["module"] is None) == (remediation["resource"] is None):
            check.add(f"{path}.remediation", _("exactly one of module and resource must be set"))
        reference(remediation["module"], f"{path}.remediation.module", module_keys, null=True, what=_("module"))
        reference(remediation["resource"], f"{path}.remediation.resource", resource_keys, null=True, what=_("resource"))
    if not check.array(question["choices"], f"{path}.choices"):
        return
    pairs: list[tuple[str, bool]] = []
    for c_index, choice in enumerate(question["choices"]):
        c_path = f"{path}.choices[{c_index}]"
        if not check.object(choice, c_path, CHOICE_KEYS):
            return
        text_ok = check.string(choice["text"], f"{c_path}.text", max_length=max_length(Choice, "text"))
        correct_ok = check.boolean(choice["correct"], f"{c_path}.correct")
        check.string(choice["feedback"], f"{c_path}.feedback", empty=True)
        if not (text_ok and correct_ok):
            return
        if choice["text"] in (text for text, _correct in pairs):
            check.add(
                f"{c_path}.text", _("“%(text)s” appears more than once in this question") % {"text": choice["text"]}
            )
        pairs.append((choice["text"], choice["correct"]))
    if kind_ok:
        for message in choice_problems(question["kind"], pairs):
            check.add(f"{path}.choices", message)


def package_loads(content: str | bytes) -> Any:
    """Parse a package file; a file that is not UTF-8 JSON is a ValidationError."""
    try:
        if isinstance(content, bytes):
            content = content.decode("utf-8")
        return _within_nesting_limit(json.loads(content, parse_constant=_refuse_constant))
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text."))
    except RecursionError:
        # The parser recurses once per level: 100,000 nested "[" exhaust its stack on Python 3.11.
        raise _too_deep()
    except json.JSONDecodeError as error:
        raise ValidationError(
            _("The file is not valid JSON (line %(line)d, column %(column)d: %(message)s).")
            % {"line": error.lineno, "column": error.colno, "message": error.msg}
        )
    except _NotAJSONNumber as error:
        raise ValidationError(
            _("The file is not valid JSON: %(value)s is not a number (JSON has no NaN or Infinity).")
            % {"value": error.args[0]}
        )
    except ValueError:
        # Python refuses to read an integer of more than 4,300 digits (int_max_str_digits).
        raise ValidationError(_("The file holds a number too long to be read."))


# A package nests seven levels (quizzes[].questions[].choices[].text). Deeper is not a package,
# whatever depth the Python in use happens to parse (3.14 reads 100,000 levels without complaint).
MAX_NESTING = 32


def _too_deep() -> ValidationError:
    return ValidationError(_("The file is not a valid course package: its arrays and objects are nested too deeply."))


def _within_nesting_limit(value: Any) -> Any:
    """``value`` when no array or object in it is nested deeper than MAX_NESTING (walked with a
    stack, not by recursion), else a ValidationError."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > MAX_NESTING:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in children)
    return value


class _NotAJSONNumber(ValueError):
    pass


def _refuse_constant(name: str):
    """Python's json reads NaN, Infinity and -Infinity, which JSON itself does not allow."""
    raise _NotAJSONNumber(name)


def package_dumps(package: dict) -> str:
    """The canonical text of a package: two-space indent, UTF-8, a final newline (as the shipped files)."""
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def package_file_paths(package: dict) -> set[str]:
    """The archive paths a (valid) package refers to; none for version 1."""
    if package.get("format_version") != FILES_FORMAT_VERSION:
        return set()
    parts = [(item, MODULE_FILE_SLOTS) for item in package["modules"]]
    parts += [(item, RESOURCE_FILE_SLOTS) for item in package["resources"]]
    paths = {item[slot]["file"] for item, slots in parts for slot in slots if item[slot] is not None}
    for part in MODULE_PARTS.values():
        paths |= {part.path_of(item[part.key]) for item in package["modules"] if item.get(part.key) is not None}
    return paths


def _attach_files(instance, item: dict, slots: dict, files) -> None:
    """Copy the referenced files into storage (under a new unguessable path) onto ``instance``."""
    from django.core.files import File

    changed = False
    for slot in slots:
        ref = item.get(slot)
        if ref is None:
            continue
        with files[ref["file"]]() as handle:
            getattr(instance, slot).save(ref["name"], File(handle), save=False)
        setattr(instance, f"{slot}_name", ref["name"])
        if hasattr(instance, f"{slot}_type"):
            setattr(instance, f"{slot}_type", ref["content_type"])
        changed = True
    if changed:
        instance.save()


def _build_course(package: dict, *, status: str, files=None) -> Course:
    """Create the rows of an already validated package. Callers hold the transaction.

    ``files`` maps each archive path the package refers to (``package_file_paths``) to a function
    that opens it; needed for a version 2 package with files."""
    data, rules = package["course"], package["course"]["rules"]
    course = Course.objects.create(
        code=data["code"],
        version=data["version"],
        title=data["title"],
        description=data["description"],
        language=data.get("language", settings.LANGUAGE_CODE),
        status=status,
        pass_mark=rules["pass_mark"],
        max_attempts=rules["max_attempts"],
        cooldown_first_minutes=rules["cooldown_first_minutes"],
        cooldown_later_minutes=rules["cooldown_later_minutes"],
        grading_method=rules["grading_method"],
        compliance_critical=rules["compliance_critical"],
        default_due_days=rules["default_due_days"],
        recertification_months=rules["recertification_months"],
        recertification_window_days=rules["recertification_window_days"],
        expiry_rule=rules["expiry_rule"],
        fixed_expiry_month=rules["fixed_expiry_month"],
        fixed_expiry_day=rules["fixed_expiry_day"],
        grace_days=rules["grace_days"],
        cpd_points=Decimal(rules["cpd_points"]),
    )
    modules = {
        item["key"]: Module.objects.create(
            course=course,
            key=item["key"],
            order=index,
            title=item["title"],
            body=sanitise_html(item["body"]),
            video_url=item["video_url"] or "",
            file_url=item["file_url"] or "",
            estimated_minutes=item["estimated_minutes"],
        )
        for index, item in enumerate(package["modules"])
    }
    resources = {
        item["key"]: LearningResource.objects.create(
            course=course,
            key=item["key"],
            order=index,
            kind=item["kind"],
            title=item["title"],
            url=item["url"] or "",
            body=sanitise_html(item["body"]),
        )
        for index, item in enumerate(package["resources"])
    }
    if package_file_paths(package):
        for item in package["modules"]:
            _attach_files(modules[item["key"]], item, MODULE_FILE_SLOTS, files)
        for item in package["resources"]:
            _attach_files(resources[item["key"]], item, RESOURCE_FILE_SLOTS, files)
    # Quizzes keep their package order through their primary keys (the export orders by pk).
    # A quiz played by a module part (a SCORM package grading the course) is built by that part.
    built_quizzes = []
    for item in package["quizzes"]:
        quiz = Quiz.objects.create(
            course=course,
            kind=item["kind"],
            module=modules[item["module"]] if item["module"] else None,
            title=item["title"],
            pass_mark=item["pass_mark"],
            shuffle_questions=item["shuffle_questions"],
            shuffle_choices=item["shuffle_choices"],
            retake_missed_only=item["retake_missed_only"],
        )
        built_quizzes.append((quiz, []))
        for q_index, q in enumerate(item["questions"]):
            remediation = q["remediation"]
            question = Question.objects.create(
                quiz=quiz,
                order=q_index,
                kind=q["kind"],
                text=q["text"],
                explanation=q["explanation"],
                objective=modules.get(q["objective"]) if q["objective"] else None,
                remediation_module=modules[remediation["module"]] if remediation["module"] else None,
                remediation_resource=resources[remediation["resource"]] if remediation["resource"] else None,
            )
            choices = Choice.objects.bulk_create(
                Choice(
                    question=question, order=c_index, text=c["text"], is_correct=c["correct"], feedback=c["feedback"]
                )
                for c_index, c in enumerate(q["choices"])
            )
            built_quizzes[-1][1].append((question, choices))
    if package["format_version"] == FILES_FORMAT_VERSION:
        for part in MODULE_PARTS.values():
            part.build(course=course, modules=modules, items=package["modules"], files=files)
    if any(key in package for key in PACKAGE_PARTS):
        objects = package_objects(course, modules.values(), resources.values(), built_quizzes)
        for key, part in PACKAGE_PARTS.items():
            if key in package:
                part.build(course=course, value=package[key], objects=objects)
    return course


def _url_or_none(value: str) -> str | None:
    return value or None


def _sha256_of(field) -> str:
    import hashlib

    digest = hashlib.sha256()
    with field.storage.open(field.name, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_ref(instance, slot: str, hashes: dict) -> dict | None:
    field = getattr(instance, slot)
    if not field:
        return None
    content_type = getattr(instance, f"{slot}_type", "") or {"video": "video/mp4", "captions": "text/vtt"}[slot]
    if field.name not in hashes:
        hashes[field.name] = _sha256_of(field)
    path = f"files/{hashes[field.name]}.{course_files.EXTENSIONS[content_type]}"
    return {"file": path, "name": getattr(instance, f"{slot}_name"), "content_type": content_type}


def course_has_files(course: Course) -> bool:
    has = Q()
    for slot in MODULE_FILE_SLOTS:
        has |= ~Q(**{slot: ""})
    return (
        Module.objects.filter(has, course=course).exists()
        or LearningResource.objects.filter(course=course).exclude(attachment="").exists()
        or any(part.course_has(course) for part in MODULE_PARTS.values())
    )


def course_package_files(course: Course) -> dict:
    """Archive path -> a function opening the stored file, for every file of ``course``."""
    files = {}
    parts = [(m, MODULE_FILE_SLOTS) for m in Module.objects.filter(course=course)]
    parts += [(r, RESOURCE_FILE_SLOTS) for r in LearningResource.objects.filter(course=course)]
    hashes: dict = {}
    for instance, slots in parts:
        for slot in slots:
            ref = _file_ref(instance, slot, hashes)
            if ref is not None:
                field = getattr(instance, slot)
                files[ref["file"]] = lambda field=field: field.storage.open(field.name, "rb")
    for part in MODULE_PARTS.values():
        files.update(part.files(course))
    return files


def course_export_package(*, course: Course) -> dict:
    """The package of one course version, in the key order of the format document."""
    course = (
        Course.objects.filter(pk=course.pk)
        .prefetch_related(
            Prefetch("modules", queryset=Module.objects.order_by("order", "pk")),
            Prefetch("resources", queryset=LearningResource.objects.order_by("order", "pk")),
            Prefetch(
                "quizzes",
                queryset=Quiz.objects.select_related("module").order_by("pk"),
            ),
            Prefetch(
                "quizzes__questions",
                queryset=Question.objects.select_related(
                    "objective", "remediation_module", "remediation_resource"
                ).order_by("order", "pk"),
            ),
            Prefetch("quizzes__questions__choices", queryset=Choice.objects.order_by("order", "pk")),
        )
        .get()
    )
    with_files = course_has_files(course)
    hashes: dict = {}
    part_refs = {key: part.export(course) for key, part in MODULE_PARTS.items()} if with_files else {}
    part_quizzes = {pk for part in MODULE_PARTS.values() for pk in part.quiz_ids(course)}

    def files_of(instance, slots) -> dict:
        return {slot: _file_ref(instance, slot, hashes) for slot in slots} if with_files else {}

    def parts_of(module) -> dict:
        return {key: refs[module.pk] for key, refs in part_refs.items() if module.pk in refs}

    quizzes = [quiz for quiz in course.quizzes.all() if quiz.pk not in part_quizzes]
    objects = package_objects(
        course,
        course.modules.all(),
        course.resources.all(),
        [(quiz, [(question, question.choices.all()) for question in quiz.questions.all()]) for quiz in quizzes],
    )
    return {
        "format": FORMAT,
        "format_version": FILES_FORMAT_VERSION if with_files else FORMAT_VERSION,
        "course": {
            "code": course.code,
            "version": course.version,
            "title": course.title,
            "description": course.description,
            "language": course.language,
            "rules": {
                "pass_mark": course.pass_mark,
                "max_attempts": course.max_attempts,
                "cooldown_first_minutes": course.cooldown_first_minutes,
                "cooldown_later_minutes": course.cooldown_later_minutes,
                "grading_method": course.grading_method,
                "compliance_critical": course.compliance_critical,
                "default_due_days": course.default_due_days,
                "recertification_months": course.recertification_months,
                "recertification_window_days": course.recertification_window_days,
                "expiry_rule": course.expiry_rule,
                "fixed_expiry_month": course.fixed_expiry_month,
                "fixed_expiry_day": course.fixed_expiry_day,
                "grace_days": course.grace_days,
                "cpd_points": f"{Decimal(course.cpd_points):.2f}",
            },
        },
        "modules": [
            {
                "key": module.key,
                "title": module.title,
                "body": module.body,
                "video_url": _url_or_none(module.video_url),
                "file_url": _url_or_none(module.file_url),
                "estimated_minutes": module.estimated_minutes,
                **files_of(module, MODULE_FILE_SLOTS),
                **parts_of(module),
            }
            for module in course.modules.all()
        ],
        "resources": [
            {
                "key": resource.key,
                "kind": resource.kind,
                "title": resource.title,
                "url": _url_or_none(resource.url),
                "body": resource.body,
                **files_of(resource, RESOURCE_FILE_SLOTS),
            }
            for resource in course.resources.all()
        ],
        "quizzes": [
            {
                "kind": quiz.kind,
                "title": quiz.title,
                "module": quiz.module.key if quiz.module else None,
                "pass_mark": quiz.pass_mark,
                "shuffle_questions": quiz.shuffle_questions,
                "shuffle_choices": quiz.shuffle_choices,
                "retake_missed_only": quiz.retake_missed_only,
                "questions": [
                    {
                        "kind": question.kind,
                        "text": question.text,
                        "explanation": question.explanation,
                        "objective": question.objective.key if question.objective else None,
                        "remediation": {
                            "module": question.remediation_module.key if question.remediation_module else None,
                            "resource": question.remediation_resource.key if question.remediation_resource else None,
                        },
                        "choices": [
                            {"text": choice.text, "correct": choice.is_correct, "feedback": choice.feedback}
                            for choice in question.choices.all()
                        ],
                    }
                    for question in quiz.questions.all()
                ],
            }
            for quiz in quizzes
        ],
        **{key: part.export(course=course, objects=objects) for key, part in PACKAGE_PARTS.items()},
    }


def package_filename(course: Course) -> str:
    """``<CODE>-v<N>.json``; the code is a slug, so the name is safe in a header and on disk."""
    return f"{course.code}-v{course.version}.json"
