"""API tokens: one per integration (a BI tool, an HR system), with the scopes it may use."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStampedModel


class ApiToken(TimeStampedModel):
    """A bearer token of one integration. Only a SHA-256 digest of the secret is stored: the
    secret is shown once, on the page that made it."""

    class Scope(models.TextChoices):
        PEOPLE_READ = "people:read", _("Read people (names, emails, departments, managers)")
        TRAINING_READ = (
            "training:read",
            _("Read training records (courses, assignments, completions, compliance states and counts)"),
        )
        ASSIGNMENTS_WRITE = "assignments:write", _("Assign, archive and re-assign training")

    name = models.CharField(_("name"), max_length=120, help_text=_("Which integration uses it, e.g. “Power BI”."))
    key_digest = models.CharField(_("key digest (SHA-256)"), max_length=64, editable=False)
    # The first characters of the secret, to tell tokens apart in lists without storing the secret.
    key_prefix = models.CharField(_("key prefix"), max_length=12, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key_digest"],
                name="apitoken_key_digest_unique",
                violation_error_message=_("This token already exists."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def audit_label(self) -> str:
        """How audit rows written with this token name it (``lms.audit.audit_via``)."""
        return f"API token “{self.name}” (#{self.pk})"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def scope_labels(self) -> list[str]:
        return [str(self.Scope(scope).label) for scope in self.scopes or [] if scope in self.Scope.values]
