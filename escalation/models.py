"""The scheduled side: escalation policies, the notification outbox, the case file of what the
system did, review sessions and warning letters.

Workflows never send anything themselves: they insert Notification rows whose unique
``dedupe_key`` makes a second run of the same job for the same day insert nothing; the dispatcher
sends pending rows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStampedModel

CAPACITY_MESSAGE = _("A session needs room for at least one person.")


class EscalationPolicy(TimeStampedModel):
    """What happens around a course's deadline and after failures. The row with no course is the
    global default, used for every course without a policy of its own."""

    course_code = models.CharField(
        _("course code"), max_length=40, blank=True, help_text=_("Empty: the default for every course without its own.")
    )
    name = models.CharField(_("name"), max_length=120)
    reminder_days = models.JSONField(
        _("reminder days before the due date"), default=list, blank=True, help_text=_("For example [14, 7, 1].")
    )
    notify_learner_on_fail = models.BooleanField(_("tell the learner after a failed attempt"), default=True)
    notify_manager_on_fail = models.BooleanField(_("tell the manager after every failed attempt"), default=True)
    notify_manager_on_exhausted = models.BooleanField(_("tell the manager when attempts run out"), default=True)
    book_review_session = models.BooleanField(_("book a review session when attempts run out"), default=True)
    attempts_after_review = models.PositiveSmallIntegerField(_("attempts re-opened by attending a review"), default=1)
    retake_deadline_days = models.PositiveSmallIntegerField(_("retake deadline (days after failing)"), default=14)
    compliance_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("compliance officer"),
    )
    # Annual clean slate: on this date every year, archive every active assignment of the course and
    # assign it again to the same people (empty month: no clean slate).
    clean_slate_month = models.PositiveSmallIntegerField(_("annual clean slate: month"), null=True, blank=True)
    clean_slate_day = models.PositiveSmallIntegerField(_("annual clean slate: day"), null=True, blank=True)
    clean_slate_due_days = models.PositiveSmallIntegerField(_("annual clean slate: due after (days)"), default=30)

    class Meta:
        ordering = ["course_code"]
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.UniqueConstraint(
                fields=["course_code"],
                name="escalation_policy_one_per_course",
                violation_error_message=_("This course already has an escalation policy."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        days = self.reminder_days
        if not isinstance(days, list) or not all(isinstance(d, int) and 0 <= d <= 365 for d in days):
            raise ValidationError({"reminder_days": _("Reminder days must be whole numbers between 0 and 365.")})


class EscalationStep(models.Model):
    """One rung of the overdue ladder: N days after the due date, tell these people."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    # Day 1 is the first day after the deadline: a step at day 7 fires 7 days after it and its
    # messages say "7 days overdue" (escalation.workflows.overdue).
    days_overdue = models.PositiveSmallIntegerField(
        _("days overdue"),
        validators=[MinValueValidator(1, message=_("Day 1 is the first day overdue (the day after the deadline)."))],
        help_text=_("Days after the deadline; day 1 is the first day overdue."),
    )
    notify_learner = models.BooleanField(_("learner"), default=True)
    notify_manager = models.BooleanField(_("manager"), default=True)
    notify_managers_manager = models.BooleanField(_("manager's manager"), default=False)
    notify_compliance_officer = models.BooleanField(_("compliance officer"), default=False)
    warning_letter = models.BooleanField(_("issue a formal warning letter"), default=False)
    new_deadline_days = models.PositiveSmallIntegerField(_("new deadline given in a warning letter (days)"), default=7)

    class Meta:
        ordering = ["policy", "days_overdue"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "days_overdue"],
                name="escalation_step_unique_day",
                violation_error_message=_("The ladder already has a step on this day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: day {self.days_overdue}"


class Notification(TimeStampedModel):
    """The outbox. One row per message per recipient; the dispatcher groups a recipient's pending
    rows of one kind into one email (a manager with five late people gets one message)."""

    class Kind(models.TextChoices):
        # Labels are what the recipient reads in their list of notifications (and the preview's
        # "Message" column): said from the recipient's side, never as internal names.
        ASSIGNED = "assigned", _("New training assigned to you")
        REMINDER = "reminder", _("Training due soon")
        ATTEMPT_FAILED = "attempt_failed", _("Your attempt did not pass")
        MANAGER_ATTEMPT_FAILED = "manager_attempt_failed", _("Someone you manage did not pass an attempt")
        ATTEMPTS_EXHAUSTED = "attempts_exhausted", _("You have used all your attempts")
        MANAGER_ATTEMPTS_EXHAUSTED = "manager_attempts_exhausted", _("Someone you manage has used all their attempts")
        REVIEW_BOOKED = "review_booked", _("Review session booked")
        OVERDUE = "overdue", _("Your training is overdue")
        ESCALATION = "escalation", _("Overdue training in your reporting line")
        WARNING_LETTER = "warning_letter", _("Formal warning letter")
        RECERTIFICATION = "recertification", _("Time to renew your certificate")
        CHECKIN = "checkin", _("Weekly check-in: people at risk in your team")
        DIGEST = "digest", _("Daily team digest")
        COURSE_PASSED = "course_passed", _("You passed: your certificate is ready")
        WITHDRAWN = "withdrawn", _("Training withdrawn")
        INVITATION = "invitation", _("Welcome and invitation to set a password")
        PASSWORD_RESET = "password_reset", _("Link to choose a new password")
        # Training after the certificate (issue 17): boosters, CPD, recognition, managers who take part.
        BOOSTER = "booster", _("A quick question on training you completed")
        REFRESHER_OFFERED = "refresher_offered", _("A refresher before your certificate renews")
        CPD_SUBMITTED = "cpd_submitted", _("External learning waiting for your approval")
        CPD_DECIDED = "cpd_decided", _("Your external learning was approved or returned")
        BADGE_EARNED = "badge_earned", _("You earned a badge")
        WELL_DONE = "well_done", _("A note from your manager")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # Indexes on this table are kept to what is read (every one costs each of the night's inserts):
    # the recipient through notification_inbox_idx, the dedupe key through its unique constraint.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # What the message is about (the learner's assignment), when it is about one.
    assignment = models.ForeignKey(
        "assignments.Assignment", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    dedupe_key = models.CharField(max_length=200)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    send_after = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                name="notification_dedupe_key_unique",
                violation_error_message=_("This message is already queued."),
            )
        ]
        indexes = [
            # The dispatcher's claim: pending rows in recipient order (so a recipient's rows go out as one
            # message), read in index order with LIMIT instead of sorting the whole backlog per batch.
            models.Index(fields=["recipient", "id"], condition=Q(status="pending"), name="notification_pending_idx"),
            # Lease recovery: rows a killed dispatcher left in "sending".
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="notification_sending_idx"),
            # The in-app list of a user's notifications.
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id} ({self.status})"


