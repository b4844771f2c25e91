"""Server-rendered SVG charts: no JavaScript, no CDN, nothing inline that the CSP forbids
(presentation attributes only). Each chart carries role="img", a <title> and an aria-label; the
page shows the same numbers in a table next to it.

Every chart is drawn twice: a wide layout (labels beside the bars) and a narrow one for phones
(labels above the bars, a 360-unit viewBox that a 390 px screen shows at about its own size), and
the stylesheet shows one (``chart-wide`` / ``chart-narrow``, static/css/reports.css; the PDF shows
the wide one). No text is allowed past the viewBox: each label is measured (``text_width``, a
conservative estimate of a sans-serif font's advance widths) and shortened with an ellipsis to the
room it has, its full text in a <title> a pointer or screen reader can reach."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from lms.scores import percent_text

GOOD = "#198754"
WARN = "#fd7e14"
BAD = "#dc3545"
GRID = "#ced4da"
TEXT = "#212529"
LINE = "#0d6efd"


def _colour(percent: float | None, *, higher_is_better: bool | None = True) -> str:
    """Green, orange or red by the compliance thresholds (95 % and 80 %); one neutral colour where
    ``higher_is_better`` is None (a share of a whole, which is neither good nor bad)."""
    if percent is None:
        return GRID
    if higher_is_better is None:
        return LINE
    if not higher_is_better:
        percent = 100 - percent
    if percent >= 95:
        return GOOD
    if percent >= 80:
        return WARN
    return BAD


# Advance widths as a share of the font size, rounded up from Arial/Helvetica/DejaVu Sans so an
# estimate is never short: a label measured to fit does fit.
_NARROW_CHARS = set("iljtfrI.,:;'|!()[] ")
_WIDE_CHARS = set("mwMWOQGDHNU@%…—")


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is at font size ``size`` (never less than a browser draws it)."""
    total = 0.0
    for ch in str(text):
        if ch in _NARROW_CHARS:
            total += 0.36
        elif ch in _WIDE_CHARS:
            total += 0.95
        elif ch.isupper() or ch.isdigit():
            total += 0.72
        else:
            total += 0.6
    return total * size


def fit(text: str, room: float, size: float) -> str:
    """``text`` shortened with an ellipsis until it fits ``room`` units at ``size``."""
    text = str(text)
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _label(x: float, y: float, text: str, *, size: int, anchor: str = "start", room: float | None = None) -> str:
    """A text node fitted to ``room`` (its full text in a <title> when shortened)."""
    shown = text if room is None else fit(text, room, size)
    title = f"<title>{escape(text)}</title>" if shown != text else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{TEXT}">'
        f"{title}{escape(shown)}</text>"
    )


def _centred(x: float, text: str, size: int, width: float) -> float:
    """A centre for ``text`` near ``x`` that keeps it inside 0..width."""
    half = text_width(text, size) / 2
    return min(max(x, half + 1), width - half - 1)


