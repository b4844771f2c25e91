"""How a score is shown, everywhere: pages, exports, certificates, emails and case files.

A score is shown to two decimals at most, cut (never rounded up) and without trailing zeros:
79.59 shows as 79.59, 79.999 as 79.99, 80.00 as 80. So a failing score is never shown as the pass
mark: 39 right of 49 is 79.59 %, not "80 %" beside "Not passed" (a report from other LMSs' users,
replayed as lms/tests/test_scores.py). Scores are stored the same way (cut to two decimals,
assignments.services.attempts), so the stored score is never above the real one either.

A score or a percentage with its sign is ``percent_text`` ("79.59%", "80%", "0%": the same cut
number and a "%" sign, never "0.00%" or "100.00"): every score, pass mark and compliance
percentage on a page, in an email, a PDF or a chart. The number and the sign follow the current
language (its decimal mark, and its ``PERCENT_FORMAT`` in lms/formats): "79,59 %" in French, German
and Spanish, with a no-break space.

Templates use the ``score`` and ``percent`` filters (``{% load lms_tags %}``); Python code
``score_text`` and ``percent_text``. The
guard in lms/tests/test_scores.py fails on any template or module that shows a score otherwise.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.conf import settings
from django.utils import formats, translation

CENT = Decimal("0.01")


def score_cut(value) -> Decimal:
    """A score cut (not rounded) to two decimals."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_DOWN)


def score_text(value) -> str:
    """A score as shown: '79.59', '80', '79.5' (localised decimal mark); '' for no score."""
    if value is None or value == "":
        return ""
    try:
        cut = score_cut(value)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not cut.is_finite():
        return str(value)
    text = f"{cut:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return formats.number_format(Decimal(text), use_l10n=True)


def percent_text(value) -> str:
    """A score or percentage with its sign, as shown everywhere, in the current language:
    '79.59%', '80%' in English, '79,59 %' in French (a no-break space); '' for none."""
    text = score_text(value)
    return percent_format().format(number=text) if text else ""


def percent_format() -> str:
    """The current language's ``PERCENT_FORMAT`` (lms/formats: where the sign goes, with or
    without a no-break space), "{number}%" for a language without one."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    for module in formats.get_format_modules(lang=language):
        pattern = getattr(module, "PERCENT_FORMAT", None)
        if pattern:
            return pattern
    return "{number}%"
