"""XLIFF 1.2: one ``<file>`` per course and language, one ``<trans-unit>`` per text, its digest in
the ``<note>``. Read with defusedxml, DTDs and entities refused."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _

from courses.models import Course
from courses.translations.exchange.texts import Unit, language_name, text_rows
from lms.languages import language_code

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF_NAMESPACE_PREFIX = "urn:oasis:names:tc:xliff:document:"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
DIGEST_NOTE = re.compile(r"source-digest:\s*([0-9a-fA-F]{64})")
# Characters XML 1.0 cannot carry at all (C0 controls other than tab, line feed, carriage return).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: str) -> str:
    return NOT_XML.sub("", value)


def export_xliff(course: Course, language: str) -> bytes:
    """An XLIFF 1.2 document of the course's texts for ``language`` (UTF-8 bytes)."""
    # Unqualified names under an explicit default namespace: ElementTree's own namespace handling
    # would either prefix every tag (ns0:) or need a process-wide registration.
    root = ET.Element("xliff", {"xmlns": XLIFF_NS, "version": "1.2"})
    file_element = ET.SubElement(
        root,
        "file",
        {
            "original": f"course {course.code} v{course.version}",
            "source-language": course.language,
            "target-language": language,
            "datatype": "plaintext",
        },
    )
    body = ET.SubElement(file_element, "body")
    for row in text_rows(course, language):
        unit = ET.SubElement(body, "trans-unit", {"id": row.unit_id, XML_SPACE: "preserve"})
        ET.SubElement(unit, "source").text = _xml_text(row.source)
        if row.translation is not None:
            target = ET.SubElement(unit, "target")
            target.text = _xml_text(row.translation)
            # XLIFF 1.2 target states: a translation of an older main text needs the translator's review.
            if row.translation_digest != row.digest:
                target.set("state", "needs-review-translation")
        ET.SubElement(unit, "note").text = f"{_xml_text(row.label)}\nsource-digest: {row.digest}"
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _local(tag: object) -> tuple[str, str]:
    """(namespace, local name) of an element's tag."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _sep, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag)[1] == name]


def parse_xliff(data: bytes, *, course: Course, language: str) -> tuple[list[Unit], list[str]]:
    """The units of an XLIFF 1.2 file, or the problems that make it unreadable or not this
    course's file for ``language``."""
    try:
        root = DefusedET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return [], [
            _(
                "The file declares a DTD or entities, which an XLIFF file does not need; it was refused "
                "for safety. Export the file again from this page."
            )
        ]
    except ParseError as error:
        return [], [_("The file is not well-formed XML: %(error)s.") % {"error": error}]
    namespace, name = _local(root.tag)
    if name != "xliff" or not (namespace in ("", XLIFF_NS) or namespace.startswith(XLIFF_NAMESPACE_PREFIX)):
        return [], [_("This is not an XLIFF file: its root element is <%(name)s>, not <xliff>.") % {"name": name[:40]}]
    # XLIFF 2.0 and 2.1 name another namespace (urn:oasis:names:tc:xliff:document:2.0) and a
    # different structure (<unit>/<segment>): say which version this is rather than "not XLIFF".
    if root.get("version") != "1.2" or namespace not in ("", XLIFF_NS):
        return [], [
            _("This is XLIFF version %(version)s; only XLIFF 1.2 is read.")
            % {"version": (root.get("version") or "?")[:10]}
        ]
    files = _children(root, "file")
    if len(files) != 1:
        return [], [
            _("The file has %(n)d <file> elements; an export of one course for one language has exactly one.")
            % {"n": len(files)}
        ]
    file_element = files[0]
    problems = []
    target = file_element.get("target-language") or ""
    if language_code(target) != language:
        problems.append(
            _(
                "The file's target language is “%(found)s”, but this import is for %(language)s (%(code)s). "
                "Choose the file's language, or export the file for %(language)s."
            )
            % {"found": target[:20] or _("none"), "language": language_name(language), "code": language}
        )
    source = file_element.get("source-language") or ""
    if language_code(source) != course.language:
        problems.append(
            _("The file's source language is “%(found)s”, but the course's main language is %(language)s (%(code)s).")
            % {"found": source[:20] or _("none"), "language": language_name(course.language), "code": course.language}
        )
    original = file_element.get("original") or ""
    expected = f"course {course.code} v{course.version}"
    if original != expected:
        problems.append(
            _("The file was exported from “%(found)s”, not from this course (“%(expected)s”).")
            % {"found": original[:80], "expected": expected}
        )
    bodies = _children(file_element, "body")
    if len(bodies) != 1:
        problems.append(_("The <file> element has no <body>."))
        return [], problems
    units = []
    for element in bodies[0].iter():
        if _local(element.tag)[1] != "trans-unit":
            continue
        uid = element.get("id") or ""
        where = _("Unit %(id)s") % {"id": uid[:80]} if uid else _("A unit without an id")
        digest_match = None
        for note in _children(element, "note"):
            digest_match = DIGEST_NOTE.search("".join(note.itertext())) or digest_match
        targets = _children(element, "target")
        if len(targets) > 1:
            problems.append(
                _("%(where)s has %(n)d <target> elements; it may have one.") % {"where": where, "n": len(targets)}
            )
            continue
        text = ""
        if targets:
            if len(targets[0]):
                problems.append(
                    _(
                        "%(where)s: the target contains markup elements (<%(tag)s>) this import does not read; "
                        "write the translation as text only."
                    )
                    % {"where": where, "tag": _local(targets[0][0].tag)[1][:20]}
                )
                continue
            text = targets[0].text or ""
        if digest_match is None:
            problems.append(
                _("%(where)s has no source digest in its note (“source-digest: …”); export the file again.")
                % {"where": where}
            )
            continue
        units.append(Unit(where=where, id=uid, digest=digest_match.group(1).lower(), target=text))
    return units, problems