def _svg(width: int, height: int, title: str, summary: str, layout: str, body: list[str]) -> str:
    return (
        # direction="ltr": the chart's geometry is drawn left to right whatever the page's direction
        # (on an Arabic page text-anchor="start" would otherwise anchor labels at their right end,
        # over the bars: outside eyes, issue 16); Arabic words inside still read right to left.
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart chart-{layout}" role="img" direction="ltr" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}: {escape(summary)}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _shown(percent: float | None) -> str:
    return "—" if percent is None else percent_text(percent)


def bar_chart(
    items: list[tuple[str, float | None]],
    *,
    title: str,
    width: int = 640,
    narrow_width: int = 360,
    higher_is_better: bool | None = True,
) -> SafeString:
    """Horizontal bars of percentages (0..100), one per (label, percent); green is good, or one
    neutral colour for every bar when ``higher_is_better`` is None (each bar a share of a whole)."""
    summary = "; ".join(f"{label}: {_shown(p)}" for label, p in items)
    return mark_safe(  # noqa: S308 - every text node and attribute is escaped in _label and _svg
        _bars_wide(items, title=title, summary=summary, width=width, higher_is_better=higher_is_better)
        + _bars_narrow(items, title=title, summary=summary, width=narrow_width, higher_is_better=higher_is_better)
    )


def _bars_wide(items, *, title: str, summary: str, width: int, higher_is_better: bool | None) -> str:
    bar_h, gap, label_w, top, size = 22, 8, 200, 8, 12
    value_room = text_width(percent_text(100), size) + 8
    plot_w = width - label_w - value_room
    height = top + len(items) * (bar_h + gap) + 24
    body = []
    for tick in (0, 50, 80, 100):
        x = label_w + plot_w * tick / 100
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 20}" stroke="{GRID}" stroke-width="1"/>')
        body.append(
            _label(_centred(x, percent_text(tick), 11, width), height - 6, percent_text(tick), size=11, anchor="middle")
        )
    for index, (label, percent) in enumerate(items):
        y = top + index * (bar_h + gap)
        w = plot_w * (percent or 0) / 100
        body.append(_label(label_w - 8, y + bar_h * 0.7, label, size=size, anchor="end", room=label_w - 10))
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{_colour(percent, higher_is_better=higher_is_better)}" rx="2"/>'
        )
        body.append(_label(label_w + w + 6, y + bar_h * 0.7, _shown(percent), size=size))
    return _svg(width, height, title, summary, "wide", body)


def _bars_narrow(items, *, title: str, summary: str, width: int, higher_is_better: bool | None) -> str:
    """Each label on a line of its own above its bar, the whole width for both."""
    size, bar_h, label_h, gap, top = 13, 16, 18, 10, 4
    value_room = text_width(percent_text(100), size) + 8
    plot_w = width - value_room
    row = label_h + bar_h + gap
    height = top + len(items) * row + 18
    body = []
    for tick in (0, 50, 80, 100):
        x = plot_w * tick / 100
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 16}" stroke="{GRID}" stroke-width="1"/>')
        body.append(
            _label(_centred(x, percent_text(tick), 12, width), height - 3, percent_text(tick), size=12, anchor="middle")
        )
    for index, (label, percent) in enumerate(items):
        y = top + index * row
        w = plot_w * (percent or 0) / 100
        body.append(_label(0, y + label_h - 5, label, size=size, room=width - 2))
        body.append(
            f'<rect x="0" y="{y + label_h}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{_colour(percent, higher_is_better=higher_is_better)}" rx="2"/>'
        )
        body.append(_label(w + 6, y + label_h + bar_h - 3, _shown(percent), size=size))
    return _svg(width, height, title, summary, "narrow", body)


def line_chart(
    points: list[tuple[str, float | None]],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
    narrow_width: int = 360,
) -> SafeString:
    """A line of percentages (0..100) over labelled points (weeks), gaps where a value is missing."""
    known = [(i, p) for i, (_label, p) in enumerate(points) if p is not None]
    summary = (
        _("no snapshots yet")
        if not known
        else f"{points[known[0][0]][0]}: {_shown(known[0][1])} … {points[known[-1][0]][0]}: {_shown(known[-1][1])}"
    )
    return mark_safe(  # noqa: S308 - every text node and attribute is escaped in _label and _svg
        _line(points, title=title, summary=summary, width=width, height=height, size=10, labels=6, layout="wide")
        + _line(
            points, title=title, summary=summary, width=narrow_width, height=height, size=12, labels=3, layout="narrow"
        )
    )


