"""Each report as a ``ReportDocument`` for the exports (and the command): the same selectors the
pages use, turned into titled tables."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.dates import day_text
from reports import charts, selectors
from reports.exports import ReportDocument, Table
from reports.selectors import STATES, ReportState, Scope, StateCounts

EXPORT_FIELDS = (
    "learner__last_name",
    "learner__first_name",
    "learner__email",
    "learner__employee_id",
    "learner__department__name",
    "manager_email",
    "course_code",
    "course__title",
    "state",
    "due_date",
    "report_completed_at",
    "report_expires_on",
)


def export_headers() -> list[str]:
    return [
        _("Last name"),
        _("First name"),
        _("Email"),
        _("Employee id"),
        _("Department"),
        _("Manager"),
        _("Course code"),
        _("Course"),
        _("State"),
        _("Due date"),
        _("Completed on"),
        _("Expires on"),
    ]


def state_label(state: str) -> str:
    return str(ReportState(state).label) if state in STATES else state


class DetailRows:
    """Every row of a state-annotated assignment queryset as lists of cells. Iterating streams
    through a server-side cursor on PostgreSQL (``iterator``) so memory stays flat at a million
    rows; ``head(n)`` reads only the first ``n`` rows with a LIMIT (the PDF), leaving no cursor open.

    Filtered to one ``state``, the rows come in the order the page lists them (``STATE_ORDER``:
    overdue oldest first) and, for a state whose list has a figure column (``STATE_COLUMN``), end
    with that figure as of ``day`` (days late, days left), as on the page."""

    def __init__(self, qs: QuerySet, *, state: str = "", day: dt.date | None = None, chunk_size: int = 5000):
        by_name = ("learner__last_name", "learner__first_name", "learner_id", "course_code", "pk")
        self.qs = (
            qs.annotate(manager_email=F("learner__manager__email"))
            .order_by(*selectors.STATE_ORDER.get(state, by_name))
            .values_list(*EXPORT_FIELDS, "learner__timezone")
        )
        self.figure = selectors.STATE_COLUMN.get(state, ("", ""))[0] if day is not None else ""
        self.day = day
        self.chunk_size = chunk_size
        self.labels = {s: state_label(s) for s in STATES}
        self.state_at = EXPORT_FIELDS.index("state")
        self.completed_at = EXPORT_FIELDS.index("report_completed_at")
        self.due_at = EXPORT_FIELDS.index("due_date")
        self.expires_at = EXPORT_FIELDS.index("report_expires_on")
        self.zones: dict[str, dt.tzinfo] = {}

    def _row(self, row) -> list:
        *row, zone = row
        row[self.state_at] = self.labels.get(row[self.state_at], row[self.state_at])
        if row[self.completed_at] is not None:
            # The completion's date is the learner's local date (Completion.completed_on).
            row[self.completed_at] = timezone.localdate(row[self.completed_at], timezone=self._zone(zone))
        if self.figure == "days_overdue":
            row.append((self.day - row[self.due_at]).days if row[self.due_at] else "")
        elif self.figure == "days_left":
            expires = row[self.expires_at]
            row.append((expires - self.day).days if expires else "")
        return row

    def headers(self) -> list[str]:
        column = next((header for key, header in selectors.STATE_COLUMN.values() if key == self.figure), None)
        return [*export_headers(), *([str(column)] if column else [])]

    def _zone(self, name: str) -> dt.tzinfo:
        if name not in self.zones:
            try:
                self.zones[name] = zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                self.zones[name] = zoneinfo.ZoneInfo("UTC")
        return self.zones[name]

    def __iter__(self) -> Iterator[list]:
        for row in self.qs.iterator(chunk_size=self.chunk_size):
            yield self._row(row)

    def head(self, n: int) -> list[list]:
        return [self._row(row) for row in self.qs[:n]]


def state_headers(first: str) -> list[str]:
    headers = [first, _("Required"), _("Compliance %")]
    for state in STATES:
        headers += [state_label(state), f"{state_label(state)} %"]
    return headers


def state_percent_columns() -> tuple[int, ...]:
    """The columns of ``state_headers`` holding percentages: compliance, then each state's share."""
    return (2, *(4 + 2 * index for index in range(len(STATES))))


