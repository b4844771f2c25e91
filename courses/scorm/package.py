"""Reading a SCORM zip without trusting it: the archive's limits and paths, then its manifest.

``package_read(zip_file)`` checks everything that can be checked before a byte is stored and returns
a ``CheckedPackage`` (the parsed manifest and the entries to extract), or raises ValidationError
with a message naming the problem. Nothing here writes to the database or the storage.

The manifest is parsed with defusedxml, which refuses entity declarations (billion laughs, XXE)
and external references.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import stat
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from courses.scorm.models import ScormVersion

MANIFEST = "imsmanifest.xml"
# The manifest itself is read into memory: a manifest larger than this is not a real one.
MAX_MANIFEST_BYTES = 10 * 1024 * 1024
# Files this small are not judged by their own expansion ratio (a page of spaces compresses 500x).
RATIO_FLOOR_BYTES = 1024 * 1024
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

# What a file that is not a zip starts with, to name it in the refusal.
SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"<?xml", "an XML file"),
    (b"<!DOCTYPE", "an HTML page"),
    (b"<html", "an HTML page"),
)
DRIVE = re.compile(r"^[A-Za-z]:")


def _kinds() -> dict[str, str]:
    # Translated at call time (the request's language), not at import.
    return {
        "a PDF document": _("a PDF document"),
        "a PNG image": _("a PNG image"),
        "a JPEG image": _("a JPEG image"),
        "a GIF image": _("a GIF image"),
        "a RAR archive": _("a RAR archive"),
        "a 7-Zip archive": _("a 7-Zip archive"),
        "a gzip archive": _("a gzip archive"),
        "an old Microsoft Office document": _("an old Microsoft Office document"),
        "an XML file": _("an XML file"),
        "an HTML page": _("an HTML page"),
    }


@dataclass
class ParsedItem:
    identifier: str
    title: str
    order: int
    parent_identifier: str
    parent_title: str
    depth: int
    resource_identifier: str
    href: str
    is_sco: bool
    is_visible: bool
    mastery_score: Decimal | None = None
    scaled_passing_score: Decimal | None = None
    completion_threshold: Decimal | None = None
    data_from_lms: str = ""
    max_time_allowed: str = ""
    time_limit_action: str = ""

    @property
    def launch_path(self) -> str:
        return self.href.split("?", 1)[0].split("#", 1)[0]


@dataclass
class CheckedPackage:
    """A zip that passed every check: what to store and what the manifest says."""

    version: str
    identifier: str
    title: str
    items: list[ParsedItem]
    manifest: dict[str, Any]
    entries: list[zipfile.ZipInfo] = field(repr=False)
    size: int = 0
    uncompressed_size: int = 0
    sha256: str = ""

    @property
    def mastery_score(self) -> Decimal | None:
        return next((item.mastery_score for item in self.items if item.mastery_score is not None), None)


def refuse(message: str) -> ValidationError:
    return ValidationError(message, code="scorm")


def _size(zip_file: IO[bytes]) -> int:
    zip_file.seek(0, 2)
    size = zip_file.tell()
    zip_file.seek(0)
    return size


def _not_a_zip(zip_file: IO[bytes]) -> ValidationError:
    zip_file.seek(0)
    head = zip_file.read(16)
    zip_file.seek(0)
    for signature, kind in SIGNATURES:
        if head.lstrip()[: len(signature)].lower() == signature.lower():
            return refuse(
                _("This file is %(kind)s, not a zip file. A SCORM package is a .zip with imsmanifest.xml at its root.")
                % {"kind": _kinds()[kind]}
            )
    return refuse(_("This file is not a zip file. A SCORM package is a .zip with imsmanifest.xml at its root."))


def path_problem(name: str) -> str | None:
    """Why ``name`` (a zip entry or an href, already unquoted) would escape the package folder; None if fine."""
    if "\x00" in name or any(ord(char) < 32 for char in name):
        return _("it contains a control character")
    if "\\" in name:
        return _("it contains a backslash")
    if name.startswith("/") or DRIVE.match(name):
        return _("it is an absolute path")
    if ".." in name.split("/"):
        return _("it goes up a folder with ../")
    return None


def _sha256(zip_file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    zip_file.seek(0)
    for chunk in iter(lambda: zip_file.read(1024 * 1024), b""):
        digest.update(chunk)
    zip_file.seek(0)
    return digest.hexdigest()


def _check_entries(archive: zipfile.ZipFile, size: int) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > settings.SCORM_MAX_ENTRIES:
        raise refuse(
            _("The zip has %(count)s entries; at most %(limit)s are allowed.")
            % {"count": len(infos), "limit": settings.SCORM_MAX_ENTRIES}
        )
    files = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        problem = path_problem(info.filename)
        if problem:
            raise refuse(
                _("The zip entry “%(name)s” would be stored outside the package folder: %(problem)s.")
                % {"name": info.filename[:200], "problem": problem}
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise refuse(_("The zip entry “%(name)s” is a symbolic link: links are refused.") % {"name": info.filename})
        if info.flag_bits & 0x1:
            raise refuse(
                _("The zip entry “%(name)s” is encrypted: upload a zip without a password.") % {"name": info.filename}
            )
        if info.is_dir():
            continue
        key = info.filename.lower()
        if key in seen:
            raise refuse(_("The zip has “%(name)s” twice.") % {"name": info.filename})
        seen.add(key)
        total += info.file_size
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > settings.SCORM_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise refuse(
                _(
                    "The zip entry “%(name)s” expands more than %(ratio)s times (%(size)s from %(packed)s): "
                    "refused as a possible zip bomb."
                )
                % {
                    "name": info.filename,
                    "ratio": settings.SCORM_MAX_RATIO,
                    "size": filesizeformat(info.file_size),
                    "packed": filesizeformat(info.compress_size),
                }
            )
        files.append(info)
    if total > settings.SCORM_MAX_UNCOMPRESSED_BYTES:
        raise refuse(
            _("The zip's files add up to %(size)s uncompressed; at most %(limit)s are allowed.")
            % {"size": filesizeformat(total), "limit": filesizeformat(settings.SCORM_MAX_UNCOMPRESSED_BYTES)}
        )
    if total > RATIO_FLOOR_BYTES and total > settings.SCORM_MAX_RATIO * max(size, 1):
        raise refuse(
            _(
                "The zip expands more than %(ratio)s times (%(size)s from a %(packed)s file): refused as a "
                "possible zip bomb."
            )
            % {"ratio": settings.SCORM_MAX_RATIO, "size": filesizeformat(total), "packed": filesizeformat(size)}
        )
    return files


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int) -> IO[bytes]:
    """Open an entry for reading, counting what comes out: a stream longer than declared is refused."""
    return _CountingReader(archive.open(info), info=info, limit=min(limit, info.file_size))


class _CountingReader:
    def __init__(self, stream, *, info: zipfile.ZipInfo, limit: int):
        self.stream = stream
        self.info = info
        self.limit = limit
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(64 * 1024 if size is None or size < 0 else min(size, 64 * 1024))
        self.count += len(chunk)
        if self.count > self.limit:
            raise refuse(
                _("The zip entry “%(name)s” holds more than it declares: refused as a possible zip bomb.")
                % {"name": self.info.filename}
            )
        return chunk

    def close(self) -> None:
        self.stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _find_manifest(archive: zipfile.ZipFile, files: list[zipfile.ZipInfo]) -> zipfile.ZipInfo:
    at_root = [info for info in files if info.filename.lower() == MANIFEST]
    if at_root:
        return at_root[0]
    nested = sorted(
        (info.filename for info in files if info.filename.lower().endswith("/" + MANIFEST)),
        key=lambda name: (name.count("/"), name),
    )
    if nested:
        raise refuse(
            _(
                "There is no imsmanifest.xml at the root of the zip, but the zip has one at %(path)s: zip the "
                "folder's contents, not the folder."
            )
            % {"path": nested[0]}
        )
    raise refuse(
        _("There is no imsmanifest.xml in the zip: this is not a SCORM package (the manifest must be at its root).")
    )


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag).lower() == name.lower()]


def _child(element: Element, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _attr(element: Element, name: str, default: str = "") -> str:
    """An attribute by its local name, whatever its namespace and letter case (scormtype, scormType)."""
    for key, value in element.attrib.items():
        if _local(key).lower() == name.lower() and key != XML_BASE:
            return value.strip()
    return default


def _join(base: str, href: str) -> str:
    if not base:
        return href
    return base + ("" if base.endswith("/") else "/") + href


def _version(root: Element) -> str:
    metadata = _child(root, "metadata")
    declared = _text(_child(metadata, "schemaversion")) if metadata is not None else ""
    normalised = " ".join(declared.lower().split())
    known = {
        "1.2": ScormVersion.SCORM_12,
        "cam 1.3": ScormVersion.SCORM_2004_2,
        "2004 2nd edition": ScormVersion.SCORM_2004_2,
        "2004 3rd edition": ScormVersion.SCORM_2004_3,
        "2004 4th edition": ScormVersion.SCORM_2004_4,
    }
    if normalised in known:
        return known[normalised]
    if declared:
        raise refuse(
            _(
                "The manifest's schemaversion is “%(version)s”, which is not a SCORM version this site plays "
                "(1.2, CAM 1.3, 2004 3rd Edition or 2004 4th Edition)."
            )
            % {"version": declared[:60]}
        )
    # No schemaversion: the namespaces say which SCORM the manifest was written for.
    names = {element.tag for element in root.iter() if isinstance(element.tag, str)}
    names |= {key for element in root.iter() for key in element.attrib}
    text = " ".join(names)
    if "adlcp_rootv1p2" in text:
        return ScormVersion.SCORM_12
    if "adlcp_v1p3" in text:
        return ScormVersion.SCORM_2004_3
    raise refuse(
        _(
            "The manifest does not say which SCORM version it is (no schemaversion and no SCORM namespace): "
            "the SCORM version is unknown."
        )
    )


def _decimal(value: str, *, what: str, item: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not low <= number <= high:
        raise refuse(
            _("The %(what)s of item “%(item)s” is “%(value)s”: it must be a number from %(low)s to %(high)s.")
            % {"what": what, "item": item, "value": value[:40], "low": low, "high": high}
        )
    return number


def _item_details(element: Element, parsed: ParsedItem, version: str) -> None:
    if version == ScormVersion.SCORM_12:
        mastery = _text(_child(element, "masteryscore"))
        if mastery:
            parsed.mastery_score = _decimal(
                mastery, what="adlcp:masteryscore", item=parsed.identifier, low=Decimal(0), high=Decimal(100)
            )
        parsed.data_from_lms = _text(_child(element, "datafromlms"))[:4096]
        parsed.max_time_allowed = _text(_child(element, "maxtimeallowed"))[:64]
        parsed.time_limit_action = _text(_child(element, "timelimitaction"))[:32]
        return
    parsed.data_from_lms = _text(_child(element, "dataFromLMS"))[:4096]
    parsed.time_limit_action = _text(_child(element, "timeLimitAction"))[:32]
    threshold = _child(element, "completionThreshold")
    if threshold is not None:
        # 2nd/3rd edition: the threshold as text; 4th edition: minProgressMeasure (when completedByMeasure).
        value = _text(threshold) or _attr(threshold, "minProgressMeasure")
        if value and (_attr(threshold, "completedByMeasure", "true").lower() == "true" or _text(threshold)):
            parsed.completion_threshold = _decimal(
                value, what="adlcp:completionThreshold", item=parsed.identifier, low=Decimal(0), high=Decimal(1)
            )
    sequencing = _child(element, "sequencing")
    if sequencing is None:
        return
    limits = _child(sequencing, "limitConditions")
    if limits is not None:
        parsed.max_time_allowed = _attr(limits, "attemptAbsoluteDurationLimit")[:64]
    objectives = _child(sequencing, "objectives")
    primary = _child(objectives, "primaryObjective") if objectives is not None else None
    if primary is not None and _attr(primary, "satisfiedByMeasure").lower() == "true":
        measure = _text(_child(primary, "minNormalizedMeasure")) or "1.0"
        scaled = _decimal(
            measure, what="imsss:minNormalizedMeasure", item=parsed.identifier, low=Decimal(-1), high=Decimal(1)
        )
        parsed.scaled_passing_score = scaled
        if scaled < 0:
            raise refuse(
                _(
                    "The imsss:minNormalizedMeasure of item “%(item)s” is %(value)s: a passing score below 0 "
                    "cannot become a pass mark."
                )
                % {"item": parsed.identifier, "value": measure}
            )
        parsed.mastery_score = (scaled * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _launch_href(resource: Element, item: Element, bases: str) -> str:
    href = unquote(_attr(resource, "href"))
    query = ""
    if "#" in href:
        href, fragment = href.split("#", 1)
        query = "#" + fragment
    if "?" in href:
        href, params = href.split("?", 1)
        query = "?" + params + query
    parameters = _attr(item, "parameters")
    if parameters:
        # The SCORM CAM rule: "?x" or "#x" appended, joined with & to a query the href has already.
        if parameters.startswith("#"):
            query = query.split("#", 1)[0] + parameters
        else:
            parameters = parameters.lstrip("?&")
            query = (query + "&" + parameters) if query.startswith("?") else ("?" + parameters + query)
    path = _join(bases, href)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path) or path.startswith("//"):
        raise refuse(
            _(
                "The launch file of item “%(item)s” is an address on another site (%(href)s): only packages that "
                "contain their content can be imported."
            )
            % {"item": _attr(item, "identifier"), "href": path[:200]}
        )
    problem = path_problem(path)
    if problem is None:
        normalised = posixpath.normpath(path) if path else path
        if normalised.startswith("../") or normalised == "..":
            problem = _("it goes up a folder with ../")
        else:
            path = normalised
    if problem:
        raise refuse(
            _("The launch file “%(href)s” of item “%(item)s” is outside the package folder: %(problem)s.")
            % {"href": path[:200], "item": _attr(item, "identifier"), "problem": problem}
        )
    return path + query


def parse_manifest(content: bytes) -> tuple[Element, str]:
    """The manifest's root element and SCORM version, or a ValidationError naming the problem."""
    try:
        root = DefusedET.fromstring(content)
    except DefusedXmlException:
        raise refuse(
            _(
                "imsmanifest.xml declares XML entities or external references, which are refused for safety "
                "(they can read files or exhaust memory)."
            )
        ) from None
    except ParseError as error:
        line, column = error.position
        raise refuse(
            _("imsmanifest.xml is not well-formed XML (line %(line)s, column %(column)s).")
            % {"line": line, "column": column + 1}
        ) from None
    if _local(root.tag) != "manifest":
        raise refuse(_("imsmanifest.xml does not start with a <manifest> element."))
    return root, _version(root)


