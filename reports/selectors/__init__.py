"""Reads for dashboards, reports and exports (a package: state, compliance, people, items)."""

from reports.selectors.compliance import (
    FORECAST_WINDOWS,
    STATE_COLUMN,
    STATE_ORDER,
    StateCounts,
    Summary,
    dashboard,
    drill_down,
    filter_courses,
    filter_departments,
    forecast,
    organisation,
    snapshot_counts,
    snapshot_summary,
    summarise,
    team_summary,
    weekly_trend,
    with_days,
)
from reports.selectors.items import item_analysis
from reports.selectors.people import learner_record
from reports.selectors.state import (
    COMPLIANT_STATES,
    STATES,
    ReportState,
    Scope,
    scoped_assignments,
    with_report_state,
)

__all__ = [
    "COMPLIANT_STATES",
    "FORECAST_WINDOWS",
    "STATES",
    "STATE_COLUMN",
    "STATE_ORDER",
    "ReportState",
    "Scope",
    "StateCounts",
    "Summary",
    "dashboard",
    "drill_down",
    "filter_courses",
    "filter_departments",
    "forecast",
    "item_analysis",
    "learner_record",
    "organisation",
    "scoped_assignments",
    "snapshot_counts",
    "snapshot_summary",
    "summarise",
    "team_summary",
    "weekly_trend",
    "with_days",
    "with_report_state",
]
