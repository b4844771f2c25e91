"""The learner's CPD section of the home page: this CPD year's points against their target."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms import home


@home.register(order=40, role="learner")
def cpd_section(request):
    from assignments.cpd.selectors import year_summary
    from assignments.cpd.years import year_of

    summary = year_summary(person=request.user, year=year_of(timezone.localdate()))
    return {"title": _("My CPD"), "template": "cpd/home_section.html", "context": {"summary": summary}}
