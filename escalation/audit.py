"""How escalation's records read in the audit trail (``lms.audit_display``): where a policy and
an assignment's history are shown, and the overdue ladder as one line per step."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from escalation.models import EscalationStep
from lms.audit_display import register_link, register_value

# Whom a step tells, in the editor's words (the step's field labels).
TOLD = ("notify_learner", "notify_manager", "notify_managers_manager", "notify_compliance_officer")


def ladder_lines(ladder) -> list[str]:
    """["Day 1 overdue: tell the learner and manager", "Day 14 overdue: ...; formal warning letter, new
    deadline 7 days later"] for the ladder as the audit stores it (a list of the steps' fields)."""
    if not isinstance(ladder, list):
        return []
    lines = []
    for step in ladder:
        if not isinstance(step, dict):
            continue
        told = [str(EscalationStep._meta.get_field(name).verbose_name) for name in TOLD if step.get(name)]
        line = _("Day %(day)s overdue: tell %(whom)s") % {
            "day": step.get("days_overdue", "?"),
            "whom": ", ".join(told) if told else _("nobody"),
        }
        if step.get("warning_letter"):
            days = step.get("new_deadline_days") or 0
            line += "; " + ngettext(
                "formal warning letter, new deadline %(days)d day later",
                "formal warning letter, new deadline %(days)d days later",
                days,
            ) % {"days": days}
        lines.append(line)
    return lines


def register() -> None:
    register_link("escalation.escalationpolicy", "escalation:policy_edit")
    # An assignment's whole history (its case file) is the page an auditor follows it to.
    register_link("assignments.assignment", "escalation:case_file")
    register_value("escalation.escalationpolicy", "ladder", title=gettext_lazy("Overdue ladder"), lines=ladder_lines)
