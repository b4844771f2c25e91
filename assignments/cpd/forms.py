from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assignments.cpd.evidence import evidence_read
from assignments.cpd.models import CpdTarget
from assignments.cpd.years import EARLIEST
from lms.fields import DateField
from lms.models import Department

AMOUNT_LIMIT = Decimal("1000")


def _amount(label, help_text=""):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_value=AMOUNT_LIMIT,
        max_digits=6,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.25", "min": "0", "inputmode": "decimal"}),
    )


class ExternalLearningForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    provider = forms.CharField(
        label=_("Provider"), max_length=200, help_text=_("Who ran it: a body, a college, a conference.")
    )
    completed_on = DateField(
        label=_("Date"), help_text=_("The day it took place (the last day, for a course over several days).")
    )
    hours = _amount(_("Hours"))
    points = _amount(_("CPD points"), _("Give the hours, the points, or both."))
    evidence = forms.FileField(
        label=_("Evidence (optional)"),
        required=False,
        help_text=_("A PDF or an image (PNG, JPEG or WebP), such as a certificate of attendance."),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/png,image/jpeg,image/webp"}),
    )

    def clean_completed_on(self):
        day = self.cleaned_data["completed_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        if day.year < EARLIEST:
            raise ValidationError(_("The date is too long ago."))
        return day

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        return evidence_read(upload) if upload else None

    def clean(self):
        cleaned = super().clean()
        if (
            "hours" in cleaned
            and "points" in cleaned
            and not ((cleaned["hours"] or 0) > 0 or (cleaned["points"] or 0) > 0)
        ):
            self.add_error("hours", _("Give the hours or the CPD points (or both)."))
        return cleaned


class DecisionForm(forms.Form):
    APPROVE = "approve"
    RETURN = "return"

    submission = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    decision = forms.ChoiceField(choices=[(APPROVE, _("Approve")), (RETURN, _("Return"))])
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        help_text=_("Needed to return it: say what to change."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.RETURN and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Say what the learner should change before it can be approved."))
        return cleaned


class CpdTargetForm(forms.ModelForm):
    class Meta:
        model = CpdTarget
        fields = ["job_title", "points"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["points"].min_value = Decimal("0.01")
        self.fields["points"].widget.attrs.update({"min": "0.01", "step": "0.25"})

    def _post_clean(self):
        # The service validates and saves (and records the change in the audit trail).
        pass


class BehindFilterForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("name"), required=False, empty_label=_("All")
    )
