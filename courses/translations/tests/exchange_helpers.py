"""What a translator does to an exported file, done programmatically for the tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from xml.etree import ElementTree as ET

from courses.translations.exchange.xliff import XLIFF_NS

NS = {"x": XLIFF_NS}


def french(source: str) -> str:
    return f"FR {source}"


def fill_xliff(data: bytes, translate: Callable[[str], str] = french, only: set[str] | None = None) -> bytes:
    """The exported XLIFF with every unit's target (or those in ``only``) set to ``translate(source)``."""
    root = ET.fromstring(data)
    for unit in root.iterfind(".//x:trans-unit", NS):
        if only is not None and unit.get("id") not in only:
            continue
        target = unit.find("x:target", NS)
        if target is None:
            target = ET.Element(f"{{{XLIFF_NS}}}target")
            unit.insert(1, target)
        target.text = translate(unit.find("x:source", NS).text or "")
    # Written back without ns0: prefixes, as a translation tool would. Registered at each call:
    # the registry is process-wide, and pysaml2 registers prefixes of its own when it is imported.
    ET.register_namespace("", XLIFF_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def xliff_units(data: bytes) -> dict[str, dict[str, str | None]]:
    root = ET.fromstring(data)
    units = {}
    for unit in root.iterfind(".//x:trans-unit", NS):
        target = unit.find("x:target", NS)
        units[unit.get("id")] = {
            "source": unit.find("x:source", NS).text,
            "target": None if target is None else (target.text or ""),
            "note": unit.find("x:note", NS).text,
        }
    return units


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def fill_csv(data: bytes, translate: Callable[[str], str] = french) -> bytes:
    rows = csv_rows(data)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(rows[0])
    for row in rows[1:]:
        writer.writerow([*row[:4], translate(row[3])])
    return out.getvalue().encode("utf-8")
