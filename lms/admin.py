"""Django admin for people. A person's manager and whether they are active are compliance
evidence (lms.audit.EVIDENCE_MODELS): the admin saves them through ``lms.services``, which
validate, record an audit row and tell the other apps (assignment rules, leavers' training)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.fields import DateField
from lms.models import Department, ScimToken, User
from lms.scim.tokens import scim_token_create, scim_token_revoke
from lms.services import (
    USER_EDITABLE_FIELDS,
    check_manager_chain,
    check_not_last_admin,
    user_create,
    user_deactivate,
    user_reactivate,
    user_update,
)

# Saved by the admin itself: who may use the admin, with no compliance meaning.
ADMIN_ACCESS_FIELDS = ("is_superuser",)


class ReadOnlyAdminMixin:
    """For evidence the admin must not write: listed and viewed, never added, changed or deleted
    (the services write it, each change with an audit row)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def adopt_saved(obj: models.Model, saved: models.Model) -> None:
    """Let the admin carry on with ``obj`` (related fields, its log entry, the redirect) after a
    service created ``saved`` from the form's values."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db


class AdminUserChangeForm(forms.ModelForm):
    password = ReadOnlyPasswordHashField(label=_("Password"))

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
        )
        field_classes = {"hire_date": DateField}  # the range every form gives a typed date

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            try:
                check_manager_chain(user=self.instance, manager=cleaned.get("manager"))
            except ValidationError as error:
                self.add_error("manager", error.error_dict["manager"])
            if self.instance.is_staff and not (cleaned.get("is_active", True) and cleaned.get("is_staff", True)):
                try:
                    check_not_last_admin(user=self.instance)
                except ValidationError as error:
                    self.add_error(None, error)
        return cleaned


class AdminUserCreationForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "manager", "department")

    def save(self, commit=True):
        if commit:
            raise NotImplementedError("People are created by lms.services.user_create (UserAdmin.save_model).")
        return super().save(commit=False)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    ordering = ("last_name", "first_name")
    list_display = ("email", "first_name", "last_name", "department", "manager", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "department")
    search_fields = ("email", "first_name", "last_name", "employee_id")
    autocomplete_fields = ("manager",)
    readonly_fields = ("last_login", "date_joined", "deactivated_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "employee_id", "job_title", "hire_date")}),
        (_("Organisation"), {"fields": ("manager", "department", "timezone", "locale")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined", "deactivated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name", "manager", "department")}),
    )

    def has_delete_permission(self, request, obj=None):
        # A leaver is deactivated, never deleted: deleting would clear their reports' manager
        # without an audit row, and their training records must stay.
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = user_create(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                manager=data.get("manager"),
                department=data.get("department"),
                actor=request.user,
            )
            adopt_saved(obj, created)
            return
        # The form has already put its values on ``obj``; the services read what is stored, so
        # that they record (and signal) exactly what changes.
        stored = User.objects.get(pk=obj.pk)
        wants_active = data.get("is_active", stored.is_active)
        obj.is_active, obj.deactivated_at = stored.is_active, stored.deactivated_at
        if not wants_active:
            user_deactivate(user=obj, actor=request.user)
        changes = {name: data[name] for name in form.changed_data if name in USER_EDITABLE_FIELDS}
        if changes:
            user_update(user=obj, data=changes, actor=request.user)
        access = [name for name in form.changed_data if name in ADMIN_ACCESS_FIELDS]
        if access:
            obj.save(update_fields=access)
        if wants_active:
            # After the update, so that the training given back follows the new department.
            user_reactivate(user=obj, actor=request.user)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "parent")
    search_fields = ("name",)


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    """SCIM bearer tokens (lms.scim): made here or by ``manage.py create_scim_token``; the secret
    is shown once, in the message after saving, and only its digest is kept. Revoked, never
    deleted or edited (a token's name is what its audit rows say)."""

    list_display = ("name", "key_prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("name", "key_prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ("name",) if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, secret = scim_token_create(name=form.cleaned_data["name"], created_by=request.user)
        adopt_saved(obj, token)
        messages.warning(
            request,
            _("Copy the secret of SCIM token “%(name)s” now; it is not shown again: %(secret)s")
            % {"name": token.name, "secret": secret},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at=None):
            scim_token_revoke(token=token)
        messages.success(request, _("The selected tokens are revoked."))
