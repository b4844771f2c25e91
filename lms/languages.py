"""The interface languages (``settings.LANGUAGES``) and the language tags that arrive from outside.

A person's language (``User.locale``) is always one of the codes of ``settings.LANGUAGES``
("en-gb", "en", "fr", "de", "es", "ar"): the model refuses anything else
(``validate_language``). Tags sent by other systems (the users CSV, SCIM's ``preferredLanguage``
and ``locale``, an identity provider's ``locale`` claim) are read by ``language_code``:

- they are BCP 47 language tags (RFC 5646: ``language[-script][-region]...``, subtags separated by
  hyphens, case-insensitive), or POSIX/Java/ICU locale names that spell the separator as an
  underscore (``fr_FR``, ``fr_FR.UTF-8``);
- the full tag is tried first, so a region the site has its own language for keeps it
  (``en-GB`` -> ``en-gb``); otherwise the primary language subtag decides (``fr-CA`` -> ``fr``,
  ``ar-EG`` -> ``ar``, ``en-US`` -> ``en``, ``FR`` -> ``fr``);
- a tag whose language the site does not have (``ja-JP``), or text that is not a tag at all, is
  ``None``: the caller refuses it (CSV: a line error) or keeps what the person has (SSO, SCIM).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

# RFC 5646 section 2.1, loosely: alphanumeric subtags of 1-8 characters, the first alphabetic.
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_code(tag: object) -> str | None:
    """The code of ``settings.LANGUAGES`` a language tag names, or None (see the module docstring)."""
    if not isinstance(tag, str):
        return None
    text = tag.strip()
    # POSIX locale names: "fr_FR.UTF-8", "de_DE@euro": the language part only.
    text = re.split(r"[.@]", text, maxsplit=1)[0].replace("_", "-").lower()
    if not _TAG.match(text):
        return None
    codes = language_codes()
    if text in codes:
        return text
    primary = text.split("-", 1)[0]
    return primary if primary in codes else None


def validate_language_message(value: object) -> str:
    """What a refused language says: the value and the languages there are."""
    return _("“%(value)s” is not one of this site's languages (%(codes)s).") % {
        "value": str(value)[:40],
        "codes": ", ".join(language_codes()),
    }


def validate_language(value: str) -> None:
    """A person's language must be one of the site's (``settings.LANGUAGES``), by its exact code."""
    if value not in language_codes():
        raise ValidationError(validate_language_message(value), code="invalid_language")


def language_choices() -> list[tuple[str, str]]:
    """(code, the language's name in that language): what a language list shows, so that people
    find their own language whatever the page's language is ("Français", "العربية")."""
    return [(code, native_name(code)) for code in language_codes()]


def native_name(code: str) -> str:
    """ "Français" for fr; the English variants by their region, as Django names them in English
    would not tell them apart ("English (UK)", "English (US)")."""
    names = {"en-gb": "English (UK)", "en": "English (US)"}
    if code in names:
        return names[code]
    name = get_language_info(code)["name_local"]
    return name[:1].upper() + name[1:]
