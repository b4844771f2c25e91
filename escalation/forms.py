from __future__ import annotations

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from assignments.models import Assignment
from assignments.selectors.lifecycle import assignable_courses
from courses.models import Course
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


NO_OFFICER_TO_TELL = _(
    "This policy has no compliance officer to tell: choose one in the “Compliance officer” field above, or "
    "untick this box."
)


class BaseStepFormSet(BaseInlineFormSet):
    """The ladder. Its rules are told on the rows that break them: two steps on one day get a
    message on each one's day (not Django's formset-wide "Please correct the duplicate data"),
    and a step that tells the compliance officer is refused while the policy names none.

    ``policy_form`` is the policy form posted with the ladder: its compliance officer is the one
    the steps would tell. Without it, the saved policy's officer counts."""

    def __init__(self, *args, policy_form: EscalationPolicyForm | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy_form = policy_form
        # A saved policy already in that state (made before the rule, or its officer since
        # removed) says so when its page opens, on the same rows, not first on a save.
        self.officer_warned = []
        if not self.is_bound and self.instance.pk and self.instance.compliance_officer_id is None:
            for form in self.forms:
                form.officer_warning = None
                if form.instance.pk and form.instance.notify_compliance_officer:
                    form.officer_warning = NO_OFFICER_TO_TELL
                    self.officer_warned.append(form.instance.days_overdue)

    @property
    def officer_warning(self) -> str:
        """The page-top warning for a saved ladder that tells a compliance officer the policy does
        not name; empty when there is none."""
        if not self.officer_warned:
            return ""
        days = [str(day) for day in self.officer_warned]
        return ngettext(
            "The step at day %(days)s tells the compliance officer, but this policy names none: choose one "
            "in the “Compliance officer” field above, or untick the box on that step, before saving.",
            "The steps at days %(days)s tell the compliance officer, but this policy names none: choose one "
            "in the “Compliance officer” field above, or untick the box on those steps, before saving.",
            len(days),
        ) % {"days": _(" and ").join([", ".join(days[:-1]), days[-1]]) if len(days) > 1 else days[0]}

    def _policy_has_officer(self) -> bool | None:
        """Whether the policy names a compliance officer; None when the policy form's own field
        is in error (it says so itself)."""
        if self.policy_form is None:
            return self.instance.compliance_officer_id is not None
        self.policy_form.is_valid()  # cleaned once, however often asked
        if "compliance_officer" not in self.policy_form.cleaned_data:
            return None
        return self.policy_form.cleaned_data["compliance_officer"] is not None

    def clean(self):
        # A row posted as a saved step (an id among the first INITIAL_FORMS rows) that is not a
        # step of this policy (a made-up or stale id, or any id on a new policy) would be dropped
        # by the save without a word: refused instead.
        unknown = [
            str(row)
            for row, form in enumerate(self.forms[: self.initial_form_count()], start=1)
            if form.instance._state.adding and not self._should_delete_form(form)
        ]
        if unknown:
            raise forms.ValidationError(
                ngettext(
                    "Row %(rows)s names a step this policy does not have (the page may be out of date): "
                    "nothing was saved. Reload the page and enter the step again.",
                    "Rows %(rows)s name steps this policy does not have (the page may be out of date): "
                    "nothing was saved. Reload the page and enter the steps again.",
                    len(unknown),
                )
                % {"rows": ", ".join(unknown)},
                code="unknown_step",
            )
        kept = [
            (row, form)
            for row, form in enumerate(self.forms, start=1)
            if form.cleaned_data and not self._should_delete_form(form)
        ]
        by_day: dict[int, list[tuple[int, forms.Form]]] = {}
        for row, form in kept:
            if form.cleaned_data.get("days_overdue") is not None:
                by_day.setdefault(form.cleaned_data["days_overdue"], []).append((row, form))
        for day, same in by_day.items():
            if len(same) < 2:
                continue
            rows = [str(row) for row, _form in same]
            message = ngettext(
                "%(count)d steps are %(days)d day overdue (rows %(rows)s): each step needs its own day.",
                "%(count)d steps are %(days)d days overdue (rows %(rows)s): each step needs its own day.",
                day,
            ) % {"count": len(same), "days": day, "rows": _(" and ").join([", ".join(rows[:-1]), rows[-1]])}
            for _row, form in same:
                form.add_error("days_overdue", message)
        if self._policy_has_officer() is False:
            for _row, form in kept:
                if form.cleaned_data.get("notify_compliance_officer"):
                    form.add_error("notify_compliance_officer", NO_OFFICER_TO_TELL)
        super().clean()


StepFormSet = inlineformset_factory(
    EscalationPolicy,
    EscalationStep,
    formset=BaseStepFormSet,
    fields=STEP_FIELDS,
    extra=1,
    can_delete=True,
    max_num=MAX_FORMSET_ROWS,  # see lms.fields.MAX_FORMSET_ROWS
    absolute_max=MAX_FORMSET_ROWS,
)


def _course_choices(*, keep: str = "") -> list[tuple[str, str]]:
    """Published courses, newest version's title, by code; ``keep`` stays a choice (a session
    saved for a course that has since been retired keeps its course when edited)."""
    titles = {course.code: course.title for course in assignable_courses()}
    if keep and keep not in titles:
        titles[keep] = Course.objects.filter(code=keep).order_by("-version").values_list("title", flat=True).first()
    return [(code, f"{code} · {title}" if title else code) for code, title in sorted(titles.items())]


class ReviewSessionForm(forms.ModelForm):
    course_code = forms.ChoiceField(
        label=_("Course"),
        required=False,
        help_text=_("Learners who ran out of attempts on this course are booked here; “Any course” takes all."),
    )
    starts_at = DateTimeField(label=_("Starts at"))
    ends_at = DateTimeField(label=_("Ends at"))
    trainer = PersonField(label=_("Trainer"), queryset=User.objects.filter(is_active=True), required=False)

    class Meta:
        model = ReviewSession
        fields = ["title", "course_code", "format", "starts_at", "ends_at", "location", "link", "capacity", "trainer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course_code"].choices = [
            ("", _("Any course")),
            *_course_choices(keep=self.instance.course_code if self.instance.pk else ""),
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_at") and cleaned.get("ends_at") and cleaned["ends_at"] <= cleaned["starts_at"]:
            self.add_error("ends_at", _("A session must end after it starts."))
        if not cleaned.get("location") and not cleaned.get("link"):
            self.add_error("location", _("Give a room or address, or a joining link."))
        return cleaned


class ReviewBookingForm(forms.Form):
    """Book a person into a session by hand: the booking is for their current assignment of the
    session's course (or, for an any-course session, of the course chosen here)."""

    learner = PersonField(label=_("Person"), queryset=User.objects.filter(is_active=True))
    course_code = forms.ChoiceField(label=_("Course"), required=False)

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.assignment: Assignment | None = None
        if session.course_code:
            del self.fields["course_code"]
        else:
            self.fields["course_code"].required = True
            self.fields["course_code"].choices = [("", _("Choose a course")), *_course_choices()]

    def clean(self):
        cleaned = super().clean()
        person = cleaned.get("learner")
        code = self.session.course_code or cleaned.get("course_code")
        if person is None or not code:
            return cleaned
        self.assignment = (
            Assignment.objects.filter(learner=person, course_code__iexact=code, archived_at=None)
            .select_related("course")
            .first()
        )
        if self.assignment is None:
            self.add_error(
                "learner",
                _("%(name)s has no current assignment for %(course)s: assign the course to them first.")
                % {"name": person.get_full_name(), "course": code},
            )
        return cleaned
