"""Dates, numbers and percentages in each interface language (issue 16): the format modules of
lms/formats and the project's own filters (``day``, ``score``, ``percent``) follow the active
language."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from lms.dates import day_text, moment_text
from lms.scores import percent_text, score_text

NBSP = "\u00a0"
DAY = dt.date(2026, 12, 9)
MOMENT = dt.datetime(2026, 12, 9, 13, 5, tzinfo=dt.UTC)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    "language,day,moment",
    [
        ("en-gb", "9 Dec 2026", "9 Dec 2026, 14:05 CET"),
        ("en", "Dec 9, 2026", "Dec 9, 2026, 2:05 PM CET"),
        ("fr", "9 décembre 2026", "9 décembre 2026 14:05 CET"),
        ("de", "9. Dezember 2026", "9. Dezember 2026 14:05 CET"),
        ("es", "9 de diciembre de 2026", "9 de diciembre de 2026 a las 14:05 CET"),
        ("ar", "9 ديسمبر، 2026", "9 ديسمبر، 2026، 2:05 م CET"),
    ],
)
def test_dates_follow_the_language_with_the_zone(language, day, moment):
    with translation.override(language), timezone.override(PARIS):
        assert day_text(DAY) == day
        assert moment_text(MOMENT) == moment
        rendered = Template("{% load lms_tags %}{{ d|day }}|{{ m|day }}").render(Context({"d": DAY, "m": MOMENT}))
    assert rendered == f"{day}|{moment}"


@pytest.mark.parametrize(
    "language,score,percent",
    [
        ("en-gb", "87.5", "87.5%"),
        ("en", "87.5", "87.5%"),
        ("fr", "87,5", f"87,5{NBSP}%"),
        ("de", "87,5", f"87,5{NBSP}%"),
        ("es", "87,5", f"87,5{NBSP}%"),
        ("ar", "87,5", "87,5%"),
    ],
)
def test_scores_and_percentages_follow_the_language(language, score, percent):
    with translation.override(language):
        assert score_text("87.50") == score
        assert percent_text("87.5") == percent
        rendered = Template("{% load lms_tags %}{{ v|score }}|{{ v|percent }}").render(Context({"v": 87.5}))
    assert rendered == f"{score}|{percent}"


@pytest.mark.parametrize("language", ["en-gb", "fr", "de", "es", "ar"])
def test_a_whole_percentage_has_no_decimal_mark_and_a_cut_one_is_never_rounded_up(language):
    with translation.override(language):
        assert percent_text(100).startswith("100")
        assert "," not in percent_text(100) and "." not in percent_text(100)
        assert score_text("79.999").replace(",", ".") == "79.99"
        assert percent_text(None) == ""
