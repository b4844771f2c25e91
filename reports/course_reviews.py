"""Course reviews as reports (admins): the ratings of every reviewed course, and one course's
figures over all its versions and per version (count, average, distribution as a chart with the
same numbers in a table) with its approved comments; a comment naming a question links to item
analysis at that question. Reviews are written and moderated in assignments.course_reviews."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from assignments.course_reviews import selectors
from assignments.course_reviews.selectors import RatingFigures
from lms.permissions import admin_required
from lms.scores import percent_text
from reports.charts import GRID, LINE, _label, _svg, text_width


def rating_chart(figures: RatingFigures, *, title: str, width: int = 640, narrow_width: int = 360) -> SafeString:
    """Horizontal bars, one per rating from 5 down to 1, each as long as its share of the reviews
    and labelled with its count and share; drawn wide and narrow like reports.charts."""
    rows = [
        (ngettext("%(n)d star", "%(n)d stars", value) % {"n": value}, count, share)
        for value, count, share in figures.distribution
    ]
    summary = "; ".join(f"{label}: {_value(count, share)}" for label, count, share in rows)
    return mark_safe(  # noqa: S308 - every text node and attribute is escaped in _label and _svg
        _wide(rows, title=title, summary=summary, width=width)
        + _narrow(rows, title=title, summary=summary, width=narrow_width)
    )


def _value(count: int, share: float) -> str:
    """ "2 (40%)"; "2 (40 %)" in French (the language's percent format, reports.charts)."""
    return f"{count} ({percent_text(f'{share:.0f}')})"


def _wide(rows, *, title: str, summary: str, width: int) -> str:
    bar_h, gap, label_w, top, size = 20, 6, 80, 6, 12
    value_room = text_width(_value(9999, 100), size) + 8
    plot_w = width - label_w - value_room
    height = top + len(rows) * (bar_h + gap) + 4
    body = [f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{height - 4}" stroke="{GRID}" stroke-width="1"/>']
    for index, (label, count, share) in enumerate(rows):
        y = top + index * (bar_h + gap)
        w = plot_w * share / 100
        body.append(_label(label_w - 8, y + bar_h * 0.7, label, size=size, anchor="end", room=label_w - 10))
        body.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{LINE}" rx="2"/>')
        body.append(_label(label_w + w + 6, y + bar_h * 0.7, _value(count, share), size=size))
    return _svg(width, height, title, summary, "wide", body)


def _narrow(rows, *, title: str, summary: str, width: int) -> str:
    size, bar_h, label_h, gap, top = 13, 14, 18, 8, 4
    value_room = text_width(_value(9999, 100), size) + 8
    plot_w = width - value_room
    row_h = label_h + bar_h + gap
    height = top + len(rows) * row_h
    body = []
    for index, (label, count, share) in enumerate(rows):
        y = top + index * row_h
        w = plot_w * share / 100
        body.append(_label(0, y + label_h - 5, label, size=size, room=width - 2))
        body.append(f'<rect x="0" y="{y + label_h}" width="{w:.1f}" height="{bar_h}" fill="{LINE}" rx="2"/>')
        body.append(_label(w + 6, y + label_h + bar_h - 2, _value(count, share), size=size))
    return _svg(width, height, title, summary, "narrow", body)


@admin_required
@require_GET
def course_reviews(request):
    return render(
        request,
        "reports/course_reviews.html",
        {"courses": selectors.ratings_by_course(), "counts": selectors.moderation_counts()},
    )


@admin_required
@require_GET
def course_review_detail(request, code: str):
    spelled = selectors.course_code_spelled(course_code=code)
    if spelled is None:
        raise Http404
    if spelled != code:  # abc-201 for ABC-201: the page lives at the catalogue's spelling
        return redirect("reports_course_review_detail", code=spelled)
    whole, versions = selectors.ratings_for_course(course_code=code)
    title = selectors.course_titles([code]).get(code, code)
    charts = [
        rating_chart(
            figures, title=_("Ratings of %(code)s version %(version)s") % {"code": code, "version": figures.version}
        )
        for figures in versions
    ]
    return render(
        request,
        "reports/course_review_detail.html",
        {
            "code": code,
            "title": title,
            "whole": whole,
            "whole_chart": rating_chart(whole, title=_("Ratings of %(code)s, all versions") % {"code": code}),
            "versions": list(zip(versions, charts, strict=True)),
            "comments": selectors.approved_comments(course_code=code),
        },
    )


# Mounted at /reports/course-reviews/ (lms/urls.py).
urlpatterns = [
    path("", course_reviews, name="reports_course_reviews"),
    path("<str:code>/", course_review_detail, name="reports_course_review_detail"),
]
