from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from lms.fields import DateField
from lms.languages import language_choices
from lms.lockout import password_confirm
from lms.models import Department, User, validate_timezone
from lms.services import check_department_parent, check_manager_chain
from lms.widgets import PersonField

TIMEZONE_NAMES = sorted(zoneinfo.available_timezones())


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        # One message for an unknown user and a wrong password: nothing tells which emails exist.
        "invalid_login": _("That email address and password do not match an active account. Please try again."),
        "inactive": _("That email address and password do not match an active account. Please try again."),
        "use_sso": _(
            "People with an email address at %(domain)s sign in with single sign-on, not a password: use the "
            "single sign-on button below."
        ),
    }

    def clean(self):
        from lms.sso import password_login_allowed

        email = self.cleaned_data.get("username")
        if email and not password_login_allowed(email):
            # Refused before any password is checked: it counts as no failed login.
            raise ValidationError(
                self.error_messages["use_sso"], code="use_sso", params={"domain": email.rpartition("@")[2].lower()}
            )
        return super().clean()


class CheckedPasswordChangeForm(PasswordChangeForm):
    """The old password is checked through the login lockout (``lms.lockout.password_confirm``):
    wrong guesses count and are logged like failed logins, and none is checked while locked out."""

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        try:
            password_confirm(request=self.request, user=self.user, password=old_password, field="old_password")
        except ValidationError as error:
            raise ValidationError(error.error_dict["old_password"]) from None
        return old_password


class UserForm(forms.ModelForm):
    # A list to choose from (typing a letter jumps to it), never free text to get wrong.
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(name, name) for name in TIMEZONE_NAMES],
        validators=[validate_timezone],
        initial="Europe/London",
        error_messages={
            "invalid_choice": _("“%(value)s” is not a known time zone (use a name such as Europe/London).")
        },
        help_text=_("Where the person works: their deadlines and reminders follow its dates."),
    )
    hire_date = DateField(label=_("Hire date"), required=False)
    manager = PersonField(label=_("Manager"), queryset=User.objects.none(), required=False)
    # Each language named in its own language (lms.languages), so the person can find theirs.
    # Not required: a form sent without it (an older page, a script) keeps the person's language.
    locale = forms.ChoiceField(label=capfirst(_("language")), choices=language_choices, initial="en-gb", required=False)

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
            "locale",
            "is_staff",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        managers = User.objects.filter(is_active=True)
        if self.instance.pk:
            managers = managers.exclude(pk=self.instance.pk)
        self.fields["manager"].queryset = managers
        self.fields["department"].queryset = Department.objects.order_by("name")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        # The field's message before the case-insensitive constraint (user_email_unique_ci).
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("A user with this email address already exists."))
        return email

    def clean_locale(self):
        return self.cleaned_data.get("locale") or self.instance.locale or "en-gb"

    def clean_employee_id(self):
        employee_id = (self.cleaned_data.get("employee_id") or "").strip()
        if employee_id and User.objects.filter(employee_id=employee_id).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another user already has this employee id."))
        return employee_id or None

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

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        # The field's message before the case-insensitive constraint (department_name_unique_ci).
        if Department.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("A department with this name already exists."))
        return name

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            try:
                check_department_parent(department=self.instance, parent=cleaned.get("parent"))
            except ValidationError as error:
                self.add_error("parent", error.error_dict["parent"])
        return cleaned


class AuditFilterForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    actor = forms.EmailField(label=_("Actor (email)"), required=False)
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)

    def __init__(self, *args, object_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        from lms.audit_display import object_type_label

        kinds = sorted((object_type_label(name), name) for name in object_types)
        self.fields["object_type"].choices = [("", _("All"))] + [(name, label) for label, name in kinds]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "object_type" else "form-control"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> dict:
        """Keyword arguments for ``selectors.audit_entries`` (an invalid form filters nothing out
        but shows its errors; an unknown actor matches nobody)."""
        data = self.cleaned_data if self.is_valid() else {}
        filters = {
            "object_type": data.get("object_type", ""),
            "object_id": (data.get("object_id") or "").strip(),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
        if data.get("actor"):
            filters["actor_id"] = (
                User.objects.filter(email__iexact=data["actor"]).values_list("pk", flat=True).first() or -1
            )
        return filters


class LanguageForm(forms.Form):
    """The language switcher (every page) and the profile's language: one of settings.LANGUAGES,
    each named in its own language."""

    language = forms.ChoiceField(label=capfirst(_("language")), choices=language_choices)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
