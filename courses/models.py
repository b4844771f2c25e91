"""Courses and their content: modules, learning resources, quizzes, questions and choices.

A course is identified by ``code`` and versioned: importing a new version of a course creates a
new Course row with the same code and a higher version; completions keep pointing at the version
the learner passed.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from courses.files import course_file_path
from lms.html import SafeHTMLField
from lms.languages import validate_language
from lms.models import TimeStampedModel

# The longest due period a course may set: ten years. Longer is a typing mistake (and a due date
# past lms.dates.MAX_DATE).
MAX_DUE_DAYS = 3650


def default_course_language() -> str:
    return settings.LANGUAGE_CODE


class Course(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    class GradingMethod(models.TextChoices):
        HIGHEST = "highest", _("Highest attempt")
        LAST = "last", _("Last attempt")

    class ExpiryRule(models.TextChoices):
        FROM_COMPLETION = "from_completion", _("From the completion date")
        FROM_PREVIOUS_EXPIRY = "from_previous_expiry", _("From the previous expiry date (early renewers lose nothing)")
        FIXED_DATE = "fixed_date", _("On a fixed date each year")

    # The course's rules: what authoring edits, the audit trail records and the course form shows.
    RULE_FIELDS = (
        "pass_mark",
        "max_attempts",
        "cooldown_first_minutes",
        "cooldown_later_minutes",
        "grading_method",
        "compliance_critical",
        "default_due_days",
        "recertification_months",
        "recertification_window_days",
        "expiry_rule",
        "fixed_expiry_month",
        "fixed_expiry_day",
        "grace_days",
        "cpd_points",
    )

    code = models.SlugField(_("code"), max_length=40, help_text=_("Short, stable identifier, e.g. GDPR-101."))
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The course's main language (one of settings.LANGUAGES); its texts may carry translations
    # into the others (courses.translations).
    language = models.CharField(
        _("language"),
        max_length=10,
        default=default_course_language,
        validators=[validate_language],
        help_text=_("The language the course is written in; translations into other languages come on top."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)

    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"), null=True, blank=True, help_text=_("Leave empty for unlimited attempts.")
    )
    cooldown_first_minutes = models.PositiveIntegerField(_("wait after the first attempt (minutes)"), default=0)
    cooldown_later_minutes = models.PositiveIntegerField(_("wait after later attempts (minutes)"), default=0)
    grading_method = models.CharField(
        _("grading method"), max_length=10, choices=GradingMethod.choices, default=GradingMethod.HIGHEST
    )
    compliance_critical = models.BooleanField(_("compliance-critical"), default=False)
    default_due_days = models.PositiveIntegerField(
        _("default due period (days)"),
        default=30,
        validators=[
            MinValueValidator(1, message=_("The default due period must be at least 1 day.")),
            MaxValueValidator(
                MAX_DUE_DAYS,
                message=_("The default due period can be at most %(limit_value)s days (ten years)."),
            ),
        ],
    )
    recertification_months = models.PositiveSmallIntegerField(
        _("recertification period (months)"), null=True, blank=True, help_text=_("Empty: never expires.")
    )
    recertification_window_days = models.PositiveSmallIntegerField(
        _("recertification window (days before expiry)"), default=30
    )
    expiry_rule = models.CharField(
        _("expiry rule"), max_length=24, choices=ExpiryRule.choices, default=ExpiryRule.FROM_COMPLETION
    )
    fixed_expiry_month = models.PositiveSmallIntegerField(
        _("fixed expiry month"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    fixed_expiry_day = models.PositiveSmallIntegerField(
        _("fixed expiry day"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    grace_days = models.PositiveSmallIntegerField(_("grace period after expiry (days)"), default=0)
    cpd_points = models.DecimalField(_("CPD points"), max_digits=6, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            # Codes are compared without regard to letter case everywhere (imports, completions,
            # assignments): HS-101 and hs-101 are one code, so they cannot share a version.
            models.UniqueConstraint(
                Lower("code"),
                "version",
                name="course_code_version_unique_ci",
                violation_error_message=_("This course code already has this version."),
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0) & Q(pass_mark__lte=100),
                name="course_pass_mark_0_100",
                violation_error_message=_("The pass mark must be between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__isnull=True) | Q(max_attempts__gte=1),
                name="course_max_attempts_positive",
                violation_error_message=_("Maximum attempts must be at least 1, or empty for unlimited."),
            ),
            models.CheckConstraint(
                condition=Q(default_due_days__gte=1) & Q(default_due_days__lte=MAX_DUE_DAYS),
                name="course_default_due_days_1_3650",
                violation_error_message=_("The default due period must be between 1 and 3650 days."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}: {self.title}"

    @classmethod
    def other_spelling(cls, code: str, *, exclude_pk: int | None = None) -> str | None:
        """The code as the catalogue spells it when ``code`` differs from it only in letter case."""
        others = cls.objects.filter(code__iexact=code).exclude(code=code)
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        return others.order_by("code").values_list("code", flat=True).first()

    def clean(self) -> None:
        super().clean()
        other = self.other_spelling(self.code, exclude_pk=self.pk) if self.code else None
        if other:
            # A field error also keeps full_clean from repeating it as the constraint's message.
            raise ValidationError(
                {
                    "code": _(
                        "The course code %(other)s exists already, and codes are the same whatever their letter "
                        "case. Use a different code, or make a new version of %(other)s."
                    )
                    % {"other": other}
                }
            )

    @property
    def final_quiz(self) -> Quiz | None:
        return self.quizzes.filter(kind=Quiz.Kind.FINAL).first()


class Module(TimeStampedModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    key = models.SlugField(_("key"), max_length=60, help_text=_("Stable reference within the course package."))
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    body = SafeHTMLField(_("body (HTML)"), blank=True)
    video_url = models.URLField(_("video link"), blank=True)
    file_url = models.URLField(_("file link"), blank=True)
    # Uploaded files (courses.files: type checked by content, stored under an unguessable path,
    # served only by the permission-checked file view). The *_name fields hold the safe name shown.
    attachment = models.FileField(_("document or image"), upload_to=course_file_path, max_length=255, blank=True)
    attachment_name = models.CharField(max_length=100, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)
    video = models.FileField(_("video (MP4)"), upload_to=course_file_path, max_length=255, blank=True)
    video_name = models.CharField(max_length=100, blank=True)
    captions = models.FileField(_("captions (WebVTT)"), upload_to=course_file_path, max_length=255, blank=True)
    captions_name = models.CharField(max_length=100, blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(_("estimated minutes"), default=15)

    class Meta:
        ordering = ["course", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "key"],
                name="module_key_unique_in_course",
                violation_error_message=_("This course already has a module with this key."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LearningResource(TimeStampedModel):
    class Kind(models.TextChoices):
        CHEAT_SHEET = "cheat_sheet", _("Cheat sheet")
        VIDEO = "video", _("Video")
        LINK = "link", _("Link")
        DOCUMENT = "document", _("Document")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="resources")
    key = models.SlugField(_("key"), max_length=60)
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.LINK)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), blank=True)
    body = SafeHTMLField(_("body (HTML)"), blank=True)
    attachment = models.FileField(_("file"), upload_to=course_file_path, max_length=255, blank=True)
    attachment_name = models.CharField(max_length=100, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["course", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "key"],
                name="resource_key_unique_in_course",
                violation_error_message=_("This course already has a resource with this key."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Quiz(TimeStampedModel):
    class Kind(models.TextChoices):
        FINAL = "final", _("Final assessment")
        MODULE_CHECK = "module_check", _("Module check")
        PRETEST = "pretest", _("Diagnostic pre-test")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quizzes")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices, default=Kind.FINAL)
    module = models.ForeignKey(
        Module,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="checks",
        help_text=_("For a module check: the module it follows."),
    )
    title = models.CharField(_("title"), max_length=200)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Empty: the course pass mark applies."),
    )
    shuffle_questions = models.BooleanField(_("shuffle questions per attempt"), default=False)
    shuffle_choices = models.BooleanField(_("shuffle choices per attempt"), default=False)
    retake_missed_only = models.BooleanField(_("retakes ask only the questions missed last time"), default=False)

    class Meta:
        ordering = ["course", "kind", "pk"]
        verbose_name_plural = _("quizzes")
        constraints = [
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(kind="final"),
                name="quiz_one_final_per_course",
                violation_error_message=_("A course has at most one final assessment."),
            ),
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(kind="pretest"),
                name="quiz_one_pretest_per_course",
                violation_error_message=_("A course has at most one diagnostic pre-test."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.code}: {self.title}"

    @property
    def effective_pass_mark(self) -> int:
        return self.pass_mark if self.pass_mark is not None else self.course.pass_mark


class Question(TimeStampedModel):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True / false")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.SINGLE)
    text = models.TextField(_("question"))
    explanation = models.TextField(_("explanation"), blank=True, help_text=_("Shown after a wrong answer."))
    # The learning objective the question tests; a pre-test passed on a module's questions tests the learner out of it.
    objective = models.ForeignKey(
        Module,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objective_questions",
        verbose_name=_("learning objective (module)"),
    )
    remediation_module = models.ForeignKey(
        Module,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="remediation_questions",
        verbose_name=_("review module"),
    )
    remediation_resource = models.ForeignKey(
        LearningResource,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="remediation_questions",
        verbose_name=_("review resource"),
    )

    class Meta:
        ordering = ["quiz", "order", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(TimeStampedModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.CharField(_("text"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        ordering = ["question", "order", "pk"]

    def __str__(self) -> str:
        return self.text
