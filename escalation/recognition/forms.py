from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from courses.models import Course
from escalation.recognition.images import clean_png
from escalation.recognition.models import Badge
from escalation.recognition.rules import boosters_installed
from escalation.recognition.services import BADGE_FIELDS, RULE_FIELDS, badge_rule_fixed


class BadgeForm(forms.ModelForm):
    course_code = forms.ChoiceField(label=_("Course"), required=False)
    image_upload = forms.FileField(
        label=_("Image (PNG)"),
        required=False,
        help_text=_("A PNG of at most 512 KB and 1024 × 1024 pixels. Without one, a badge is drawn from its name."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png"}),
    )
    remove_image = forms.BooleanField(label=_("Use the drawn image instead of the uploaded one"), required=False)

    class Meta:
        model = Badge
        fields = BADGE_FIELDS  # one list: what the form edits is what the audit trail records
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = Course.objects.order_by("code", "version").values_list("code", "title")
        titles = dict(codes)
        self.fields["course_code"].choices = [("", "—")] + [(c, f"{c} · {t}") for c, t in titles.items()]
        choices = list(Badge.Rule.choices)
        if not boosters_installed() and self.instance.criteria != Badge.Rule.BOOSTER_STREAK:
            choices = [c for c in choices if c[0] != Badge.Rule.BOOSTER_STREAK]
            del self.fields["streak"]
        self.fields["criteria"].choices = choices
        self.fields["name"].widget.attrs["maxlength"] = 120
        if not self.instance.image:
            del self.fields["remove_image"]
        if badge_rule_fixed(self.instance):
            # What holders earned stays what the badge says (services.RULE_FIELDS): shown, not editable.
            for name in RULE_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
            self.fields["criteria"].help_text = _(
                "Fixed once the badge has been awarded. To award for something else, create a new badge "
                "and untick “awarding” on this one."
            )

    def clean_image_upload(self):
        upload = self.cleaned_data.get("image_upload")
        return clean_png(upload) if upload else None

    def clean(self):
        cleaned = super().clean()
        criteria = cleaned.get("criteria")
        if criteria == Badge.Rule.COURSE_PASSED and not cleaned.get("course_code"):
            self.add_error("course_code", _("Choose the course this badge is for."))
        if criteria != Badge.Rule.COURSE_PASSED:
            cleaned["course_code"] = ""
            self.instance.course_code = ""
        if "streak" in self.fields:
            streak = cleaned.get("streak")
            if criteria == Badge.Rule.BOOSTER_STREAK and not (streak and 2 <= streak <= 100):
                self.add_error("streak", _("Enter a number from 2 to 100."))
            if criteria != Badge.Rule.BOOSTER_STREAK:
                cleaned["streak"] = None
        return cleaned

    def _post_clean(self):
        try:
            super()._post_clean()
        except ValidationError as error:  # pragma: no cover - ModelForm collects these itself
            self.add_error(None, error)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Shown to anyone who checks the badge."),
        error_messages={
            "required": _("Give a reason for revoking the badge."),
            "max_length": _(
                "Keep the reason for revoking to %(limit_value)d characters (it has %(show_value)d); nothing was changed."
            ),
        },
    )


class WellDoneForm(forms.Form):
    message = forms.CharField(
        label=_("Personal message (optional)"),
        max_length=200,
        required=False,
        help_text=_("One line, up to 200 characters."),
    )

    def clean_message(self):
        message = self.cleaned_data["message"]
        if "\n" in message or "\r" in message:
            raise ValidationError(_("Write the message on one line."))
        return message.strip()