def manifest_read(content: bytes, *, names: set[str]) -> dict[str, Any]:
    """Parse the manifest; ``names`` are the zip's file names (to check the launch files)."""
    root, version = parse_manifest(content)
    root_base = root.get(XML_BASE, "")
    resources_element = _child(root, "resources")
    resources: dict[str, tuple[Element, str]] = {}
    resource_list = []
    if resources_element is not None:
        resources_base = _join(root_base, resources_element.get(XML_BASE, ""))
        for resource in _children(resources_element, "resource"):
            identifier = _attr(resource, "identifier")
            base = _join(resources_base, resource.get(XML_BASE, ""))
            resources[identifier] = (resource, base)
            resource_list.append(
                {
                    "identifier": identifier,
                    "type": _attr(resource, "type"),
                    "scorm_type": _attr(resource, "scormtype").lower(),
                    "href": _attr(resource, "href"),
                    "base": base,
                    "files": [_attr(file, "href") for file in _children(resource, "file")][:1000],
                }
            )
    organizations = _child(root, "organizations")
    all_organizations = _children(organizations, "organization") if organizations is not None else []
    if not all_organizations:
        raise refuse(_("The manifest has no <organization>: there is nothing to launch."))
    default = _attr(organizations, "default")
    organization = next((org for org in all_organizations if _attr(org, "identifier") == default), all_organizations[0])
    title = _text(_child(organization, "title")) or _attr(root, "identifier") or _("SCORM package")

    items: list[ParsedItem] = []
    seen: set[str] = set()

    def walk(element: Element, *, parent: ParsedItem | None, parent_id: str, parent_title: str, depth: int):
        tree = []
        for item in _children(element, "item"):
            identifier = _attr(item, "identifier")
            item_title = _text(_child(item, "title")) or identifier
            node = {"identifier": identifier, "title": item_title, "identifierref": _attr(item, "identifierref")}
            if not identifier:
                raise refuse(_("An <item> of the manifest (“%(title)s”) has no identifier.") % {"title": item_title})
            if identifier in seen:
                raise refuse(_("The manifest has two items with the identifier “%(id)s”.") % {"id": identifier})
            seen.add(identifier)
            reference = _attr(item, "identifierref")
            if reference:
                if reference not in resources:
                    raise refuse(
                        _("Item “%(item)s” refers to the resource “%(ref)s”, which the manifest does not have.")
                        % {"item": identifier, "ref": reference}
                    )
                resource, base = resources[reference]
                if not _attr(resource, "href"):
                    raise refuse(
                        _("The resource “%(ref)s” of item “%(item)s” has no href: there is no file to launch.")
                        % {"ref": reference, "item": identifier}
                    )
                parsed = ParsedItem(
                    identifier=identifier[:255],
                    # Longer titles end in "…" where they are cut, never silently.
                    title=Truncator(item_title).chars(200),
                    order=len(items),
                    parent_identifier=parent_id[:255],
                    parent_title=Truncator(parent_title).chars(200),
                    depth=depth,
                    resource_identifier=reference[:255],
                    href=_launch_href(resource, item, base),
                    # A resource without scormtype (seen in 1.2 exports) is launched as a SCO, not an asset.
                    is_sco=_attr(resource, "scormtype").lower() != "asset",
                    is_visible=_attr(item, "isvisible", "true").lower() != "false",
                )
                _item_details(item, parsed, version)
                if len(parsed.href) > 2000:
                    raise refuse(_("The launch address of item “%(item)s” is too long.") % {"item": identifier})
                if parsed.launch_path not in names:
                    raise refuse(
                        _("The launch file “%(href)s” of item “%(item)s” is not in the zip.")
                        % {"href": parsed.launch_path, "item": identifier}
                    )
                items.append(parsed)
            node["children"] = walk(item, parent=None, parent_id=identifier, parent_title=item_title, depth=depth + 1)
            tree.append(node)
        return tree

    tree = walk(organization, parent=None, parent_id="", parent_title="", depth=0)
    if not items:
        raise refuse(_("The manifest's organisation has no item with a launch file: there is nothing to play."))
    return {
        "version": version,
        "identifier": _attr(root, "identifier"),
        "title": title,
        "organization": _attr(organization, "identifier"),
        "organizations": [_attr(org, "identifier") for org in all_organizations],
        "items": tree,
        "resources": resource_list,
        "parsed_items": items,
    }


