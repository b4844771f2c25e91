"""SCORM packages inside course packages (format version 2; docs/course-package-format.md).

A module played by a SCORM package carries ``"scorm"`` in course.json, a reference to the
package's zip in the archive (``scorm/<sha256>.zip``)::

    {"file": "scorm/<sha256>.zip", "name": "policy.zip", "scorm_version": "1.2",
     "mastery_score": "80.00", "grades_course": true, "final_quiz_title": "Policy"}

The zip is rebuilt from the stored files (sorted names, fixed timestamps), so exporting an imported
course gives the same bytes. Importing runs the zip through ``scorm_package_store`` with all its
checks: a refused package refuses the whole course package with the same message, prefixed with
the module's path, and leaves no file stored. When ``grades_course`` is true the package is the
course's final assessment (a final quiz without questions, titled ``final_quiz_title``); the
course's pass mark (``course.rules.pass_mark``) is the pass mark against the package's score.

Registered with courses.services.packages from ScormConfig.ready.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import zipfile
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from courses.models import Course, Module, Quiz
from courses.scorm.models import ScormPackage, ScormVersion
from courses.scorm.package import package_read
from courses.scorm.services import scorm_package_store, scorm_storage_delete

REF_KEYS = ("file", "name", "scorm_version", "mastery_score", "grades_course", "final_quiz_title")
SCORM_PATH = re.compile(r"^scorm/[0-9a-f]{64}\.zip$")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _stored_names(prefix: str, folder: str = "") -> list[str]:
    """Every file below ``prefix`` in the default storage, relative to it, sorted."""
    folders, files = default_storage.listdir(prefix + folder)
    names = [folder + name for name in files]
    for sub in folders:
        names += _stored_names(prefix, f"{folder}{sub}/")
    return sorted(names)


def package_zip(package: ScormPackage):
    """(sha256, open temporary file at its start) of the package's zip rebuilt from its stored files."""
    output = tempfile.TemporaryFile()
    with zipfile.ZipFile(output, "w") as archive:
        for name in _stored_names(package.storage_prefix):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with default_storage.open(package.storage_prefix + name, "rb") as source, archive.open(info, "w") as target:
                for chunk in iter(lambda: source.read(1024 * 1024), b""):
                    target.write(chunk)
    output.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: output.read(1024 * 1024), b""):
        digest.update(chunk)
    output.seek(0)
    return digest.hexdigest(), output


def _mastery_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


class ScormModulePart:
    key = "scorm"
    folder = "scorm/"
    path_pattern = SCORM_PATH

    @staticmethod
    def max_bytes() -> int:
        return settings.SCORM_MAX_ZIP_BYTES

    @staticmethod
    def path_of(value: dict) -> str:
        return value["file"]

    def _packages(self, course: Course):
        return ScormPackage.objects.filter(course=course).select_related("module", "quiz").order_by("pk")

    def course_has(self, course: Course) -> bool:
        return ScormPackage.objects.filter(course=course).exists()

    def quiz_ids(self, course: Course) -> set[int]:
        return set(ScormPackage.objects.filter(course=course, quiz__isnull=False).values_list("quiz_id", flat=True))

    def export(self, course: Course) -> dict[int, dict]:
        refs = {}
        for package in self._packages(course):
            sha, handle = package_zip(package)
            handle.close()
            refs[package.module_id] = {
                "file": f"scorm/{sha}.zip",
                "name": package.original_filename or f"{package.module.key}.zip",
                "scorm_version": package.scorm_version,
                "mastery_score": _mastery_text(package.mastery_score),
                "grades_course": package.quiz_id is not None,
                "final_quiz_title": package.quiz.title if package.quiz_id else None,
            }
        return refs

    def files(self, course: Course) -> dict:
        files = {}
        for package in self._packages(course):
            sha, handle = package_zip(package)
            handle.close()
            files[f"scorm/{sha}.zip"] = lambda package=package: package_zip(package)[1]
        return files

    def check(self, check, value: Any, path: str, package: dict) -> None:
        if not check.object(value, path, REF_KEYS):
            return
        if not isinstance(value["file"], str) or not SCORM_PATH.match(value["file"]):
            check.add(f"{path}.file", _('must be "scorm/" followed by the zip\'s SHA-256 and ".zip"'))
        check.string(value["name"], f"{path}.name", max_length=255)
        check.one_of(value["scorm_version"], f"{path}.scorm_version", ScormVersion.values)
        mastery = value["mastery_score"]
        if mastery is not None:
            try:
                ok = isinstance(mastery, str) and re.fullmatch(r"[0-9]{1,3}\.[0-9]{2}", mastery)
                ok = ok and Decimal(mastery) <= 100
            except InvalidOperation:
                ok = False
            if not ok:
                check.add(f"{path}.mastery_score", _('must be null or a percentage with two decimals, e.g. "80.00"'))
        if check.boolean(value["grades_course"], f"{path}.grades_course"):
            if value["grades_course"]:
                check.string(value["final_quiz_title"], f"{path}.final_quiz_title", max_length=200)
                quizzes = package["quizzes"] if isinstance(package["quizzes"], list) else []
                if any(isinstance(q, dict) and q.get("kind") == Quiz.Kind.FINAL for q in quizzes):
                    check.add(f"{path}.grades_course", _("the package has a final quiz already"))
                graders = [
                    m
                    for m in package["modules"]
                    if isinstance(m, dict) and isinstance(m.get(self.key), dict) and m[self.key].get("grades_course")
                ]
                if len(graders) > 1 and graders[0][self.key] is not value:
                    check.add(f"{path}.grades_course", _("only one SCORM package may grade the course"))
            elif value["final_quiz_title"] is not None:
                check.add(f"{path}.final_quiz_title", _("must be null when the package does not grade the course"))

    def build(self, *, course: Course, modules: dict[str, Module], items: list[dict], files) -> None:
        stored: list[str] = []
        try:
            for index, item in enumerate(items):
                ref = item.get(self.key)
                if ref is None:
                    continue
                self._build_one(course, modules[item["key"]], ref, files, f"modules[{index}].{self.key}", stored)
        except BaseException:
            for prefix in stored:
                scorm_storage_delete(prefix)
            raise

    def _build_one(self, course, module, ref: dict, files, path: str, stored: list[str]) -> None:
        with tempfile.TemporaryFile() as copy:
            with files[ref["file"]]() as handle:
                for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                    copy.write(chunk)
            copy.seek(0)
            try:
                checked = package_read(copy)
            except ValidationError as error:
                raise ValidationError([f"{path}: {message}" for message in error.messages]) from None
            problems = []
            if checked.version != ref["scorm_version"]:
                problems.append(
                    f"{path}.scorm_version: "
                    + _("the package's manifest says %(version)s") % {"version": checked.version}
                )
            if _mastery_text(checked.mastery_score) != ref["mastery_score"]:
                problems.append(
                    f"{path}.mastery_score: "
                    + _("the package's manifest says %(mastery_score)s")
                    % {"mastery_score": _mastery_text(checked.mastery_score) or "null"}
                )
            if problems:
                raise ValidationError(problems)
            quiz = None
            if ref["grades_course"]:
                quiz = Quiz.objects.create(course=course, kind=Quiz.Kind.FINAL, title=ref["final_quiz_title"])
            try:
                package = scorm_package_store(
                    course=course, module=module, zip_file=copy, checked=checked, quiz=quiz, filename=ref["name"]
                )
            except ValidationError as error:
                raise ValidationError([f"{path}: {message}" for message in error.messages]) from None
            stored.append(package.storage_prefix)
