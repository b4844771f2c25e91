"""The person page's "CPD" tab (``lms.person_page``), for everyone who may open the page (the
person, their managers up the chain, admins): the CPD record of a year, with its transcript."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lms import person_page


@person_page.register(key="cpd", label=_("CPD"), order=35)
def cpd_tab(request, person) -> dict:
    from assignments.cpd.views import record_context

    return {"template": "cpd/_record.html", "context": record_context(request, person)}
