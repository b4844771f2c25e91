"""Build SCORM packages in memory for tests (used by the import and the player tests).

``build_package()`` returns the bytes of a zip with an ``imsmanifest.xml`` at its root, one
resource per SCO and a small HTML page per launch file (unless ``files`` gives that path).

Each SCO is a dict (all keys optional)::

    {"identifier": "sco1", "title": "Part 1", "href": "sco1/index.html", "parameters": "?p=1",
     "mastery_score": 80, "data_from_lms": "x", "max_time_allowed": "PT30M",
     "time_limit_action": "exit,message", "parent": "Chapter 1", "scorm_type": "sco"}

or a plain string (its title). ``parent`` groups consecutive SCOs under an aggregation item
of that title.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any
from xml.sax.saxutils import escape, quoteattr

SCHEMA_VERSIONS = {
    "1.2": "1.2",
    "2004-2": "CAM 1.3",
    "2004-3": "2004 3rd Edition",
    "2004-4": "2004 4th Edition",
}

SCO_PAGE = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
    "<body><h1>{title}</h1></body></html>"
)


def zip_bytes(entries: dict[str, bytes | str], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``entries`` (name -> content), in the given order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def _normalise_scos(scos: list[Any] | None) -> list[dict[str, Any]]:
    scos = scos if scos is not None else [{}]
    result = []
    for number, sco in enumerate(scos, start=1):
        sco = {"title": sco} if isinstance(sco, str) else dict(sco)
        sco.setdefault("identifier", f"sco{number}")
        sco.setdefault("title", f"Part {number}")
        sco.setdefault("href", "index.html" if len(scos) == 1 else f"{sco['identifier']}/index.html")
        result.append(sco)
    return result


def _item_xml(sco: dict[str, Any], version: str, mastery_score: Any) -> str:
    identifier = sco["identifier"]
    attrs = f"identifier={quoteattr('item_' + identifier)} identifierref={quoteattr('res_' + identifier)}"
    if sco.get("parameters"):
        attrs += f" parameters={quoteattr(sco['parameters'])}"
    if sco.get("isvisible") is False:
        attrs += ' isvisible="false"'
    inner = f"<title>{escape(sco['title'])}</title>"
    mastery = sco.get("mastery_score", mastery_score)
    if version == "1.2":
        if mastery is not None:
            inner += f"<adlcp:masteryscore>{mastery}</adlcp:masteryscore>"
        if sco.get("data_from_lms"):
            inner += f"<adlcp:datafromlms>{escape(sco['data_from_lms'])}</adlcp:datafromlms>"
        if sco.get("max_time_allowed"):
            inner += f"<adlcp:maxtimeallowed>{escape(sco['max_time_allowed'])}</adlcp:maxtimeallowed>"
        if sco.get("time_limit_action"):
            inner += f"<adlcp:timelimitaction>{escape(sco['time_limit_action'])}</adlcp:timelimitaction>"
    else:
        if sco.get("data_from_lms"):
            inner += f"<adlcp:dataFromLMS>{escape(sco['data_from_lms'])}</adlcp:dataFromLMS>"
        if sco.get("time_limit_action"):
            inner += f"<adlcp:timeLimitAction>{escape(sco['time_limit_action'])}</adlcp:timeLimitAction>"
        if sco.get("completion_threshold") is not None:
            inner += f"<adlcp:completionThreshold>{sco['completion_threshold']}</adlcp:completionThreshold>"
        sequencing = ""
        if sco.get("max_time_allowed"):
            sequencing += f'<imsss:limitConditions attemptAbsoluteDurationLimit="{escape(sco["max_time_allowed"])}"/>'
        if mastery is not None:
            measure = float(mastery) / 100
            sequencing += (
                '<imsss:objectives><imsss:primaryObjective objectiveID="primary" satisfiedByMeasure="true">'
                f"<imsss:minNormalizedMeasure>{measure:g}</imsss:minNormalizedMeasure>"
                "</imsss:primaryObjective></imsss:objectives>"
            )
        if sequencing:
            inner += f"<imsss:sequencing>{sequencing}</imsss:sequencing>"
    return f"<item {attrs}>{inner}</item>"


def build_manifest(
    *, version: str = "1.2", scos: list[Any] | None = None, mastery_score: Any = None, title: str = "Test package"
) -> str:
    """The text of an imsmanifest.xml for ``scos`` (see the module docstring)."""
    if version not in SCHEMA_VERSIONS:
        raise ValueError(f"unknown version {version!r}")
    scos = _normalise_scos(scos)
    if version == "1.2":
        namespaces = (
            'xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
            'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        )
        scorm_type_attr = "adlcp:scormtype"
    else:
        namespaces = (
            'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" '
            'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" '
            'xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" '
            'xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3" '
            'xmlns:imsss="http://www.imsglobal.org/xsd/imsss" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        )
        scorm_type_attr = "adlcp:scormType"
    items = []
    open_parent = None
    for sco in scos:
        parent = sco.get("parent")
        if parent != open_parent:
            if open_parent is not None:
                items.append("</item>")
            if parent is not None:
                items.append(f'<item identifier="agg_{len(items)}"><title>{escape(parent)}</title>')
            open_parent = parent
        items.append(_item_xml(sco, version, mastery_score))
    if open_parent is not None:
        items.append("</item>")
    resources = []
    for sco in scos:
        href = sco["href"]
        resources.append(
            f'<resource identifier="res_{sco["identifier"]}" type="webcontent" '
            f'{scorm_type_attr}="{sco.get("scorm_type", "sco")}" href={quoteattr(href)}>'
            f"<file href={quoteattr(href)}/></resource>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest identifier="com.example.{version.replace(".", "-")}" version="1" {namespaces}>'
        f"<metadata><schema>ADL SCORM</schema><schemaversion>{SCHEMA_VERSIONS[version]}</schemaversion></metadata>"
        f'<organizations default="org1"><organization identifier="org1"><title>{escape(title)}</title>'
        f"{''.join(items)}</organization></organizations>"
        f"<resources>{''.join(resources)}</resources></manifest>"
    )


def build_package(
    version: str = "1.2",
    scos: list[Any] | None = None,
    mastery_score: Any = None,
    files: dict[str, bytes | str] | None = None,
    manifest_override: str | bytes | None = None,
    *,
    title: str = "Test package",
    folder: str = "",
    omit: tuple[str, ...] = (),
) -> bytes:
    """The bytes of a SCORM zip: manifest, one page per SCO launch file, then ``files``.

    ``manifest_override`` replaces the manifest text; ``folder`` puts everything under a sub-folder
    (the common mistake of zipping the folder instead of its contents); ``omit`` leaves those paths
    out of the zip (a missing launch file).
    """
    scos_normalised = _normalise_scos(scos)
    manifest = (
        manifest_override
        if manifest_override is not None
        else build_manifest(version=version, scos=scos_normalised, mastery_score=mastery_score, title=title)
    )
    entries: dict[str, bytes | str] = {"imsmanifest.xml": manifest}
    for sco in scos_normalised:
        entries.setdefault(sco["href"], SCO_PAGE.format(title=escape(sco["title"])))
    entries.update(files or {})
    for path in omit:
        entries.pop(path, None)
    if folder:
        entries = {f"{folder.rstrip('/')}/{name}": content for name, content in entries.items()}
    return zip_bytes(entries)
