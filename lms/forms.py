from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lms.models import Department, User, validate_timezone
from lms.services import check_department_parent, check_manager_chain

TIMEZONE_NAMES = sorted(zoneinfo.available_timezones())


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        # One message for an unknown user and a wrong password: nothing tells which emails exist.
        "invalid_login": _("That email address and password do not match an active account. Please try again."),
        "inactive": _("That email address and password do not match an active account. Please try again."),
    }


class UserForm(forms.ModelForm):
    timezone = forms.CharField(
        label=_("Time zone"),
        validators=[validate_timezone],
        initial="Europe/London",
        widget=forms.TextInput(attrs={"list": "timezone-names", "autocomplete": "off"}),
        help_text=_("An IANA name such as Europe/London or America/New_York."),
    )
    hire_date = forms.DateField(label=_("Hire date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = User
        fields = [
            "email",
            "first_name",
            "last_name",
            "employee_id",
            "manager",
            "department",
            "job_title",
            "hire_date",
            "timezone",
            "is_staff",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        managers = User.objects.filter(is_active=True).order_by("last_name", "first_name")
        if self.instance.pk:
            managers = managers.exclude(pk=self.instance.pk)
        self.fields["manager"].queryset = managers
        self.fields["manager"].label_from_instance = lambda u: f"{u.get_full_name()} <{u.email}>"
        self.fields["department"].queryset = Department.objects.order_by("name")

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "manager" in cleaned:
            try:
                check_manager_chain(user=self.instance, manager=cleaned.get("manager"))
            except ValidationError as error:
                self.add_error("manager", error.error_dict["manager"])
        return cleaned


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Department.objects.order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            try:
                check_department_parent(department=self.instance, parent=cleaned.get("parent"))
            except ValidationError as error:
                self.add_error("parent", error.error_dict["parent"])
        return cleaned
