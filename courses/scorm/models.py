"""SCORM packages and their launchable items.

A package is played as one module of its course (when the package IS the course, the course has
that one module). When the package grades the course, ``quiz`` is the course's FINAL quiz, with no
Question rows: the package's score against the quiz's pass mark decides the attempt.

The package's files live in Django's default storage under ``storage_prefix`` (``scorm/<uuid>/``),
never under the site's static or media URL: the player's file view serves them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ScormVersion(models.TextChoices):
    SCORM_12 = "1.2", _("SCORM 1.2")
    SCORM_2004_2 = "2004-2", _("SCORM 2004 2nd edition")
    SCORM_2004_3 = "2004-3", _("SCORM 2004 3rd edition")
    SCORM_2004_4 = "2004-4", _("SCORM 2004 4th edition")


PERCENT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]


class ScormPackage(models.Model):
    Version = ScormVersion

    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="scorm_packages")
    module = models.OneToOneField("courses.Module", on_delete=models.CASCADE, related_name="scorm_package")
    quiz = models.OneToOneField(
        "courses.Quiz",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scorm_package",
        help_text=_("The course's final quiz when the package grades the course (it has no questions)."),
    )
    scorm_version = models.CharField(_("SCORM version"), max_length=8, choices=ScormVersion.choices)
    identifier = models.CharField(_("manifest identifier"), max_length=255, blank=True)
    title = models.CharField(_("title"), max_length=200)
    # A percentage (0-100): 1.2's adlcp:masteryscore, or 2004's imsss:minNormalizedMeasure x 100
    # on the primary objective when it is satisfied by measure. Of the first SCO that has one.
    mastery_score = models.DecimalField(
        _("mastery score (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT_VALIDATORS
    )
    storage_prefix = models.CharField(
        _("storage prefix"), max_length=100, unique=True, help_text=_("Folder in the default storage: scorm/<uuid>/")
    )
    size = models.BigIntegerField(_("zip size (bytes)"))
    uncompressed_size = models.BigIntegerField(_("files size (bytes)"), default=0)
    file_count = models.PositiveIntegerField(_("number of files"), default=0)
    sha256 = models.CharField(_("SHA-256 of the zip"), max_length=64)
    manifest = models.JSONField(_("parsed manifest"), default=dict)
    original_filename = models.CharField(_("file name"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["course", "pk"]
        verbose_name = _("SCORM package")
        verbose_name_plural = _("SCORM packages")
        constraints = [
            models.CheckConstraint(
                condition=Q(mastery_score__isnull=True) | (Q(mastery_score__gte=0) & Q(mastery_score__lte=100)),
                name="scorm_package_mastery_0_100",
                violation_error_message=_("The mastery score must be between 0 and 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_scorm_version_display()})"

    @property
    def is_2004(self) -> bool:
        return self.scorm_version != ScormVersion.SCORM_12

    def file_path(self, href: str) -> str:
        """The storage name of a file of the package (``href`` relative to its root, without parameters)."""
        return self.storage_prefix + href.split("?", 1)[0].split("#", 1)[0]


class ScormItem(models.Model):
    """One launchable item of the default organisation, in organisation order."""

    package = models.ForeignKey(ScormPackage, on_delete=models.CASCADE, related_name="items")
    identifier = models.CharField(_("identifier"), max_length=255)
    title = models.CharField(_("title"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)
    # The enclosing <item> (an aggregation) for the table of contents; empty at the top level.
    parent_identifier = models.CharField(_("parent identifier"), max_length=255, blank=True)
    parent_title = models.CharField(_("parent title"), max_length=200, blank=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    resource_identifier = models.CharField(_("resource identifier"), max_length=255, blank=True)
    # Launch file path relative to the package root (xml:base applied), with the item's parameters.
    href = models.CharField(_("launch file"), max_length=2000)
    is_sco = models.BooleanField(_("SCO"), default=True, help_text=_("False for an asset (no run-time API)."))
    is_visible = models.BooleanField(_("visible"), default=True)
    mastery_score = models.DecimalField(
        _("mastery score (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT_VALIDATORS
    )
    # 2004: the primary objective's minNormalizedMeasure (-1..1) when satisfiedByMeasure is true.
    scaled_passing_score = models.DecimalField(
        _("scaled passing score"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    completion_threshold = models.DecimalField(
        _("completion threshold"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    data_from_lms = models.TextField(_("data from LMS"), blank=True)
    max_time_allowed = models.CharField(_("maximum time allowed"), max_length=64, blank=True)
    time_limit_action = models.CharField(_("time limit action"), max_length=32, blank=True)

    class Meta:
        ordering = ["package", "order", "pk"]
        verbose_name = _("SCORM item")
        verbose_name_plural = _("SCORM items")
        constraints = [
            models.UniqueConstraint(
                fields=["package", "identifier"],
                name="scorm_item_identifier_unique_in_package",
                violation_error_message=_("This package already has an item with this identifier."),
            ),
            models.CheckConstraint(
                condition=Q(mastery_score__isnull=True) | (Q(mastery_score__gte=0) & Q(mastery_score__lte=100)),
                name="scorm_item_mastery_0_100",
                violation_error_message=_("The mastery score must be between 0 and 100."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def launch_path(self) -> str:
        """The launch file without its parameters (the storage name below the package's prefix)."""
        return self.href.split("?", 1)[0].split("#", 1)[0]

    @property
    def parameters(self) -> str:
        """The query string part of ``href`` (without the ``?``), empty when there is none."""
        return self.href.split("?", 1)[1] if "?" in self.href else ""
