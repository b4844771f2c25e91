"""Writes of SCORM packages: store a checked zip's files and rows, import a zip as a course or module.

``scorm_package_store`` is the reusable core (the course package import uses it too): it checks the
zip (``courses.scorm.package``), writes its files to Django's default storage under
``scorm/<uuid>/`` and creates the ScormPackage and ScormItem rows for an existing module, in one
transaction. If anything fails part-way, the files written so far are deleted and the rows rolled
back, so a refused or failed import leaves nothing behind.

``scorm_package_import`` is what the upload page and ``import_scorm`` call: the package becomes a
Draft course (or one module of a Draft course) through the course authoring services, with its
rules, and the import is recorded in the audit trail.
"""

from __future__ import annotations

import io
import math
import uuid
import zipfile
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _

from courses.models import Course, Module, Quiz
from courses.scorm.models import ScormItem, ScormPackage
from courses.scorm.package import CheckedPackage, package_read, read_entry, refuse
from courses.services import authoring
from lms.audit import audit_record, label_of
from lms.models import AuditEntry


def scorm_storage_prefix() -> str:
    """A new, unused folder name in the default storage: ``scorm/<uuid>/``."""
    return f"{settings.SCORM_STORAGE_PREFIX.rstrip('/')}/{uuid.uuid4().hex}/"


def scorm_storage_delete(prefix: str, names: list[str] | None = None) -> None:
    """Delete the files of a package folder (those in ``names``, then whatever the storage still lists)."""
    for name in names or []:
        try:
            default_storage.delete(name)
        except OSError:
            pass
    try:
        folders, files = default_storage.listdir(prefix)
    except (OSError, NotImplementedError):
        return
    for name in files:
        default_storage.delete(prefix + name)
    for folder in folders:
        scorm_storage_delete(prefix + folder + "/")


def _write_files(zip_file: IO[bytes], checked: CheckedPackage, prefix: str, written: list[str]) -> int:
    """Extract every file to the storage, counting bytes as they come out (not trusting the declared sizes)."""
    remaining = settings.SCORM_MAX_UNCOMPRESSED_BYTES
    zip_file.seek(0)
    with zipfile.ZipFile(zip_file) as archive:
        for info in checked.entries:
            name = prefix + info.filename
            try:
                with read_entry(archive, info, limit=remaining) as stream:
                    saved = default_storage.save(name, File(_Readable(stream), name=info.filename))
                    remaining -= stream.count
            except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib_error()):
                raise refuse(
                    _("The zip entry “%(name)s” cannot be read (the zip is damaged).") % {"name": info.filename}
                ) from None
            written.append(saved)
            if saved != name:
                raise refuse(_("The storage renamed “%(name)s”: the package was not stored.") % {"name": name})
    return settings.SCORM_MAX_UNCOMPRESSED_BYTES - remaining


def zlib_error():
    import zlib

    return zlib.error


class _Readable(io.RawIOBase):
    """A read-only stream over a counting zip reader, for File (storages read in chunks)."""

    def __init__(self, reader):
        self.reader = reader

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.reader.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _as_file(zip_bytes: bytes | None, zip_file: IO[bytes] | None) -> IO[bytes]:
    if (zip_bytes is None) == (zip_file is None):
        raise ValueError("Give zip_bytes or zip_file")
    return io.BytesIO(zip_bytes) if zip_bytes is not None else zip_file


def scorm_package_store(
    *,
    course: Course,
    module: Module,
    zip_bytes: bytes | None = None,
    zip_file: IO[bytes] | None = None,
    checked: CheckedPackage | None = None,
    quiz: Quiz | None = None,
    by=None,
    filename: str = "",
) -> ScormPackage:
    """Check the zip, store its files and create the package rows for ``module`` (of ``course``).

    Give the zip as ``zip_bytes`` (in memory) or ``zip_file`` (a seekable binary file). Raises
    ValidationError naming the problem; then no file and no row is left. Call it inside the caller's
    transaction when it creates the module too (the rows are rolled back with the caller's).
    """
    source = _as_file(zip_bytes, zip_file)
    checked = checked or package_read(source)
    prefix = scorm_storage_prefix()
    written: list[str] = []
    try:
        with transaction.atomic():
            extracted = _write_files(source, checked, prefix, written)
            package = ScormPackage(
                course=course,
                module=module,
                quiz=quiz,
                scorm_version=checked.version,
                identifier=checked.identifier[:255],
                title=Truncator(checked.title).chars(200),  # cut visibly ("…"), as the course's title
                mastery_score=checked.mastery_score,
                storage_prefix=prefix,
                size=checked.size,
                uncompressed_size=extracted,
                file_count=len(written),
                sha256=checked.sha256,
                manifest=checked.manifest,
                original_filename=(filename or "")[:255],
                uploaded_by=by,
            )
            package.full_clean()
            package.save()
            ScormItem.objects.bulk_create(
                ScormItem(
                    package=package,
                    identifier=item.identifier,
                    title=item.title,
                    order=item.order,
                    parent_identifier=item.parent_identifier,
                    parent_title=item.parent_title,
                    depth=item.depth,
                    resource_identifier=item.resource_identifier,
                    href=item.href,
                    is_sco=item.is_sco,
                    is_visible=item.is_visible,
                    mastery_score=item.mastery_score,
                    scaled_passing_score=item.scaled_passing_score,
                    completion_threshold=item.completion_threshold,
                    data_from_lms=item.data_from_lms,
                    max_time_allowed=item.max_time_allowed,
                    time_limit_action=item.time_limit_action,
                )
                for item in checked.items
            )
    except BaseException:
        scorm_storage_delete(prefix, written)
        raise
    return package


