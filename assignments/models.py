"""Training put in front of people, and the evidence of what they did with it.

- Assignment: one learner, one course, a due date; at most one active (not archived) per learner
  and course code, enforced by a partial unique constraint.
- Attempt / AttemptAnswer: tries at a quiz for an assignment; SavedAnswer: an open attempt's answers so far.
- Completion: immutable evidence that a learner passed (never updated or deleted by the app).
- Exemption: a learner excused from one course or all courses for a period.
- ModuleProgress: how far the learner got through the modules, per assignment.
- AssignmentRule: "everyone in department X / with job title Y gets course Z".
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.models import Department, TimeStampedModel


class AssignmentRule(TimeStampedModel):
    class DueMode(models.TextChoices):
        FROM_JOINING = "from_joining", _("N days after the learner joins (or after the rule starts, if later)")
        FROM_ASSIGNMENT = "from_assignment", _("N days after the assignment is made")

    name = models.CharField(_("name"), max_length=200)
    # PROTECT: a rule names a course code's current version; retiring a course must not drop its rules silently.
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="rules")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="rules", verbose_name=_("department")
    )
    include_subdepartments = models.BooleanField(_("include sub-departments"), default=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True, help_text=_("Empty: any job title."))
    due_mode = models.CharField(_("due date"), max_length=20, choices=DueMode.choices, default=DueMode.FROM_JOINING)
    due_days = models.PositiveIntegerField(_("days"), default=30)
    starts_on = models.DateField(_("rule starts on"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False) | ~Q(job_title=""),
                name="rule_targets_department_or_job_title",
                violation_error_message=_("A rule needs a department, a job title, or both."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Assignment(TimeStampedModel):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Assigned by an admin")
        DEPARTMENT = "department", _("Department assignment")
        EVERYONE = "everyone", _("Everyone")
        RULE = "rule", _("Assignment rule")
        UPLOAD = "upload", _("CSV upload")
        RECERTIFICATION = "recertification", _("Recertification")
        IMPORTED = "imported", _("Imported history")
        API = "api", _("Assigned through the API")

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed (attempts used up)")

    class ArchiveReason(models.TextChoices):
        RETRAINING = "retraining", _("Re-training")
        RECERTIFICATION = "recertification", _("Recertification")
        CLEAN_SLATE = "clean_slate", _("Annual clean slate")
        LEFT = "left", _("Learner left")
        RULE_ENDED = "rule_ended", _("No longer covered by a rule")
        ASSIGNED_IN_ERROR = "assigned_in_error", _("Assigned in error")
        OTHER = "other", _("Other")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("learner")
    )
    # PROTECT: assignments are evidence; a course with history is retired, never deleted.
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="assignments")
    # Copied from course.code so that one active assignment per course *code* holds across versions.
    course_code = models.CharField(max_length=40, editable=False)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    rule = models.ForeignKey(
        AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_on = models.DateField(_("assigned on"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ASSIGNED)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # Granted by attending a review session after attempts ran out; belongs to this assignment only.
    extra_attempts = models.PositiveSmallIntegerField(_("extra attempts granted"), default=0)
    retake_deadline = models.DateField(_("retake deadline"), null=True, blank=True)
    notified_at = models.DateTimeField(_("assignment notice sent at"), null=True, blank=True)
    # Progress markers of the nightly escalation workflows (bookkeeping, not evidence: the case file
    # in escalation.EscalationEvent is the record). Each is claimed in the same transaction that
    # writes the step's messages and events, so the nightly candidate queries read only open work
    # through the indexes below instead of anti-joining the ever-growing case file.
    reminded_days = models.PositiveSmallIntegerField(
        _("nearest reminder sent (days before due)"), null=True, blank=True, editable=False
    )
    ladder_days = models.PositiveSmallIntegerField(
        _("last overdue-ladder step taken (days overdue)"), null=True, blank=True, editable=False
    )

    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    archived_reason = models.CharField(_("archive reason"), max_length=20, choices=ArchiveReason.choices, blank=True)
    archive_note = models.TextField(_("archive note"), blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "course_code"],
                condition=Q(archived_at__isnull=True),
                name="assignment_one_active_per_learner_course",
                violation_error_message=_("This learner already has an active assignment for this course."),
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("assigned_on")),
                name="assignment_due_on_or_after_assigned",
                violation_error_message=_("The due date cannot be before the assignment date."),
            ),
            models.CheckConstraint(
                condition=Q(archived_at__isnull=True) | ~Q(archived_reason=""),
                name="assignment_archive_has_reason",
                violation_error_message=_("Archiving needs a reason."),
            ),
        ]
        indexes = [
            models.Index(fields=["course_code", "learner"], name="assignment_code_learner_idx"),
            # Nightly jobs and dashboards read active assignments by due date.
            models.Index(fields=["due_date"], condition=Q(archived_at__isnull=True), name="assignment_active_due_idx"),
            # The overdue ladder: open assignments by the last step taken, then due date.
            models.Index(
                fields=["ladder_days", "due_date"],
                condition=Q(archived_at__isnull=True, status__in=["assigned", "in_progress", "failed"]),
                name="assignment_ladder_idx",
            ),
            # Due reminders: open assignments by the band last reminded, then due date. Each band's
            # read ("reminded_days IS NULL OR > band" within the band's dates) stays in the index,
            # where by due date alone it visited every active assignment in the band (54,000 heap
            # rows for none new at 1,000,000 assignments, issue 19).
            models.Index(
                fields=["reminded_days", "due_date"],
                condition=Q(archived_at__isnull=True, status__in=["assigned", "in_progress"]),
                name="assignment_reminder_idx",
            ),
            # The failure follow-up's nightly catch-up: active failed assignments by when they failed
            # (escalation.workflows.failures), instead of a scan of every assignment.
            models.Index(
                fields=["failed_at"],
                condition=Q(archived_at__isnull=True, status="failed"),
                name="assignment_failed_idx",
            ),
        ]

    def __str__(self) -> str:
        from lms.dates import day_text

        # As people read it (the audit trail names assignments so): "Lee Learner · HS-101, due 30 Dec 2026".
        return _("%(learner)s · %(course)s, due %(due)s") % {
            "learner": self.learner,
            "course": self.course_code,
            "due": day_text(self.due_date),
        }

    def save(self, *args, **kwargs):
        if self.course_id and not self.course_code:
            self.course_code = self.course.code
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.archived_at is None


class Attempt(TimeStampedModel):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="attempts")
    quiz = models.ForeignKey("courses.Quiz", on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt number"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField(_("started at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True)
    # The questions and choice order presented in this attempt: [{"q": id, "c": [choice ids]}].
    layout = models.JSONField(default=list, blank=True)
    attested_at = models.DateTimeField(_("attested at"), null=True, blank=True)
    # The language of the course texts the attempt was taken in (the course's own or a complete
    # translation, courses.translations); it never changes the questions, choices or score.
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        ordering = ["assignment", "quiz", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "quiz", "number"],
                name="attempt_number_unique",
                violation_error_message=_("This attempt number is already taken for this assignment and quiz."),
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="attempt_score_0_100",
                violation_error_message=_("A score must be between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(status="in_progress")
                | Q(submitted_at__isnull=False, score__isnull=False, passed__isnull=False),
                name="attempt_submitted_is_scored",
                violation_error_message=_("A submitted attempt needs a submission time, a score and a result."),
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} at {self.quiz} by {self.assignment.learner}"


class AttemptAnswer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("courses.Question", on_delete=models.PROTECT, related_name="answers")
    selected = models.ManyToManyField("courses.Choice", related_name="selections", blank=True)
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["attempt", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"],
                name="attempt_answer_unique",
                violation_error_message=_("This question is already answered in this attempt."),
            ),
        ]

    def __str__(self) -> str:
        return f"Answer to question {self.question_id} in attempt {self.attempt_id}"


class SavedAnswer(TimeStampedModel):
    """A learner's choice for one question of an open attempt, saved as they make it, so that an
    attempt left open ("your attempt stays open") comes back with their answers chosen. It is a
    draft, not evidence: the submission records what counts (AttemptAnswer), and these rows go
    with the submission."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="saved_answers")
    question = models.ForeignKey("courses.Question", on_delete=models.CASCADE, related_name="+")
    # The chosen choice ids of this question, checked against the attempt's layout when saved.
    choice_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["attempt", "question"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"],
                name="saved_answer_unique",
                violation_error_message=_("This question already has a saved answer in this attempt."),
            ),
        ]

    def __str__(self) -> str:
        return f"Saved answer to question {self.question_id} in attempt {self.attempt_id}"


class CompletionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Completions are permanent evidence and cannot be changed."))

    def delete(self):
        raise ValidationError(_("Completions are permanent evidence and cannot be deleted."))


class Completion(models.Model):
    """Immutable evidence that a learner passed a course. Never updated or deleted by the app."""

    class Source(models.TextChoices):
        EARNED = "earned", _("Earned here")
        IMPORTED = "imported", _("Imported from another system")

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="completions")
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="completions")
    course_code = models.CharField(max_length=40, editable=False)
    course_version = models.PositiveIntegerField()
    # Indexed by completion_assignment_idx (Meta), which covers what the reports read of it.
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="completions", db_index=False
    )
    attempt = models.OneToOneField(Attempt, null=True, blank=True, on_delete=models.PROTECT, related_name="completion")
    completed_at = models.DateTimeField(_("completed at"))
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=64, unique=True)
    # Unguessable code for the public verification page.
    verification_code = models.CharField(max_length=64, unique=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.EARNED)
    attested_at = models.DateTimeField(_("attested at"), null=True, blank=True)
    cpd_points = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompletionQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="completion_score_0_100",
                violation_error_message=_("A score must be between 0 and 100."),
            ),
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(assignment__isnull=False),
                name="completion_one_per_assignment",
                violation_error_message=_("This assignment already has a completion."),
            ),
        ]
        indexes = [
            # The foreign key's index, carrying what the compliance state reads of a completion
            # (assignments.state.with_completion: id, expiry, completion time), so the reports' join of
            # every assignment to its completion reads this index alone (an index-only scan, 28 MB at
            # 600,000 completions) instead of the index and the table (13 + 96 MB): the organisation
            # report and the forecast (issue 19). Completions are never updated, so their pages stay
            # all-visible once vacuumed. reports/tests/test_report_queries.py pins the columns.
            models.Index(
                fields=["assignment"], include=["id", "expires_on", "completed_at"], name="completion_assignment_idx"
            ),
            models.Index(fields=["learner", "course_code", "-completed_at"], name="completion_learner_code_idx"),
            # Recertification job: completions by expiry date.
            models.Index(fields=["expires_on"], condition=Q(expires_on__isnull=False), name="completion_expiry_idx"),
            # The REST API's completions feed (api/feed.py) reads them in the order they were recorded.
            models.Index(fields=["created_at", "id"], name="completion_recorded_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.certificate_number} · {self.learner} · {self.course_code}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValidationError(_("Completions are permanent evidence and cannot be changed."))
        if self.course_id and not self.course_code:
            self.course_code = self.course.code
            self.course_version = self.course.version
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Completions are permanent evidence and cannot be deleted."))

    @property
    def completed_on(self) -> dt.date:
        """The date of the completion: the learner's local date when they passed. The one date
        shown on the certificate, the verification page, the learner record, exports and emails
        (a New York learner passing at 19:53 on 13 Nov completed on 13 Nov, whoever looks, from
        wherever). Read with ``select_related("learner")`` where completions are listed."""
        return timezone.localdate(self.completed_at, timezone=self.learner.tzinfo)


class Exemption(TimeStampedModel):
    class Reason(models.TextChoices):
        SICK_LEAVE = "sick_leave", _("Sick leave")
        PARENTAL_LEAVE = "parental_leave", _("Parental leave")
        SECONDMENT = "secondment", _("Secondment")
        ROLE_NOT_APPLICABLE = "role_not_applicable", _("Role not applicable")
        OTHER = "other", _("Other")

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exemptions")
    # Empty course: exempt from all courses.
    course_code = models.CharField(_("course code"), max_length=40, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty: until further notice."))
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("approved by")
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set when the learner's due dates have been moved forward for the time away (exactly once).
    deadlines_shifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="exemption_ends_after_start",
                violation_error_message=_("An exemption cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["learner", "starts_on"], name="exemption_learner_idx")]

    def __str__(self) -> str:
        return f"{self.learner} exempt from {self.course_code or 'all courses'} ({self.get_reason_display()})"


class ImportJob(TimeStampedModel):
    """A CSV upload from the browser: the file, where checking and applying it has got to, and the
    line errors or the preview of what will change. Checking and applying run as Celery tasks."""

    class Kind(models.TextChoices):
        USERS = "users", _("People")
        ASSIGNMENTS = "assignments", _("Assignments")
        COMPLETIONS = "completions", _("Historical completions")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be checked")
        CHECKING = "checking", _("Checking")
        INVALID = "invalid", _("Has errors; nothing imported")
        READY = "ready", _("Checked; waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed; waiting to import")
        APPLYING = "applying", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    filename = models.CharField(_("file name"), max_length=255)
    # The uploaded bytes as received; decoding is part of checking (a wrong encoding is a reported error).
    content = models.BinaryField(editable=False)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed__lte=F("total")),
                name="importjob_processed_within_total",
                violation_error_message=_("An import cannot have processed more lines than the file holds."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.filename} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.CHECKING, self.Status.CONFIRMED, self.Status.APPLYING}


class ModuleProgress(TimeStampedModel):
    """A learner's progress through a module, for one assignment (so archiving resets it)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="module_progress")
    module = models.ForeignKey("courses.Module", on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    tested_out = models.BooleanField(_("tested out by the pre-test"), default=False)

    class Meta:
        # The table keeps the name it had when the model lived in courses (moved without copying data).
        db_table = "courses_moduleprogress"
        verbose_name = _("module progress")
        verbose_name_plural = _("module progress")
        ordering = ["assignment", "module__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "module"],
                name="module_progress_unique",
                violation_error_message=_("This module is already recorded for this assignment."),
            ),
        ]
