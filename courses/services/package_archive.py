"""The container of a course package: plain JSON (format version 1, a course without files) or a
zip (format version 2) holding ``course.json`` at its root and each uploaded file under
``files/<sha256>.<ext>`` (docs/course-package-format.md, "Packages with files").

Reading a zip is defensive: only those two kinds of entries, every file referenced and every
reference present, each file no larger than its type's upload limit, its SHA-256 the one in its
name and its content of the type the package says (courses.files.sniff); an archive whose
entries expand far beyond their compressed size (a zip bomb) is refused before anything is read.
Writing is deterministic (fixed timestamps, entries in order), so exporting an imported package
gives back the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from courses import files as course_files
from courses.models import Course
from courses.services.packages import (
    FILE_PATH,
    FILES_FORMAT_VERSION,
    MODULE_PARTS,
    course_export_package,
    course_package_files,
    package_dumps,
    package_file_paths,
    package_loads,
    package_problems,
    part_path,
)

ZIP_MAGIC = b"PK\x03\x04"
COURSE_JSON = "course.json"
MAX_ENTRIES = 2000
# An entry may expand to at most this many times its compressed size (when over 1 MB): media
# files barely compress, so a higher ratio is a zip bomb rather than a course.
MAX_RATIO = 100
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
TYPES_BY_EXTENSION = {extension: content_type for content_type, extension in course_files.EXTENSIONS.items()}


class PackageFiles:
    """Archive path -> a function opening that entry of the (checked) zip."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def __getitem__(self, path: str):
        return lambda: self.archive.open(path)


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC)


def package_read(upload: IO[bytes] | bytes) -> tuple[Any, PackageFiles | None]:
    """The package (parsed, not yet checked by ``package_problems``) and, for a zip, its files.

    A ValidationError names what is wrong with the container; the package's own problems are
    left to ``course_import_package``, which lists them all."""
    handle = io.BytesIO(upload) if isinstance(upload, bytes) else upload
    handle.seek(0)
    head = handle.read(4)
    handle.seek(0)
    if not is_zip(head):
        return package_loads(handle.read(settings.UPLOAD_MAX_BYTES + 1)), None
    try:
        archive = zipfile.ZipFile(handle)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise ValidationError(_("The file starts like a zip archive but cannot be read as one."))
    problems = _entry_problems(entries)
    if problems:
        raise ValidationError(problems)
    try:
        package = package_loads(archive.read(COURSE_JSON))
    except zipfile.BadZipFile as error:
        raise ValidationError(_("course.json cannot be read from the archive (%(error)s).") % {"error": error})
    if isinstance(package, dict) and package.get("format_version") != FILES_FORMAT_VERSION:
        raise ValidationError([f"format_version: {_('must be 2 in a zip package (version 1 is a plain JSON file)')}"])
    if isinstance(package, dict) and not package_problems(package):
        problems = _file_problems(archive, package)
        if problems:
            raise ValidationError(problems)
    return package, PackageFiles(archive)


def _entry_problems(entries: list[zipfile.ZipInfo]) -> list[str]:
    if len(entries) > MAX_ENTRIES:
        return [_("The archive holds more than %(n)d entries.") % {"n": MAX_ENTRIES}]
    problems = []
    names = [entry.filename for entry in entries if not entry.is_dir()]
    if COURSE_JSON not in names:
        inner = [name for name in names if name.endswith("/" + COURSE_JSON)]
        problems.append(
            _("course.json must be at the root of the archive; it is in a folder: %(name)s") % {"name": inner[0]}
            if inner
            else _("The archive has no course.json at its root.")
        )
    for entry in entries:
        name = entry.filename
        if entry.is_dir():
            if name != "files/" and name not in {part.folder for part in MODULE_PARTS.values()}:
                problems.append(_("%(name)s: the archive may only hold course.json and files/.") % {"name": name})
            continue
        if name == COURSE_JSON:
            limit = settings.UPLOAD_MAX_BYTES
        elif FILE_PATH.match(name):
            limit = course_files.max_bytes(TYPES_BY_EXTENSION[name.rsplit(".", 1)[1]])
        elif part_path(name):
            limit = part_path(name).max_bytes()
        else:
            problems.append(_("%(name)s: the archive may only hold course.json and files/.") % {"name": name})
            continue
        if entry.file_size > limit:
            problems.append(
                _("%(name)s: %(size)s is over the limit of %(limit)s.")
                % {"name": name, "size": filesizeformat(entry.file_size), "limit": filesizeformat(limit)}
            )
        elif entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            problems.append(
                _("%(name)s: expands %(ratio)d times its compressed size; the archive is refused as a zip bomb.")
                % {"name": name, "ratio": entry.file_size // max(entry.compress_size, 1)}
            )
    return problems


def _file_problems(archive: zipfile.ZipFile, package: dict) -> list[str]:
    referenced = package_file_paths(package)
    present = {
        info.filename for info in archive.infolist() if FILE_PATH.match(info.filename) or part_path(info.filename)
    }
    problems = [
        _("%(path)s: referenced by course.json but not in the archive.") % {"path": p}
        for p in sorted(referenced - present)
    ]
    problems += [
        _("%(path)s: in the archive but not referenced by course.json.") % {"path": p}
        for p in sorted(present - referenced)
    ]
    types = _referenced_types(package)
    for path in sorted(referenced & present):
        digest = hashlib.sha256()
        with archive.open(path) as handle:
            head = handle.read(64)
            digest.update(head)
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
        if digest.hexdigest() != path.split("/", 1)[1].rsplit(".", 1)[0]:
            problems.append(_("%(path)s: its content does not match the SHA-256 in its name.") % {"path": path})
        # A part's file (a SCORM zip) is checked in full by its part when the course is built.
        if path in types and course_files.sniff(head) not in types[path]:
            problems.append(
                _("%(path)s: its content is not a %(type)s.") % {"path": path, "type": ", ".join(sorted(types[path]))}
            )
    return problems


def _referenced_types(package: dict) -> dict[str, set[str]]:
    types: dict[str, set[str]] = {}
    for item in [*package["modules"], *package["resources"]]:
        for slot in ("attachment", "video", "captions"):
            ref = item.get(slot)
            if ref is not None:
                types.setdefault(ref["file"], set()).add(ref["content_type"])
    return types


def course_package_archive(course: Course) -> tuple[IO[bytes], str, str]:
    """(open file at its start, file name, content type) of a course's package: ``CODE-vN.json``
    for a course without files, ``CODE-vN.zip`` with them."""
    package = course_export_package(course=course)
    base = f"{course.code}-v{course.version}"
    if package["format_version"] != FILES_FORMAT_VERSION:
        return io.BytesIO(package_dumps(package).encode("utf-8")), f"{base}.json", "application/json; charset=utf-8"
    output = tempfile.TemporaryFile()
    files = course_package_files(course)
    with zipfile.ZipFile(output, "w") as archive:
        _write(archive, COURSE_JSON, io.BytesIO(package_dumps(package).encode("utf-8")), zipfile.ZIP_DEFLATED)
        for path in sorted(files):
            compress = zipfile.ZIP_DEFLATED if path.endswith((".vtt", ".pdf")) else zipfile.ZIP_STORED
            with files[path]() as handle:
                _write(archive, path, handle, compress)
    output.seek(0)
    return output, f"{base}.zip", "application/zip"


def _write(archive: zipfile.ZipFile, name: str, handle, compress: int) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    with archive.open(info, "w") as target:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            target.write(chunk)
