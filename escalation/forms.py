from __future__ import annotations

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from escalation.models import EscalationPolicy, EscalationStep, ReviewSession
from escalation.services import POLICY_FIELDS, STEP_FIELDS
from lms.fields import MAX_FORMSET_ROWS, DateTimeField
from lms.models import User
from lms.widgets import PersonField


class ReminderDaysField(forms.CharField):
    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        days = []
        for part in value.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or int(part) > 365:
                raise forms.ValidationError(
                    _("“%(part)s” is not a number of days between 0 and 365."), params={"part": part}
                )
            days.append(int(part))
        return sorted(set(days), reverse=True)


class EscalationPolicyForm(forms.ModelForm):
    reminder_days = ReminderDaysField(
        label=_("Reminder days before the due date"),
        required=False,
        help_text=_("Comma-separated, for example 14, 7, 1. Each reminder is sent once."),
    )
    compliance_officer = PersonField(
        label=_("Compliance officer"), queryset=User.objects.filter(is_active=True), required=False
    )

    class Meta:
        model = EscalationPolicy
        fields = POLICY_FIELDS  # one list: what the form edits is what the audit trail records

    def __init__(self, *args, course_codes: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance.course_code:
            # The default policy stays the default.
            self.fields["course_code"].disabled = True
        elif course_codes is not None:
            self.fields["course_code"] = forms.ChoiceField(
                label=_("Course"),
                choices=[(code, code) for code in course_codes],
                help_text=_("A course-specific policy replaces the default for that course."),
            )

    def clean_course_code(self):
        code = self.cleaned_data.get("course_code") or ""
        # The field's message before the named constraint (escalation_policy_one_per_course).
        if EscalationPolicy.objects.filter(course_code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This course already has an escalation policy."))
        return code

    def clean(self):
        cleaned = super().clean()
        month, day = cleaned.get("clean_slate_month"), cleaned.get("clean_slate_day")
        if (month is None) != (day is None):
            self.add_error("clean_slate_day", _("Give both a month and a day for the annual clean slate, or neither."))
        elif month is not None:
            import datetime as dt

            try:
                dt.date(2025, month, day)
            except (ValueError, OverflowError):  # a month of 13, or one too large to be a number
                self.add_error("clean_slate_day", _("That is not a date in every year."))
        return cleaned


StepFormSet = inlineformset_factory(
    EscalationPolicy,
    EscalationStep,
    fields=STEP_FIELDS,
    extra=1,
    can_delete=True,
    max_num=MAX_FORMSET_ROWS,  # see lms.fields.MAX_FORMSET_ROWS
    absolute_max=MAX_FORMSET_ROWS,
)


class ReviewSessionForm(forms.ModelForm):
    starts_at = DateTimeField(label=_("Starts at"))
    ends_at = DateTimeField(label=_("Ends at"))
    trainer = PersonField(label=_("Trainer"), queryset=User.objects.filter(is_active=True), required=False)

    class Meta:
        model = ReviewSession
        fields = ["title", "course_code", "format", "starts_at", "ends_at", "location", "link", "capacity", "trainer"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_at") and cleaned.get("ends_at") and cleaned["ends_at"] <= cleaned["starts_at"]:
            self.add_error("ends_at", _("A session must end after it starts."))
        if not cleaned.get("location") and not cleaned.get("link"):
            self.add_error("location", _("Give a room or address, or a joining link."))
        return cleaned
