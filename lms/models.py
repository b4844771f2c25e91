"""People and the org chart: users (email login), departments and the reporting chain."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower, Upper
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _

from lms.languages import validate_language


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone (use a name such as Europe/London)."),
            code="invalid_timezone",
            params={"value": value},
        )


class Department(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120)
    # A department may sit inside another (Operations > Warehouse); assignments can target a sub-tree.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="department_name_unique_ci",
                violation_error_message=_("A department with this name already exists."),
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="department_not_own_parent",
                violation_error_message=_("A department cannot sit inside itself."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person in the organisation. Everyone is a learner; staff are admins; anyone with
    reports is a manager."""

    email = models.EmailField(_("email address"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    employee_id = models.CharField(_("employee id"), max_length=64, null=True, blank=True)
    # SET_NULL: a manager leaving must never delete their reports; the chain is re-pointed by an admin.
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        verbose_name=_("manager"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("department"),
    )
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/London", validators=[validate_timezone])
    # One of settings.LANGUAGES by its exact code; tags from outside go through lms.languages first.
    locale = models.CharField(_("language"), max_length=10, default="en-gb", validators=[validate_language])
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("admin"), default=False, help_text=_("Admins author courses, assign training and read every report.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=django_timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    # When the person's record last changed (the REST API's ``updated_since``): set by every save,
    # by a save of some fields (``save`` below) and by ``lms.bulk.bulk_update`` (imports).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message=_("A user with this email address already exists."),
            ),
            models.UniqueConstraint(
                fields=["employee_id"],
                condition=models.Q(employee_id__isnull=False),
                name="user_employee_id_unique",
                violation_error_message=_("Another user already has this employee id."),
            ),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("pk")),
                name="user_not_own_manager",
                violation_error_message=_("A person cannot be their own manager."),
            ),
        ]
        indexes = [
            # The reporting-chain CTE walks manager_id -> id at every level.
            models.Index(fields=["manager"], name="user_manager_idx"),
            # Sign-in, password reset, SCIM and imports find people by email__iexact, which
            # PostgreSQL runs as UPPER(email) = UPPER(%s): without this index every sign-in read
            # all 100,000 people (44 ms, issue 18). The unique constraint's LOWER(email) does not serve it.
            models.Index(Upper("email"), name="user_email_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        # A save of some fields changes the record too, except a sign-in or a new password alone.
        fields = kwargs.get("update_fields")
        if fields is not None and not set(fields) <= {"last_login", "password"}:
            kwargs["update_fields"] = {*fields, "updated_at"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.is_staff

    @property
    def is_manager(self) -> bool:
        """True when anyone reports to this user (cached per instance)."""
        if not hasattr(self, "_is_manager"):
            self._is_manager = self.pk is not None and User.objects.filter(manager_id=self.pk).exists()
        return self._is_manager

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


class AuditEntry(models.Model):
    """One row per create, change, archive or delete of a record that is compliance evidence or
    decides who must train (assignments, attempts, completions, exemptions, escalation policies,
    course rules, a person's manager). Append-only: written by ``lms.audit`` in the transaction of
    the change; on PostgreSQL a trigger refuses UPDATE and DELETE of this table."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        CHANGE = "change", _("Changed")
        ARCHIVE = "archive", _("Archived")
        DELETE = "delete", _("Deleted")

    # DO_NOTHING without a database constraint: users are deactivated, never deleted, and any
    # cascade (SET_NULL) would be an UPDATE of history, which the trigger refuses. Null: a system job.
    actor = models.ForeignKey(
        "lms.User",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("at (UTC)"), default=django_timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    # A plain label ("assignments.assignment") and id: an entry must outlive any table refactoring.
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # {field: [old, new]}
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = _("audit entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=["create", "change", "archive", "delete"]),
                name="auditentry_action_known",
                violation_error_message=_("Unknown audit action."),
            ),
        ]
        indexes = [
            # The audit page filters by object type and reads one object's history.
            models.Index(fields=["object_type", "object_id"], name="auditentry_object_idx"),
            models.Index(fields=["actor", "at"], name="auditentry_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}#{self.object_id}"


class ScimToken(TimeStampedModel):
    """A bearer token an HR system or identity provider uses for SCIM provisioning (``lms.scim``).
    Only a SHA-256 digest of the secret is stored: the secret is shown once, when it is made."""

    name = models.CharField(_("name"), max_length=120, help_text=_("Which system uses it, e.g. “Entra ID”."))
    key_digest = models.CharField(_("key digest (SHA-256)"), max_length=64, editable=False)
    # The first characters of the secret, to tell tokens apart in lists without storing the secret.
    key_prefix = models.CharField(_("key prefix"), max_length=12, editable=False)
    created_by = models.ForeignKey(
        "lms.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("SCIM token")
        verbose_name_plural = _("SCIM tokens")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key_digest"],
                name="scimtoken_key_digest_unique",
                violation_error_message=_("This SCIM token already exists; make a new one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def audit_label(self) -> str:
        return f"SCIM token “{self.name}” (#{self.pk})"


class SsoAssertion(models.Model):
    """A SAML assertion id already used to sign in, kept until its NotOnOrAfter (lms.sso): the
    unique id refuses the same assertion presented twice."""

    assertion_id = models.CharField(_("assertion id"), max_length=255)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assertion_id"],
                name="ssoassertion_assertion_id_unique",
                violation_error_message=_("This sign-in answer has been used already."),
            ),
        ]

    def __str__(self) -> str:
        return self.assertion_id
