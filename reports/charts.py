"""Server-rendered SVG charts: no JavaScript, no CDN, nothing inline that the CSP forbids
(presentation attributes only). Each chart carries role="img", a <title> and an aria-label; the
page shows the same numbers in a table next to it."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

GOOD = "#198754"
WARN = "#fd7e14"
BAD = "#dc3545"
GRID = "#ced4da"
TEXT = "#212529"
LINE = "#0d6efd"


def _colour(percent: float | None, *, higher_is_better: bool = True) -> str:
    if percent is None:
        return GRID
    if not higher_is_better:
        percent = 100 - percent
    if percent >= 95:
        return GOOD
    if percent >= 80:
        return WARN
    return BAD


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def bar_chart(
    items: list[tuple[str, float | None]], *, title: str, width: int = 640, higher_is_better: bool = True
) -> SafeString:
    """Horizontal bars of percentages (0..100), one per (label, percent); green is good."""
    bar_h, gap, label_w, top = 22, 8, 200, 8
    height = top + len(items) * (bar_h + gap) + 24
    plot_w = width - label_w - 60
    summary = "; ".join(f"{label}: {'—' if p is None else f'{p:g}%'}" for label, p in items)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}: {escape(summary)}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 50, 80, 100):
        x = label_w + plot_w * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 20}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" fill="{TEXT}">{tick}%</text>'
        )
    for index, (label, percent) in enumerate(items):
        y = top + index * (bar_h + gap)
        w = plot_w * (percent or 0) / 100
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" font-size="12" text-anchor="end" fill="{TEXT}">'
            f"{escape(_truncate(label, 30))}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{_colour(percent, higher_is_better=higher_is_better)}" rx="2"/>'
        )
        shown = "—" if percent is None else f"{percent:g}%"
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="12" fill="{TEXT}">{shown}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node and attribute above is escaped


def line_chart(
    points: list[tuple[str, float | None]], *, title: str, width: int = 640, height: int = 220
) -> SafeString:
    """A line of percentages (0..100) over labelled points (weeks), gaps where a value is missing."""
    left, right, top, bottom = 44, 12, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(points)
    known = [(i, p) for i, (_label, p) in enumerate(points) if p is not None]
    summary = (
        _("no snapshots yet")
        if not known
        else f"{points[known[0][0]][0]}: {known[0][1]:g}% … {points[known[-1][0]][0]}: {known[-1][1]:g}%"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}: {escape(summary)}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{TEXT}">{tick}%</text>'
        )

    def xy(i: int, p: float) -> tuple[float, float]:
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        return x, top + plot_h * (1 - p / 100)

    segment: list[str] = []
    for i, (_label, p) in enumerate(points):
        if p is None:
            if len(segment) > 1:
                parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
            segment = []
            continue
        x, y = xy(i, p)
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{LINE}"/>')
    if len(segment) > 1:
        parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    if n:
        step = max(1, n // 6)
        for i in range(0, n, step):
            x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" font-size="10" text-anchor="middle" fill="{TEXT}">'
                f"{escape(points[i][0])}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node and attribute above is escaped