def _line(points, *, title: str, summary: str, width: int, height: int, size: int, labels: int, layout: str) -> str:
    left, right, top, bottom = text_width(percent_text(100), size) + 8, 12, 10, size + 18
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(points)
    body = []
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_label(left - 6, y + 4, percent_text(tick), size=size, anchor="end"))

    def x_of(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    segment: list[str] = []

    def flush() -> None:
        if len(segment) > 1:
            body.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        segment.clear()

    for i, (_text, p) in enumerate(points):
        if p is None:
            flush()
            continue
        x, y = x_of(i), top + plot_h * (1 - p / 100)
        segment.append(f"{x:.1f},{y:.1f}")
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{LINE}"/>')
    flush()
    if n:
        step = max(1, -(-n // labels))
        room = plot_w / max(1, -(-n // step)) - 4
        for i in range(0, n, step):
            text = fit(points[i][0], room, size)
            body.append(
                _label(
                    _centred(x_of(i), text, size, width),
                    height - 8,
                    points[i][0],
                    size=size,
                    anchor="middle",
                    room=room,
                )
            )
    return _svg(width, height, title, summary, layout, body)


# Lines told apart by more than colour (Okabe-Ito colours, each with its own dash and marker), so
# a reader who cannot tell the colours apart, or prints in black and white, still can.
SERIES_STYLES = (
    ("#0072B2", "", "circle"),
    ("#D55E00", "6 3", "square"),
    ("#009E73", "2 3", "triangle"),
    ("#CC79A7", "8 3 2 3", "diamond"),
    ("#E69F00", "4 2", "circle"),
    ("#56B4E9", "1 2", "square"),
    ("#000000", "10 4", "triangle"),
)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}"/>'
    if shape == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y + 3:.1f} {x - 4:.1f},{y + 3:.1f}" fill="{colour}"/>'
        )
    if shape == "diamond":
        return f'<polygon points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} {x - 4:.1f},{y:.1f}" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'


def curve_chart(
    series: list[tuple[str, list[tuple[str, float | None]]]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    narrow_width: int = 360,
) -> SafeString:
    """Several lines of percentages (0..100) over the same labelled points (a forgetting curve:
    the share right at each spacing step, one line per course), with a legend under the plot.
    Every series has the same points in the same order; a point without a value is a gap."""
    parts = []
    for label, points in series:
        known = "; ".join(f"{point}: {_shown(p)}" for point, p in points if p is not None)
        parts.append(f"{label}: {known or _('no answers yet')}")
    summary = " | ".join(parts) or _("no answers yet")
    return mark_safe(  # noqa: S308 - every text node and attribute is escaped in _label and _svg
        _curves(series, title=title, summary=summary, width=width, height=height, size=10, layout="wide")
        + _curves(series, title=title, summary=summary, width=narrow_width, height=height, size=12, layout="narrow")
    )


def _curves(series, *, title: str, summary: str, width: int, height: int, size: int, layout: str) -> str:
    legend_row = size + 8
    legend_h = legend_row * len(series) + 4
    total_h = height + legend_h
    left, right, top, bottom = text_width(percent_text(100), size) + 8, 16, 10, size + 18
    plot_w, plot_h = width - left - right, height - top - bottom
    labels = [point for point, _p in series[0][1]] if series else []
    n = len(labels)
    body = []
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_label(left - 6, y + 4, percent_text(tick), size=size, anchor="end"))

    def x_of(i: int) -> float:
        # Each step in the middle of its own slot, so the first and last stay off the edges.
        return left + plot_w * (i + 0.5) / n

    room = plot_w / max(n, 1) - 4
    for i, text in enumerate(labels):
        shown = fit(text, room, size)
        body.append(
            _label(_centred(x_of(i), shown, size, width), height - 8, text, size=size, anchor="middle", room=room)
        )
    for index, (label, points) in enumerate(series):
        colour, dash, shape = SERIES_STYLES[index % len(SERIES_STYLES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[str] = []

        def flush(segment=segment, colour=colour, dash_attr=dash_attr) -> None:
            if len(segment) > 1:
                body.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>'
                )
            segment.clear()

        for i, (_point, p) in enumerate(points):
            if p is None:
                flush()
                continue
            x, y = x_of(i), top + plot_h * (1 - p / 100)
            segment.append(f"{x:.1f},{y:.1f}")
            body.append(_marker(shape, x, y, colour))
        flush()
        # The legend: a short sample of the line and its marker, then the label fitted to the room.
        ly = height + index * legend_row + legend_row / 2
        body.append(
            f'<line x1="{left:.1f}" y1="{ly:.1f}" x2="{left + 24:.1f}" y2="{ly:.1f}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        body.append(_marker(shape, left + 12, ly, colour))
        body.append(_label(left + 30, ly + size * 0.35, label, size=size, room=width - left - 32))
    return _svg(width, total_h, title, summary, layout, body)
