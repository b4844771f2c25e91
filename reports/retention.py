"""Retention in the reports (issue 17): the forgetting curve (booster answers right at each
spacing step, per course) as a panel of the team dashboard (``lms.team_panels``) and a section of
the organisation report, each with a table of the same figures and exports (CSV, XLSX, PDF) of
them. The figures are ``reports.selectors.retention``'s."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms import team_panels
from reports import charts
from reports.exports import FORMATS, ReportDocument, Table
from reports.selectors import Scope
from reports.selectors.retention import Curve, programmes, retention


def step_label(step: int) -> str:
    return _("Step %(step)d") % {"step": step}


def retention_chart(curves: list[Curve]):
    """One line per course over steps 1..n (the longest programme's), gaps where nobody answered."""
    width = max((len(curve.steps) for curve in curves), default=0)
    series = []
    for curve in curves:
        points = [(step_label(s.step), s.percent) for s in curve.steps]
        points += [(step_label(n), None) for n in range(len(points) + 1, width + 1)]
        series.append((curve.label, points))
    return charts.curve_chart(series, title=_("Booster answers right, by step after the course"))


def retention_figures(scope: Scope, *, known: dict | None = None) -> dict:
    """What a page shows: the curves per course and per question, and the chart (two queries, one
    when the programmes are ``known``)."""
    curves, questions = retention(scope, known=known)
    return {"curves": curves, "questions": questions, "chart": retention_chart(curves) if curves else ""}


@team_panels.register(key="retention", order=20)
def retention_panel(request, team: team_panels.Team) -> dict | None:
    """The team's forgetting curve on the team dashboard; nothing while no course has boosters
    (one query then; two otherwise)."""
    known = programmes()
    if not known:
        return None
    scope = Scope(
        manager_id=team.manager_id,
        subtree=team.whole_chain,
        department_ids=team.department_ids,
        course_code=team.course_code,
    )
    return {
        "title": gettext_lazy("Retention after the course"),
        "template": "reports/sections/retention.html",
        "context": {
            **retention_figures(scope, known=known),
            "whole_chain": team.whole_chain,
            "export_url": "reports_team_retention_export",
            "query": request.GET.urlencode(),
            "formats": FORMATS,
        },
    }


def _headers(first: list[str]) -> list[str]:
    return [*first, _("Step"), _("Days after completion"), _("Answered"), _("Right"), _("Right %")]


def _rows(curves: list[Curve], first) -> list[list]:
    return [
        [
            *first(curve),
            s.step,
            "" if s.day is None else s.day,
            s.answered,
            s.right,
            "" if s.percent is None else s.percent,
        ]
        for curve in curves
        for s in curve.steps
    ]


def retention_document(*, scope: Scope, day: dt.date, filters: list[tuple[str, str]], slug: str) -> ReportDocument:
    """The figures as a document: by course and step (the CSV), and by question and step."""
    figures = retention_figures(scope)
    curves, questions = figures["curves"], figures["questions"]
    by_course = Table(
        _("By course and step"),
        _headers([_("Course code"), _("Course")]),
        _rows(curves, lambda c: [c.key, c.label.removeprefix(f"{c.key} · ")]),
        percent_columns=(6,),
    )
    by_question = Table(
        _("By question and step"),
        _headers([_("Course code"), _("Question")]),
        _rows(questions, lambda c: [c.key, c.label]),
        percent_columns=(6,),
    )
    title = _("Booster answers right, by step after the course")
    return ReportDocument(
        title=_("Retention"),
        slug=slug,
        day=day,
        filters=filters,
        tables=[by_course, by_question],
        chart=figures["chart"],
        chart_title=title if curves else "",
        notes=[
            _(
                "Right % = boosters answered right / boosters answered, at each spacing step after the course "
                "(step 1 is the first booster). Boosters sent but not answered are not counted. People who have "
                "left are not counted."
            )
        ],
    )