def package_read(zip_file: IO[bytes]) -> CheckedPackage:
    """Check a SCORM zip (a seekable binary file) and parse its manifest; ValidationError if refused."""
    size = _size(zip_file)
    if size > settings.SCORM_MAX_ZIP_BYTES:
        raise refuse(
            _("The file is %(size)s; a SCORM package can be at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.SCORM_MAX_ZIP_BYTES)}
        )
    if not zipfile.is_zipfile(zip_file):
        raise _not_a_zip(zip_file)
    zip_file.seek(0)
    try:
        archive = zipfile.ZipFile(zip_file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise refuse(_("The zip file is damaged and cannot be read.")) from None
    with archive:
        files = _check_entries(archive, size)
        manifest_info = _find_manifest(archive, files)
        if manifest_info.file_size > MAX_MANIFEST_BYTES:
            raise refuse(_("imsmanifest.xml is larger than %(limit)s.") % {"limit": filesizeformat(MAX_MANIFEST_BYTES)})
        try:
            with read_entry(archive, manifest_info, limit=MAX_MANIFEST_BYTES) as stream:
                content = b"".join(iter(lambda: stream.read(), b""))
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
            raise refuse(_("imsmanifest.xml cannot be read from the zip (the zip is damaged).")) from None
        manifest = manifest_read(content, names={info.filename for info in files})
    items = manifest.pop("parsed_items")
    return CheckedPackage(
        version=manifest["version"],
        identifier=manifest["identifier"],
        title=manifest["title"],
        items=items,
        manifest=manifest,
        entries=files,
        size=size,
        uncompressed_size=sum(info.file_size for info in files),
        sha256=_sha256(zip_file),
    )
