"""Report filters. Each form is bound to GET, and offers only what the viewer may see."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.dates import day_text
from lms.fields import DateField
from lms.languages import language_choices
from lms.models import Department
from reports.selectors import STATES, ReportState


def _state_choices():
    return [("", _("Every state"))] + [(s, ReportState(s).label) for s in STATES]


class ReportFilterForm(forms.Form):
    course = forms.ChoiceField(label=_("Course"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)

    def __init__(self, *args, courses=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = [("", _("Every course"))] + [(c, f"{c} · {t}") for c, t in courses]
        self.fields["department"].choices = [("", _("Every department"))] + [(str(d.pk), d.name) for d in departments]
        self.fields["state"].choices = _state_choices()

    def department_ids(self) -> tuple[int, ...]:
        """The chosen department and the departments inside it."""
        from lms.selectors import department_subtree_ids

        value = self.value("department")
        if not value:
            return ()
        department = Department.objects.filter(pk=int(value)).first()
        return tuple(department_subtree_ids(department)) if department else ()

    def value(self, name: str) -> str:
        """A filter's value when it is valid; an invalid one (shown with its error) applies no filter."""
        if not self.is_bound:
            return ""
        self.is_valid()
        return self.cleaned_data.get(name) or ""

    def described(self) -> list[tuple[str, str]]:
        """The filters in words, for the exports' header."""
        described = []
        for name in ("course", "department", "state"):
            value = self.value(name)
            if value:
                described.append((str(self.fields[name].label), str(dict(self.fields[name].choices).get(value, value))))
        return described


class ForecastFilterForm(ReportFilterForm):
    """The lapse forecast's filters: course and department. The forecast is about who lapses, so a
    state filter would have nothing to choose from (it was shown and ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["state"]

    def described(self) -> list[tuple[str, str]]:
        return [
            (str(self.fields[name].label), str(dict(self.fields[name].choices).get(value, value)))
            for name in ("course", "department")
            if (value := self.value(name))
        ]


class TeamFilterForm(ReportFilterForm):
    """``whole_chain``: where a manager lands with no ``scope`` asked for. Someone who manages
    managers lands on everyone below them (their direct reports alone may learn nothing); a team
    leader on their direct reports."""

    DIRECT, ALL = "direct", "all"

    scope = forms.ChoiceField(
        label=_("People"),
        required=False,
        choices=[(DIRECT, _("My direct reports")), (ALL, _("Everyone below me"))],
    )

    def __init__(self, data=None, *args, whole_chain: bool = False, **kwargs):
        self.default_scope = self.ALL if whole_chain else self.DIRECT
        if data is not None and not data.get("scope"):
            data = data.copy()
            data["scope"] = self.default_scope
        super().__init__(data, *args, initial={"scope": self.default_scope}, **kwargs)

    def subtree(self) -> bool:
        if not self.is_bound:
            return self.default_scope == self.ALL
        return (self.value("scope") or self.default_scope) == self.ALL

    def described(self) -> list[tuple[str, str]]:
        return [
            (str(_("People")), str(_("Everyone below me") if self.subtree() else _("My direct reports")))
        ] + super().described()


def clean_as_of(value: dt.date | None) -> dt.date | None:
    """``as_of`` means the same on every report: today or a past day, read by lms.fields.DateField."""
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("Choose today or a past date."))
    return value


class OrganisationFilterForm(ReportFilterForm):
    as_of = DateField(
        label=_("As of"),
        required=False,
        help_text=_("Leave empty for today; a past date rebuilds the report from the history."),
    )

    def clean_as_of(self):
        return clean_as_of(self.cleaned_data.get("as_of"))

    def day(self) -> tuple[dt.date, bool]:
        value = self.value("as_of") or None
        today = timezone.localdate()
        if value and value < today:
            return value, True
        return today, False

    def described(self) -> list[tuple[str, str]]:
        day, history = self.day()
        extra = [(str(_("As of")), day_text(day))] if history else []
        return extra + super().described()


class AsOfForm(forms.Form):
    as_of = DateField(label=_("As of"), required=False)

    def clean_as_of(self):
        return clean_as_of(self.cleaned_data.get("as_of"))

    def day(self) -> tuple[dt.date, bool]:
        value = self.cleaned_data.get("as_of") if self.is_bound and self.is_valid() else None
        today = timezone.localdate()
        if value and value < today:
            return value, True
        return today, False


class ItemAnalysisForm(forms.Form):
    course = forms.ChoiceField(label=_("Course"), required=True)
    # Issue 16: the figures of the attempts taken in one language of the course texts, or all.
    language = forms.ChoiceField(label=_("Attempts taken in"), required=False)

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = [("", _("Choose a course"))] + [(c, f"{c} · {t}") for c, t in courses]
        self.fields["language"].choices = [("", _("Any language"))] + language_choices()
