from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment, AssignmentRule, Exemption, ImportJob
from assignments.selectors.lifecycle import assignable_courses, course_codes_in_use
from assignments.services.assign import DueMode, DueSpec
from courses.models import Course
from lms.fields import DateField, ModelMultipleChoiceField
from lms.models import Department, User
from lms.uploads import read_text_upload
from lms.widgets import PeopleField, PersonField


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Course) -> str:
        return f"{obj.code} · {obj.title}"


class DueFieldsMixin(forms.Form):
    due_mode = forms.ChoiceField(
        label=_("Due date"), choices=DueMode.choices, initial=DueMode.AFTER_ASSIGNMENT, widget=forms.RadioSelect
    )
    due_date = DateField(label=_("Fixed due date"), required=False)
    due_days = forms.IntegerField(
        label=_("Number of days"),
        required=False,
        min_value=0,
        max_value=3650,
        initial=30,
        help_text=_("Used for “N days after …” due dates."),
    )

    def clean(self):
        cleaned = super().clean()
        mode = cleaned.get("due_mode")
        if mode == DueMode.FIXED:
            if not cleaned.get("due_date"):
                self.add_error("due_date", _("Enter the due date."))
            elif cleaned["due_date"] < timezone.localdate():
                self.add_error("due_date", _("The due date cannot be in the past."))
        elif mode and cleaned.get("due_days") is None:
            self.add_error("due_days", _("Enter the number of days."))
        return cleaned

    def due_spec(self) -> DueSpec:
        return DueSpec(
            mode=self.cleaned_data["due_mode"],
            date=self.cleaned_data.get("due_date"),
            days=self.cleaned_data.get("due_days"),
        )


class AssignForm(DueFieldsMixin):
    TARGETS = [
        ("learners", _("Selected learners")),
        ("department", _("A department")),
        ("everyone", _("Everyone")),
    ]
    course = CourseChoiceField(label=_("Course"), queryset=Course.objects.none())
    target = forms.ChoiceField(label=_("Assign to"), choices=TARGETS, initial="learners", widget=forms.RadioSelect)
    learners = PeopleField(label=_("Learners"), queryset=User.objects.none(), required=False)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False)
    include_subdepartments = forms.BooleanField(label=_("Include its sub-departments"), required=False, initial=True)

    field_order = [
        "course",
        "target",
        "learners",
        "department",
        "include_subdepartments",
        "due_mode",
        "due_date",
        "due_days",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(pk__in=[c.pk for c in assignable_courses()]).order_by(
            "code"
        )
        self.fields["learners"].queryset = User.objects.filter(is_active=True)
        self.fields["department"].queryset = Department.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target")
        if target == "learners" and not cleaned.get("learners"):
            self.add_error("learners", _("Choose at least one learner."))
        if target == "department" and not cleaned.get("department"):
            self.add_error("department", _("Choose a department."))
        return cleaned


class ArchiveForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Assignment.ArchiveReason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BulkForm(ArchiveForm):
    ACTIONS = [("archive", _("Archive")), ("notify", _("Re-send the assignment notice"))]
    action = forms.ChoiceField(label=_("With the selected"), choices=ACTIONS)
    reason = forms.ChoiceField(label=_("Reason"), choices=Assignment.ArchiveReason.choices, required=False)
    ids = ModelMultipleChoiceField(
        queryset=Assignment.objects.all(),
        widget=forms.MultipleHiddenInput,
        # Never the submitted value itself (it may hold control characters, a NUL for one).
        error_messages={
            "required": _("Tick at least one assignment in the list, then choose Apply."),
            "invalid_pk_value": _("One of the ticked assignments is not valid: reload the list and tick them again."),
            "invalid_choice": _("One of the ticked assignments no longer exists: reload the list and tick them again."),
        },
    )

    def clean(self):
        cleaned = super().clean()
        # Only what the person can act on: with nothing ticked, that is the one message.
        if cleaned.get("action") == "archive" and not cleaned.get("reason") and "ids" not in self.errors:
            self.add_error("reason", _("Choose a reason for archiving."))
        return cleaned


class ReassignForm(DueFieldsMixin):
    reason = forms.ChoiceField(
        label=_("Reason for archiving the current assignment"),
        choices=Assignment.ArchiveReason.choices,
        initial=Assignment.ArchiveReason.RETRAINING,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, archiving: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not archiving:
            # An assignment already archived is not archived again: nothing to give a reason for.
            del self.fields["reason"]
            del self.fields["note"]


class CleanSlateForm(forms.Form):
    course_code = forms.ChoiceField(label=_("Course"))
    reason = forms.ChoiceField(
        label=_("Reason"), choices=Assignment.ArchiveReason.choices, initial=Assignment.ArchiveReason.CLEAN_SLATE
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    confirm = forms.BooleanField(
        label=_("I understand every active assignment of this course will be archived (completions are kept)."),
        required=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course_code"].choices = [(code, code) for code in course_codes_in_use()]


class NotifyCourseForm(forms.Form):
    course_code = forms.ChoiceField(label=_("Course"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course_code"].choices = [(code, code) for code in course_codes_in_use()]


class RuleForm(forms.ModelForm):
    course = CourseChoiceField(label=_("Course"), queryset=Course.objects.none())

    class Meta:
        model = AssignmentRule
        fields = [
            "name",
            "course",
            "department",
            "include_subdepartments",
            "job_title",
            "due_mode",
            "due_days",
            "starts_on",
        ]
        field_classes = {"starts_on": DateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(pk__in=[c.pk for c in assignable_courses()]).order_by(
            "code"
        )
        self.fields["department"].queryset = Department.objects.order_by("name")
        if not self.instance.pk:
            self.fields["starts_on"].initial = timezone.localdate()


class ExemptionForm(forms.ModelForm):
    learner = PersonField(label=_("Learner"), queryset=User.objects.none())
    course_code = forms.ChoiceField(label=_("Course"), required=False)

    class Meta:
        model = Exemption
        fields = ["learner", "course_code", "reason", "starts_on", "ends_on", "note"]
        field_classes = {"starts_on": DateField, "ends_on": DateField}
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = User.objects.filter(is_active=True)
        codes = sorted({c.code for c in assignable_courses()} | set(course_codes_in_use()))
        self.fields["course_code"].choices = [("", _("All courses")), *[(code, code) for code in codes]]
        self.fields["starts_on"].initial = timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            # The field's message before the named constraint (exemption_ends_after_start).
            self.add_error("ends_on", _("An exemption cannot end before it starts."))
        return cleaned

    def _post_clean(self):
        # The service validates and saves (approver, overlaps); no model instance is built here.
        pass


class EndExemptionForm(forms.Form):
    ended_on = DateField(label=_("Back on (leave empty for today)"), required=False)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file contains"), choices=ImportJob.Kind.choices, widget=forms.RadioSelect)
    file = forms.FileField(label=_("CSV file"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Size limit, and a "CSV" that is really a ZIP (an .xlsx), a PDF or binary is refused here.
        read_text_upload(upload, expected="CSV")
        return upload
