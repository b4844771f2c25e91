"""The server-rendered charts (issue 13 item 20): no label past the viewBox, a phone layout, and
the text alternative kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from reports.charts import bar_chart, fit, line_chart, text_width

SVG = "{http://www.w3.org/2000/svg}"
LONG = "INFOSEC-101 · Information security essentials for every member of staff"


def svgs(markup: str) -> list[ET.Element]:
    root = ET.fromstring(f'<div xmlns:svg="http://www.w3.org/2000/svg">{markup}</div>')
    return list(root)


def extent(node: ET.Element) -> tuple[float, float]:
    """Where a text node starts and ends along x, for its anchor and its estimated width."""
    x, size = float(node.get("x")), float(node.get("font-size"))
    shown = "".join(t for t in node.itertext() if t not in {c.text for c in node.findall(f"{SVG}title")})
    width = text_width(shown, size)
    anchor = node.get("text-anchor", "start")
    start = x - width if anchor == "end" else x - width / 2 if anchor == "middle" else x
    return start, start + width


def shown_text(node: ET.Element) -> str:
    title = node.find(f"{SVG}title")
    return "".join(node.itertext())[len(title.text) :] if title is not None else "".join(node.itertext())


@pytest.mark.parametrize(
    "markup",
    [
        bar_chart([(LONG, 62.5), ("GDPR-101 · Data protection", 100.0), ("Overall", None)], title="By course"),
        line_chart([(f"2026-W{w:02d}", 40 + w % 30) for w in range(1, 53)], title="Trend"),
        line_chart([("2026-W48", 38.2)], title="Trend"),
    ],
)
def test_no_text_runs_past_the_viewbox_in_either_layout(markup):
    charts = svgs(markup)
    assert [c.get("class") for c in charts] == ["report-chart chart-wide", "report-chart chart-narrow"]
    for chart in charts:
        width = float(chart.get("viewBox").split()[2])
        for node in chart.iter(f"{SVG}text"):
            start, end = extent(node)
            assert 0 <= start and end <= width, (chart.get("class"), shown_text(node), start, end, width)


def test_a_long_label_keeps_its_start_and_its_full_text_in_a_title():
    wide, narrow = svgs(bar_chart([(LONG, 62.5)], title="By course"))
    for chart in (wide, narrow):
        label = next(n for n in chart.iter(f"{SVG}text") if "INFOSEC" in "".join(n.itertext()))
        assert shown_text(label).startswith("INFOSEC-101")  # cut at the end, never "NFOSEC"
        assert shown_text(label).endswith("…")
        assert label.find(f"{SVG}title").text == LONG
    # the phone layout has the whole width for the label, so it shows more of it
    shown = [
        len(shown_text(n)) for c in (wide, narrow) for n in c.iter(f"{SVG}text") if "INFOSEC" in "".join(n.itertext())
    ]
    assert shown[1] > shown[0]


def test_the_phone_layout_is_drawn_at_about_its_own_size():
    """At 390 px a 360-unit viewBox is drawn at ~1:1, so 13-unit labels stay ~13 px (the wide
    640-unit one would shrink 12-unit labels to ~6.6 px)."""
    _wide, narrow = svgs(bar_chart([("Sales", 80.0)], title="By course"))
    assert float(narrow.get("viewBox").split()[2]) <= 360
    assert min(float(n.get("font-size")) for n in narrow.iter(f"{SVG}text")) >= 12


def test_each_layout_keeps_the_text_alternative():
    for chart in svgs(bar_chart([(LONG, 62.5), ("Overall", None)], title="By course")):
        assert chart.get("role") == "img"
        assert chart.get("aria-label") == f"By course: {LONG}: 62.5%; Overall: —"
        assert chart.find(f"{SVG}title").text == "By course"


def test_fit_shortens_only_what_does_not_fit():
    assert fit("Sales", 100, 12) == "Sales"
    assert fit(LONG, 100, 12).endswith("…") and text_width(fit(LONG, 100, 12), 12) <= 100


@pytest.mark.parametrize(
    ("language", "value", "tick"),
    [("fr", "33,3\u00a0%", "50\u00a0%"), ("de", "33,3\u00a0%", "50\u00a0%"), ("en-gb", "33.3%", "50%")],
)
def test_values_and_axis_ticks_follow_the_languages_percent_format(language, value, tick):
    # A French or German reader writes "33,3 %" (a no-break space before the sign, lms/formats):
    # the bars' values did, the axes said "50%".
    from django.utils import translation

    with translation.override(language):
        bars = svgs(bar_chart([("Sales", 33.3)], title="By course"))
        lines = svgs(line_chart([("W1", 33.3), ("W2", 40.0)], title="Trend"))
    for chart in bars + lines:
        texts = [shown_text(node) for node in chart.iter(f"{SVG}text")]
        assert tick in texts
        assert [text for text in texts if text.endswith("%")] == [
            text for text in texts if text.endswith("%") and (text.endswith("\u00a0%") or language == "en-gb")
        ]
    for chart in bars:
        assert value in [shown_text(node) for node in chart.iter(f"{SVG}text")]


@pytest.mark.parametrize(("language", "shown"), [("fr", "2 (67\u00a0%)"), ("en-gb", "2 (67%)")])
def test_the_rating_chart_writes_its_shares_in_the_languages_percent_format(language, shown):
    from django.utils import translation

    from assignments.course_reviews.selectors import RatingFigures
    from reports.course_reviews import rating_chart

    with translation.override(language):
        charts = svgs(rating_chart(RatingFigures(count=3, counts={5: 1, 4: 2}), title="Ratings"))
    for chart in charts:
        assert shown in [shown_text(node) for node in chart.iter(f"{SVG}text")]
        assert shown in chart.get("aria-label")


def test_shares_of_a_whole_are_drawn_in_one_neutral_colour():
    """The forecast's share of lapses by department is neither good nor bad: no compliance red or
    green (an outside tester's finding), while compliance percentages keep them."""
    from reports.charts import BAD, GOOD, LINE

    def fills(markup):
        return {rect.get("fill") for chart in svgs(markup) for rect in chart.iter(f"{SVG}rect") if rect.get("fill")}

    shares = fills(bar_chart([("Sales", 70.0), ("Operations", 30.0)], title="Share", higher_is_better=None))
    compliance = fills(bar_chart([("Sales", 99.0), ("Operations", 30.0)], title="Compliant"))

    assert LINE in shares and not shares & {GOOD, BAD}
    assert {GOOD, BAD} <= compliance