def state_row(group: StateCounts) -> list:
    row = [group.label, group.required, "" if group.percent is None else group.percent]
    for entry in group.cells():
        row += [entry["count"], "" if entry["percent"] is None else entry["percent"]]
    return row


def summary_tables(summary: selectors.Summary, *, departments: bool = True) -> list[Table]:
    total = StateCounts(label=_("Everyone"), counts=summary.total.counts)
    tables = [
        Table(
            _("By course"),
            state_headers(_("Course")),
            [state_row(g) for g in summary.by_course] + [state_row(total)],
            percent_columns=state_percent_columns(),
        )
    ]
    if departments:
        tables.append(
            Table(
                _("By department"),
                state_headers(_("Department")),
                [state_row(g) for g in summary.by_department] + [state_row(total)],
                percent_columns=state_percent_columns(),
            )
        )
    return tables


def course_chart(summary: selectors.Summary, *, title: str) -> str:
    items = [(g.label, g.percent) for g in summary.by_course] + [(_("Overall"), summary.total.percent)]
    return charts.bar_chart(items, title=title)


def compliance_document(
    *,
    title: str,
    slug: str,
    scope: Scope,
    day: dt.date,
    history: bool = False,
    filters: list[tuple[str, str]],
    departments: bool = True,
    state: str = "",
) -> ReportDocument:
    """The page's report as a document: the same summary, and as the list of people the rows the
    page lists under the same filters (``state``: only the people in that state, as on the page)."""
    qs = selectors.scoped_assignments(scope, day=day, history=history)
    summary = selectors.summarise(qs)
    people = DetailRows(qs.filter(state=state) if state else qs, state=state, day=day)
    notes = [
        _(
            "Compliance % = compliant (including in the renewal window) / (required - exempt). Exempt people are excused."
        )
    ]
    if history:
        notes.append(
            _(
                "Rebuilt from the assignment and completion history as it stood at the end of %(day)s "
                "(due dates as they are now)."
            )
            % {"day": day_text(day)}
        )
    return ReportDocument(
        title=title,
        slug=slug,
        day=day,
        filters=filters,
        tables=summary_tables(summary, departments=departments),
        detail=Table(
            _("People"),
            people.headers(),
            people,
            total=summary.total.counts.get(state, 0) if state else summary.total.required,
        ),
        chart=course_chart(summary, title=_("Compliance % by course")),
        chart_title=_("Compliance % by course"),
        notes=notes,
    )


def forecast_document(
    *, scope: Scope, day: dt.date, filters: list[tuple[str, str]], limit: int = 100000
) -> ReportDocument:
    data = selectors.forecast(scope=scope, day=day, limit=limit)
    windows = data["windows"]
    headers = (
        [_("Department")]
        + [_("Within %(n)d days") % {"n": n} for n in windows]
        + [
            _("Certificates expiring"),
            _("Assignments falling due"),
        ]
    )
    rows = [
        [d["label"]] + [d[f"d{n}"] for n in windows] + [d["expiring"], d["falling_due"]] for d in data["departments"]
    ]
    totals = data["totals"]
    rows.append([_("Everyone")] + [totals[f"d{n}"] for n in windows] + [totals["expiring"], totals["falling_due"]])
    people = [
        [
            p["learner__last_name"],
            p["learner__first_name"],
            p["learner__email"],
            p["learner__department__name"],
            p["course_code"],
            p["course__title"],
            p["lapses_on"],
            p["days_left"],
            _("Certificate expires") if p["reason"] == "expiry" else _("Falls due"),
        ]
        for p in data["people"]
    ]
    people_headers = [
        _("Last name"),
        _("First name"),
        _("Email"),
        _("Department"),
        _("Course code"),
        _("Course"),
        _("Last compliant day"),
        _("Days left"),
        _("Why"),
    ]
    chart = charts.bar_chart(
        [
            (d["label"], None if not totals["d90"] else round(100 * d["d90"] / totals["d90"], 1))
            for d in data["departments"][:15]
        ],
        title=_("Share of the 90-day lapses by department"),
        # A department's share of the lapses is not good or bad in itself (the largest department
        # has the largest share): one colour, not the compliance thresholds' red and green.
        higher_is_better=None,
    )
    return ReportDocument(
        title=_("Lapse forecast"),
        slug="lapse-forecast",
        day=day,
        filters=filters,
        tables=[Table(_("By department"), headers, rows)],
        detail=Table(_("People"), people_headers, people, total=totals["d90"]),
        chart=chart,
        chart_title=_("Share of the 90-day lapses by department"),
        notes=[
            _("Who becomes non-compliant within 30, 60 and 90 days if nothing happens. Exempt people are left out.")
        ],
    )


