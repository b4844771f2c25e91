from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assignments.boosters.services import ChoiceInput, parse_schedule

CHOICE_ROWS = 4


class ProgrammeForm(forms.Form):
    schedule = forms.CharField(
        label=_("Spacing schedule (days after completion)"),
        max_length=100,
        help_text=_("Days after the learner's completion, increasing, separated by commas: for example 2, 7, 21, 60."),
    )
    retention_threshold = forms.IntegerField(
        label=_("Retention threshold (%)"),
        min_value=0,
        max_value=100,
        help_text=_("A learner who answers fewer than this share right can be offered a refresher."),
    )
    is_active = forms.BooleanField(
        label=_("Active: send the questions"),
        required=False,
        help_text=_("Learners who complete the course get the questions on the schedule's days."),
    )

    def clean_schedule(self):
        return parse_schedule(self.cleaned_data["schedule"])


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    feedback = forms.CharField(
        label=_("Feedback"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    good_application = forms.CharField(
        label=_("What good application looks like"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
    )
    resource_title = forms.CharField(label=_("Resource title"), required=False, max_length=200)
    resource_url = forms.URLField(label=_("Resource link"), required=False, assume_scheme="https")
    correct = forms.TypedChoiceField(
        label=_("Right answer"),
        coerce=int,
        choices=[(i, _("Answer %(n)d") % {"n": i}) for i in range(1, CHOICE_ROWS + 1)],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, CHOICE_ROWS + 1):
            self.fields[f"choice_{i}"] = forms.CharField(
                label=_("Answer %(n)d") % {"n": i}, required=i <= 2, max_length=500
            )
            self.fields[f"choice_{i}_feedback"] = forms.CharField(
                label=_("Feedback for answer %(n)d") % {"n": i}, required=False, max_length=2000
            )

    def clean(self):
        data = super().clean()
        right = data.get("correct")
        if right and not (data.get(f"choice_{right}") or "").strip():
            raise ValidationError({"correct": _("The right answer must be one you have written.")})
        return data

    def choice_inputs(self) -> list[ChoiceInput]:
        data = self.cleaned_data
        return [
            ChoiceInput(
                text=data.get(f"choice_{i}") or "",
                is_correct=data["correct"] == i,
                feedback=data.get(f"choice_{i}_feedback") or "",
            )
            for i in range(1, CHOICE_ROWS + 1)
        ]