class EscalationEvent(models.Model):
    """The append-only case file per assignment: every step taken and why."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        REMINDED = "reminded", _("Reminder sent")
        ATTEMPT_FAILED = "attempt_failed", _("Attempt failed")
        MANAGER_TOLD = "manager_told", _("Manager told")
        ATTEMPTS_EXHAUSTED = "attempts_exhausted", _("Attempts used up")
        REVIEW_BOOKED = "review_booked", _("Review session booked")
        REVIEW_ATTENDED = "review_attended", _("Review session attended; attempts re-opened")
        ESCALATED = "escalated", _("Escalated")
        WARNING_LETTER = "warning_letter", _("Formal warning letter issued")
        RECERTIFICATION = "recertification", _("Re-assigned for recertification")
        EXEMPTED = "exempted", _("Exempted")
        ARCHIVED = "archived", _("Archived")
        COMPLETED = "completed", _("Completed")

    # Read through event_assignment_idx (assignment, occurred_at); no separate index.
    assignment = models.ForeignKey(
        "assignments.Assignment", on_delete=models.PROTECT, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(default=0)
    # Makes a workflow step recordable once: "overdue:123:2".
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["assignment", "occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                name="event_dedupe_key_unique",
                violation_error_message=_("This step is already in the case file."),
            )
        ]
        indexes = [models.Index(fields=["assignment", "occurred_at"], name="event_assignment_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · assignment {self.assignment_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The case file is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The case file is append-only."))


class ReviewSession(TimeStampedModel):
    class Format(models.TextChoices):
        CLASSROOM = "classroom", _("Classroom")
        WEBINAR = "webinar", _("Webinar")
        ONE_TO_ONE = "one_to_one", _("One-to-one")

    course_code = models.CharField(_("course code"), max_length=40, blank=True, help_text=_("Empty: any course."))
    title = models.CharField(_("title"), max_length=200)
    format = models.CharField(_("format"), max_length=12, choices=Format.choices, default=Format.WEBINAR)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("room or address"), max_length=200, blank=True)
    link = models.URLField(_("joining link"), blank=True)
    # The validator gives the form a field message before the named constraint is reached.
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=10, validators=[MinValueValidator(1, message=CAPACITY_MESSAGE)]
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("trainer"),
    )

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="review_session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="review_session_capacity_positive",
                violation_error_message=CAPACITY_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M})"


class ReviewBooking(TimeStampedModel):
    session = models.ForeignKey(ReviewSession, on_delete=models.PROTECT, related_name="bookings")
    assignment = models.ForeignKey("assignments.Assignment", on_delete=models.PROTECT, related_name="review_bookings")
    attended = models.BooleanField(_("attended"), null=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "assignment"],
                name="review_booking_unique",
                violation_error_message=_("This learner is already booked on this session."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} @ {self.session}"


class WarningLetter(models.Model):
    """A formal warning letter issued by a ladder step (rendered to PDF on demand from this row,
    which records exactly what it said)."""

    # Read through warning_letter_once_per_step_and_deadline (assignment, step, deadline); no separate index.
    assignment = models.ForeignKey(
        "assignments.Assignment", on_delete=models.PROTECT, related_name="warning_letters", db_index=False
    )
    step_days_overdue = models.PositiveSmallIntegerField()
    reference = models.CharField(max_length=40)
    issued_at = models.DateTimeField()
    deadline_missed = models.DateField()
    new_deadline = models.DateField()
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            # Once per step of each deadline: a moved deadline has a ladder of its own.
            models.UniqueConstraint(
                fields=["assignment", "step_days_overdue", "deadline_missed"],
                name="warning_letter_once_per_step_and_deadline",
                violation_error_message=_("A warning letter was already issued for this step of this deadline."),
            ),
            models.UniqueConstraint(
                fields=["reference"],
                name="warning_letter_reference_unique",
                violation_error_message=_("Another warning letter already has this reference."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class CleanSlateRun(models.Model):
    """Marks that a course's annual clean slate ran for a year, so it runs once per year."""

    course_code = models.CharField(max_length=40)
    year = models.PositiveSmallIntegerField()
    ran_at = models.DateTimeField()
    archived = models.PositiveIntegerField(default=0)
    reassigned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-year", "course_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["course_code", "year"],
                name="clean_slate_once_per_year",
                violation_error_message=_("The annual clean slate of this course already ran this year."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.course_code} clean slate {self.year}"


