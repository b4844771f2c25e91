"""Checks shared by the tests of what people receive in their own language (issue 16): the
catalogues' translations (read with polib from ``locale/<lang>/LC_MESSAGES/django.po``), a
locale's date format, and the text and layout of a PDF (pdftotext)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from functools import cache
from pathlib import Path

import polib
from django.conf import settings
from django.utils import formats, translation

LANGUAGES = ["fr", "de", "es", "ar"]
ZONES = {"fr": "Europe/Paris", "de": "Europe/Berlin", "es": "Europe/Madrid", "ar": "Asia/Dubai", "en-gb": "UTC"}


@cache
def catalogue(language: str) -> dict[str, polib.POEntry]:
    path = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    return {entry.msgid: entry for entry in polib.pofile(str(path))}


def translated(language: str, msgid: str, plural: int | None = None) -> str:
    """The catalogue's translation of ``msgid`` (its plural form for ``plural``), asserted to exist
    and to differ from the English."""
    entry = catalogue(language).get(msgid)
    assert entry is not None, f"{msgid!r} is not in the {language} catalogue"
    if plural is None:
        text = entry.msgstr
    else:
        with translation.override(language):
            index = 0 if translation.ngettext("a", "b", plural) == "a" else 1
        text = entry.msgstr_plural.get(index, "") if entry.msgid_plural else entry.msgstr
    assert text and not entry.fuzzy, f"the {language} catalogue has no translation of {msgid!r} yet"
    assert text != msgid, f"the {language} translation of {msgid!r} is the English"
    return text


def local_day(language: str, day: dt.date) -> str:
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def pdf_text(data: bytes) -> str:
    """The PDF's text (pdftotext), white space collapsed and bidirectional controls left out."""
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return " ".join(text.translate(BIDI_CONTROLS).split())


# pdftotext gives Arabic lines in visual order and splits ligatures (lam-alef comes out as
# alef-lam, a shadda as a word of its own), so Arabic is compared without those letters, marks and
# spaces: each word of the expected text must be in the page's text.
_ARABIC_FRAGILE = dict.fromkeys(map(ord, "لاأإآٱ"), None) | {c: None for c in range(0x064B, 0x0653)}


def _arabic_key(text: str) -> str:
    return "".join(text.translate(_ARABIC_FRAGILE).split())


def assert_in_pdf(expected: str, text: str, language: str) -> None:
    """``expected`` in the PDF's text (``pdf_text``); for Arabic, word by word (see above)."""
    if language != "ar":
        assert expected in text
        return
    page = _arabic_key(text)
    for word in expected.replace("،", " ").split():
        assert _arabic_key(word) in page, (word, text)


def start_edge_x(data: bytes, word: str) -> tuple[list[float], float]:
    """Where each ``word`` begins on the first page (its left edge) and the page's width, from
    ``pdftotext -bbox``: a line aligned to the start is at the left in a left-to-right document
    and at the right in a right-to-left one."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    xs = [float(x) for x in re.findall(r'<word xMin="([\d.]+)"[^>]*>' + re.escape(word) + "</word>", html)]
    assert xs, f"{word!r} is not on the first page"
    return xs, width


def assert_from_start_edge(data: bytes, word: str, language: str) -> None:
    """Every ``word`` on the first page is on the start side: the right half for Arabic."""
    xs, width = start_edge_x(data, word)
    if language == "ar":
        assert all(x > width / 2 for x in xs), (xs, width)
    else:
        assert all(x < width / 2 for x in xs), (xs, width)