def item_rows(items: list) -> list[list]:
    rows = []
    for item in items:
        q = item.question
        rows.append(
            [
                f"v{q.quiz.course.version} {q.quiz.get_kind_display()}",
                q.order,
                q.text,
                item.responses,
                "" if item.wrong_share is None else round(100 * item.wrong_share, 1),
                item.top_wrong_choice,
                item.top_wrong_count,
                "" if item.discrimination is None else round(item.discrimination, 2),
                " ".join(item.flag_texts),
                item.booster_answered,
                "" if item.booster_wrong_percent is None else item.booster_wrong_percent,
            ]
        )
    return rows


def item_headers() -> list[str]:
    return [
        _("Quiz"),
        _("No."),
        _("Question"),
        _("First-attempt answers"),
        _("Wrong on first attempt %"),
        _("Most chosen wrong answer"),
        _("Times chosen"),
        _("Discrimination"),
        _("Flags"),
        _("Booster answers"),
        _("Wrong in boosters %"),
    ]


def booster_item_table(boosters: list) -> Table:
    """The course's booster questions, most often wrong first (every step, everyone's answers)."""
    return Table(
        _("Wrong in boosters"),
        [_("Booster question"), _("Copied from quiz question"), _("Answered"), _("Wrong"), _("Wrong %")],
        [
            [
                b.text,
                _("yes") if b.source_question_id else _("no"),
                b.answered,
                b.wrong,
                "" if b.wrong_percent is None else b.wrong_percent,
            ]
            for b in boosters
        ],
        percent_columns=(4,),
    )


def item_document(*, course_code: str, day: dt.date, language: str | None = None) -> ReportDocument:
    from reports.selectors.retention import booster_items

    boosters = booster_items(course_code=course_code)
    items = selectors.item_analysis(course_code=course_code, boosters=boosters, language=language)
    chart = charts.bar_chart(
        [
            (f"Q{i.question.order} {i.question.text}", None if i.wrong_share is None else round(100 * i.wrong_share, 1))
            for i in items
        ],
        title=_("Wrong on first attempt %, by question"),
        higher_is_better=False,
    )
    return ReportDocument(
        title=_("Item analysis"),
        slug=f"item-analysis-{course_code}",
        day=day,
        filters=[(_("Course"), course_code)],
        tables=[
            Table(_("Questions"), item_headers(), item_rows(items), percent_columns=(4, 10)),
            *([booster_item_table(boosters)] if boosters else []),
        ],
        chart=chart,
        chart_title=_("Wrong on first attempt %, by question"),
        notes=[
            _(
                "From first attempts. Discrimination = share right among passing attempts minus share right "
                "among failing attempts."
            ),
            _(
                "Wrong in boosters % = booster answers that were wrong / booster answers, at every step after "
                "the course, for the booster questions copied from the quiz question."
            ),
        ],
    )
