"""The manager's home-page section: the team's compliance in one line, with a link to the dashboard.

The line speaks of the people the dashboard opens on: a team leader's direct reports, or the whole
chain of someone who manages managers, with the dashboard's own figure for them."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms import home


@home.register(order=5, role="manager")
def team_compliance_section(request):
    from lms.selectors import team_size
    from reports.selectors import Scope, team_summary

    counts = team_size(request.user)
    whole_chain = bool(counts["managers"])
    summary, snapshot_at = team_summary(
        scope=Scope(manager_id=request.user.pk, subtree=whole_chain), day=timezone.localdate()
    )
    return {
        "title": _("Team compliance"),
        "template": "reports/sections/team_compliance.html",
        "context": {
            "total": summary.total,
            "whole_chain": whole_chain,
            "people": counts["below"] if whole_chain else counts["direct"],
            "snapshot_at": snapshot_at,
        },
    }
