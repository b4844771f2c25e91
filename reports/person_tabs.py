"""The person page's record tabs (``lms.person_page``), for everyone who may open the page (the
person, their managers up the chain, admins): the compliance record (every assignment with its
state and why, attempts, completions and certificates, as of any day), exemptions and the case
file. One template, ``reports/learner_record.html``, draws the open one."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lms import person_page
from reports import selectors
from reports.forms import AsOfForm


def _record(request, person, tab: str) -> dict:
    form = AsOfForm(request.GET or None)
    day, history = form.day() if form.is_bound and form.is_valid() else (timezone.localdate(), False)
    # Course titles in the reader's language (a French manager reads a French title where there is one).
    record = selectors.learner_record(person=person, day=day, history=history, language=get_language())
    return {
        "template": "reports/learner_record.html",
        "css": "css/reports.css",
        "context": {"form": form, "tab": tab, **record},
    }


@person_page.register(key="record", label=_("Compliance record"), order=30)
def record_tab(request, person) -> dict:
    return _record(request, person, "record")


@person_page.register(key="exemptions", label=_("Exemptions"), order=40)
def exemptions_tab(request, person) -> dict:
    return _record(request, person, "exemptions")


@person_page.register(key="case-file", label=_("Case file"), order=50)
def case_file_tab(request, person) -> dict:
    return _record(request, person, "case-file")