def pass_mark_from(mastery_score: Decimal | None) -> int | None:
    """A course pass mark (whole percent) from a mastery score: rounded up, so a pass is never easier."""
    return None if mastery_score is None else min(100, math.ceil(mastery_score))


def _unused_code(base: str) -> str:
    base = (slugify(base).replace("_", "-").strip("-") or "scorm")[:36].strip("-") or "scorm"
    code, number = base, 1
    while Course.objects.filter(code__iexact=code).exists():
        number += 1
        code = f"{base}-{number}"
    return code


def _module_key(course: Course, title: str) -> str:
    base = "-".join(part for part in slugify(title).replace("_", "-").split("-") if part)[:50] or "scorm"
    key, number = base, 1
    while course.modules.filter(key=key).exists() or course.resources.filter(key=key).exists():
        number += 1
        key = f"{base}-{number}"
    return key


def _audit(*, package: ScormPackage, by, as_module: bool) -> None:
    audit_record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(ScormPackage),
        obj_id=package.pk,
        changes={
            "course": [None, str(package.course)],
            "module": [None, package.module.title],
            "scorm_version": [None, package.get_scorm_version_display()],
            "title": [None, package.title],
            "items": [None, package.items.count()],
            "mastery_score": [None, None if package.mastery_score is None else str(package.mastery_score)],
            "sha256": [None, package.sha256],
            "file": [None, package.original_filename],
        },
        reason=_("SCORM package imported as a module of an existing course")
        if as_module
        else _("SCORM package imported as a new course"),
    )


def scorm_package_import(
    *,
    file: IO[bytes] | bytes,
    by=None,
    code: str | None = None,
    title: str | None = None,
    as_module_of: Course | None = None,
    pass_mark: int | None = None,
    rules: dict[str, Any] | None = None,
    grades_course: bool | None = None,
    filename: str = "",
) -> ScormPackage:
    """Import a SCORM zip as a new Draft course, or as one module of the Draft course ``as_module_of``.

    A new course gets ``code`` (or one made from the package's title), ``title`` (or the package's),
    the course rules in ``rules`` (CourseForm's fields) and a final assessment played by the package;
    its pass mark is ``pass_mark`` when given, else the package's mastery score rounded up, else
    ``rules['pass_mark']`` or the usual default. As a module of an existing Draft course, the package
    also becomes the course's final assessment when ``grades_course`` (default: when the course has
    none yet); the course's pass mark then changes the same way (audited). Raises ValidationError.
    """
    source = io.BytesIO(file) if isinstance(file, bytes) else file
    checked = package_read(source)
    mastery_mark = pass_mark_from(checked.mastery_score)
    package = None
    new_code = ""
    try:
        with transaction.atomic():
            if as_module_of is None:
                data = dict(rules or {})
                data.pop("version", None)
                if code:
                    other = Course.objects.filter(code__iexact=code).order_by("code").values_list("code", flat=True)
                    if other.first():
                        raise ValidationError(
                            {
                                "code": _(
                                    "The course code %(code)s exists already: choose another code for the package."
                                )
                                % {"code": other.first()}
                            }
                        )
                data["code"] = new_code = code or _unused_code(checked.title)
                data["title"] = Truncator(title or data.get("title") or checked.title).chars(200)
                if not (data.get("description") or "").strip():
                    data["description"] = _("SCORM package “%(title)s” (%(version)s).") % {
                        "title": checked.title[:150],
                        "version": dict(ScormPackage.Version.choices)[checked.version],
                    }
                if pass_mark is not None:
                    data["pass_mark"] = pass_mark
                elif mastery_mark is not None:
                    data["pass_mark"] = mastery_mark
                course = authoring.course_create(data=data, actor=by)
                graded = True
            else:
                course = Course.objects.select_for_update().get(pk=as_module_of.pk)
                authoring.course_check_editable(course)
                has_final = course.quizzes.filter(kind=Quiz.Kind.FINAL).exists()
                graded = (not has_final) if grades_course is None else grades_course
                if graded and has_final:
                    raise ValidationError(
                        _(
                            "%(course)s has a final assessment already: delete it first, or import the package "
                            "as a module that does not grade the course."
                        )
                        % {"course": f"{course.code} v{course.version}"}
                    )
                new_mark = pass_mark if pass_mark is not None else mastery_mark
                if graded and new_mark is not None and new_mark != course.pass_mark:
                    authoring.course_update(course=course, data={"pass_mark": new_mark}, actor=by)
            module_title = Truncator(title if as_module_of is not None and title else checked.title).chars(200)
            module = authoring.module_create(
                course=course,
                data={
                    "key": _module_key(course, module_title),
                    "title": module_title,
                    "body": "",
                },
            )
            quiz = None
            if graded:
                quiz = authoring.quiz_create(course=course, data={"kind": Quiz.Kind.FINAL, "title": module_title})
            package = scorm_package_store(
                course=course, module=module, zip_file=source, checked=checked, quiz=quiz, by=by, filename=filename
            )
            _audit(package=package, by=by, as_module=as_module_of is not None)
    except BaseException as error:
        # The rows are rolled back; the files written before the failure go too (also when the
        # database refuses the rows only at commit).
        if package is not None:
            scorm_storage_delete(package.storage_prefix)
        if isinstance(error, IntegrityError) and new_code and "course_code_version_unique_ci" in str(error):
            # Another import (or editor) took the code between the check above and the insert.
            raise ValidationError(
                {
                    "code": _("The course code %(code)s exists already: choose another code for the package.")
                    % {"code": new_code}
                }
            ) from error
        raise
    return package