class WorkflowRun(models.Model):
    """A record of each nightly workflow run: what it did, for the admin and for idempotency checks."""

    workflow = models.CharField(max_length=40)
    as_of = models.DateTimeField()
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.workflow} @ {self.as_of:%Y-%m-%d}"


class WebhookEndpoint(TimeStampedModel):
    """An address an admin registered to hear of events (escalation.webhooks). The signing secret
    is kept encrypted (escalation.webhooks.signing), never shown again after it is issued."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("address (URL)"), max_length=500)
    secret_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class WebhookSubscription(models.Model):
    """One event an endpoint asked to hear of."""

    class Event(models.TextChoices):
        COMPLETION_RECORDED = "completion.recorded", _("Completion recorded")
        ASSIGNMENT_OVERDUE = "assignment.overdue", _("Assignment overdue")
        ESCALATION_STEP = "escalation.step_taken", _("Escalation step taken")
        CERTIFICATE_EXPIRING = "certificate.expiring", _("Certificate expiring")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="subscriptions")
    event = models.CharField(max_length=40, choices=Event.choices)

    class Meta:
        ordering = ["endpoint", "event"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"],
                name="webhook_subscription_unique",
                violation_error_message=_("This endpoint already receives this event."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} ← {self.event}"


class WebhookDelivery(TimeStampedModel):
    """One event for one endpoint, and what became of sending it: the delivery log. Work waiting
    for the webhook sender is ``status=pending`` with ``next_attempt_at`` (STYLE 8)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed: no more retries")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    # The same for every endpoint and every retry of one event: receivers drop a repeat by it.
    event_id = models.CharField(max_length=64)
    event = models.CharField(max_length=40, choices=WebhookSubscription.Event.choices)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"],
                name="webhook_delivery_once_per_event",
                violation_error_message=_("This event is already queued for this endpoint."),
            )
        ]
        indexes = [
            # The webhook sender's claim (escalation.webhooks.delivery): pending rows that are due.
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_pending_idx"
            ),
            # Lease recovery: rows a killed sender left in "sending".
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="webhook_delivery_sending_idx"),
            # The endpoint page's delivery log, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
