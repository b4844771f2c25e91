"""Rendering for one person: their language and their time zone, whoever or whatever asked.

Every message and document a person receives (an email the dispatcher sends, a warning letter, a
certificate, a CPD transcript) is rendered inside ``as_person(person)``: the translations, the
date and number formats (``lms/formats``) and the times are those of the person it is for, never
those of the request that triggered it, the nightly job or the server. Both overrides are undone
on the way out (``translation.override``/``timezone.override``), so a job that renders for many
people in a row never carries one person's language into the next one's message.

A person whose stored language is not one the site offers (an old code, a typing mistake in an
import) reads the nearest one it does offer ("fr-ca" reads French), else the site's own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone, translation


def language_of(person) -> str:
    """The language code the site renders ``person``'s messages in (one of LANGUAGES)."""
    code = (getattr(person, "locale", "") or "").strip().lower().replace("_", "-")
    if code:
        with contextlib.suppress(LookupError):
            return translation.get_supported_language_variant(code)
    return settings.LANGUAGE_CODE


def direction_of(language: str) -> str:
    """``"rtl"`` for a right-to-left language (Arabic), else ``"ltr"``."""
    return "rtl" if language.split("-")[0] in settings.LANGUAGES_BIDI else "ltr"


@contextlib.contextmanager
def as_person(person) -> Iterator[str]:
    """Render in ``person``'s language and time zone for the duration of the block; yields the
    language code. ``None`` (no person: a document for nobody in particular) keeps what is active."""
    if person is None:
        yield translation.get_language() or settings.LANGUAGE_CODE
        return
    language = language_of(person)
    with translation.override(language), timezone.override(person.tzinfo):
        yield language
