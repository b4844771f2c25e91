from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lms.models import Department, User
from lms.services import check_manager_chain


class AdminUserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "first_name",
            "last_name",
            "employee_id",
            "job_title",
            "hire_date",
            "manager",
            "department",
            "timezone",
            "locale",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
            "deactivated_at",
        )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            try:
                check_manager_chain(user=self.instance, manager=cleaned.get("manager"))
            except ValidationError as error:
                self.add_error("manager", error.error_dict["manager"])
        return cleaned


class AdminUserCreationForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    ordering = ("last_name", "first_name")
    list_display = ("email", "first_name", "last_name", "department", "manager", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "department")
    search_fields = ("email", "first_name", "last_name", "employee_id")
    autocomplete_fields = ("manager",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "employee_id", "job_title", "hire_date")}),
        (_("Organisation"), {"fields": ("manager", "department", "timezone", "locale")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined", "deactivated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name")}),)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "parent")
    search_fields = ("name",)
