"""The manager's home-page section: the team's compliance in one line, with a link to the dashboard."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms import home


@home.register(order=5, role="manager")
def team_compliance_section(request):
    from reports.selectors import Scope, scoped_assignments, summarise

    summary = summarise(
        scoped_assignments(Scope(manager_id=request.user.pk), day=timezone.localdate()), by_department=False
    )
    return {
        "title": _("Team compliance"),
        "template": "reports/sections/team_compliance.html",
        "context": {"total": summary.total},
    }
