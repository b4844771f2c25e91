"""Authored HTML (module and cheat-sheet bodies) reduced to one safe subset.

Admins write these bodies and import them in course packages, and learners' browsers render them
inside the site's pages. The Content-Security-Policy stops scripts, but not
``<meta http-equiv="refresh">`` (which sends the learner off-site), ``<form>`` (which posts
anything anywhere), ``<base>`` (which re-points every relative link), ``<iframe>`` or ``<style>``.
So HTML is never stored or shown as written: ``sanitise_html`` (nh3, the Rust ammonia sanitiser)
keeps only the tags and attributes below and drops everything else, and it is the one function
every write path uses:

- ``SafeHTMLField`` sanitises whatever is saved through the ORM: ``save()`` (the authoring
  services, the Django admin), ``bulk_create``, ``bulk_update`` and ``QuerySet.update``;
- the authoring services and the package import call it first, so that their checks ("a cheat
  sheet needs a body") see what will be stored;
- the ``safe_html`` template filter sanitises again when a body is shown, should a row ever have
  been written around the ORM (a restored dump, raw SQL); no template uses ``|safe``.

The subset is documented in docs/course-package-format.md ("Safe HTML"); keep the two in step.
Text is kept; a disallowed tag is removed but its text stays, except in the tags whose content
is never text (``CLEAN_CONTENT_TAGS``), which go with their content. Sanitising is idempotent:
a body already inside the subset (as every export writes) is stored exactly as written.
"""

from __future__ import annotations

import re

import nh3
from django.db import models

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "b",
        "i",
        "u",
        "sub",
        "sup",
        "code",
        "pre",
        "blockquote",
        "hr",
        "abbr",
        "a",
        "table",
        "caption",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
# Links: these schemes, or relative (``/path``, ``#part``); ``javascript:``, ``data:``, ``vbscript:``
# and every other scheme lose their ``href``.
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"
# Removed together with everything inside them.
CLEAN_CONTENT_TAGS = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "noscript",
        "noembed",
        "noframes",
        "template",
        "title",
        "textarea",
        "select",
        "svg",
        "math",
        "xmp",
    }
)


# Addresses a browser reads as another site although they look relative: protocol-relative
# (``//host``), with backslashes (``/\\host``, read as ``//host``), or ``http:host`` without slashes.
_OFF_SITE_LOOKING_RELATIVE = re.compile(r"^\s*(//|\\|/\\)|\\|^\s*https?:(?!//)", re.IGNORECASE)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href" and _OFF_SITE_LOOKING_RELATIVE.search(value):
        return None
    return value


def sanitise_html(html: str | None) -> str:
    """``html`` reduced to the safe subset (``""`` for ``None``)."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        attribute_filter=_filter_attribute,
    )


class SafeHTMLField(models.TextField):
    """A text column that holds only the safe HTML subset, whatever path writes it."""

    def pre_save(self, model_instance, add):
        value = sanitise_html(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_save(self, value, connection):
        # Also reached by QuerySet.update() and bulk_update(), which skip pre_save.
        if isinstance(value, str):
            value = sanitise_html(value)
        return super().get_db_prep_save(value, connection)
