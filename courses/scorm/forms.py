"""Forms of the SCORM import pages. They parse input; courses.scorm.services checks the package."""

from __future__ import annotations

from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from courses.forms.authoring import CourseForm, _CrispyMixin


def _package_field():
    return forms.FileField(
        label=_("SCORM package (.zip)"),
        help_text=_(
            "SCORM 1.2 or SCORM 2004 (2nd, 3rd or 4th edition), with imsmanifest.xml at the root of the zip, "
            "at most %(size)s."
        )
        % {"size": filesizeformat(settings.SCORM_MAX_ZIP_BYTES)},
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )


def _pass_mark_field():
    return forms.IntegerField(
        label=_("Pass mark (%)"),
        required=False,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        widget=forms.NumberInput(attrs={"min": 0, "max": 100}),
        help_text=_("Leave empty to use the package's mastery score (rounded up to a whole percent)."),
    )


class ScormCourseImportForm(CourseForm):
    """A package as a new Draft course: the course form's rules, with code, title and pass mark optional."""

    package = _package_field()

    FIELDSETS = (
        (_("Package"), ("package",)),
        (_("Basics"), ("code", "title", "description", "cpd_points")),
        *CourseForm.FIELDSETS[1:],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("code", "title", "description"):
            self.fields[name].required = False
        self.fields["code"].help_text = _("Leave empty to make one from the package's title.")
        self.fields["title"].help_text = _("Leave empty to use the package's title.")
        self.fields["description"].help_text = _("Leave empty for a sentence naming the package.")
        self.fields["pass_mark"] = _pass_mark_field()
        self.helper.layout = Layout(*[Fieldset(legend, *names) for legend, names in self.FIELDSETS])

    def service_kwargs(self) -> dict:
        rules = self.service_data()
        code = rules.pop("code", "") or None
        title = rules.pop("title", "") or None
        pass_mark = rules.pop("pass_mark", None)
        return {"code": code, "title": title, "pass_mark": pass_mark, "rules": rules}


class ScormModuleImportForm(_CrispyMixin, forms.Form):
    """A package as one module of an existing Draft course."""

    package = _package_field()
    title = forms.CharField(
        label=_("Module title"), max_length=200, required=False, help_text=_("Leave empty to use the package's title.")
    )
    grades_course = forms.BooleanField(
        label=_("The package is the course's final assessment"),
        required=False,
        help_text=_(
            "Its score and status pass or fail the course. Only for a course without a final assessment of its own."
        ),
    )
    pass_mark = _pass_mark_field()

    def __init__(self, *args, has_final: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_final = has_final
        self.fields["grades_course"].initial = not has_final
        self.fields["pass_mark"].help_text = _(
            "The course's pass mark when the package is its final assessment. Leave empty to use the package's "
            "mastery score (rounded up to a whole percent)."
        )
