"""Recognition: badges an admin defines, the awards the rules make, and managers' "well done" notes.

- ``Badge``: a rule (a course passed, all mandatory training current, a booster streak, a team
  100 % compliant) with a name, description and image. Its ``public_id`` is a long random token:
  the BadgeClass's public address, never its primary key.
- ``Award``: one person earned one badge, at most once (``award_once_per_person_and_badge``).
  Its ``token`` is the Open Badges hosted assertion's address. The recipient's identity is stored
  as the salted hash at award time (the assertion must not change when the email does, and the
  public JSON never holds the address). A revoked award keeps its row (so nothing re-awards it)
  and its assertion answers ``revoked: true``.
- ``WellDone``: a manager's note to a learner about one achievement (a completion or an award),
  at most one per manager and achievement: that is what makes a well-done link single-use.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStampedModel


def new_token() -> str:
    # 32 random bytes, URL-safe: 43 characters, not guessable, not a count.
    return secrets.token_urlsafe(32)


def new_salt() -> str:
    return secrets.token_hex(16)


AWARDING_NAME_TAKEN = _(
    "Another badge being awarded has this name. Choose another name, or stop awarding that one first."
)


class Badge(TimeStampedModel):
    class Rule(models.TextChoices):
        COURSE_PASSED = "course_passed", _("Passed a given course")
        ALL_MANDATORY = "all_mandatory", _("All required training current")
        BOOSTER_STREAK = "booster_streak", _("Booster questions answered right in a row")
        TEAM_COMPLIANT = "team_compliant", _("Whole team compliant (awarded to the manager)")

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=1000)
    criteria = models.CharField(_("awarded for"), max_length=20, choices=Rule.choices)
    course_code = models.CharField(
        _("course code"), max_length=40, blank=True, help_text=_("For “Passed a given course”: any version counts.")
    )
    streak = models.PositiveSmallIntegerField(
        _("answers right in a row"), null=True, blank=True, help_text=_("For a booster streak, 2 to 100.")
    )
    # A PNG checked and re-encoded on upload (escalation.recognition.images); empty: the generated one.
    image = models.BinaryField(_("image"), blank=True, default=b"", editable=False)
    is_active = models.BooleanField(
        _("awarding"), default=True, help_text=_("Untick to stop awarding it; badges already earned stay.")
    )
    public_id = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(criteria="course_passed") | ~Q(course_code=""),
                name="badge_course_rule_names_a_course",
                violation_error_message=_("A “Passed a given course” badge needs a course."),
            ),
            models.CheckConstraint(
                condition=~Q(criteria="booster_streak") | Q(streak__gte=2, streak__lte=100),
                name="badge_streak_2_to_100",
                violation_error_message=_("A booster streak is 2 to 100 answers right in a row."),
            ),
            # Two badges being awarded under one name (however spelt) would be the same badge given
            # twice to the same people: the form says so, and a double-clicked "Save" makes one.
            models.UniqueConstraint(
                Lower("name"),
                condition=Q(is_active=True),
                name="badge_awarding_name_unique_ci",
                violation_error_message=AWARDING_NAME_TAKEN,
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Award(models.Model):
    badge = models.ForeignKey(Badge, on_delete=models.PROTECT, related_name="awards")
    # PROTECT: an issued assertion is evidence that stays answerable.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="badge_awards")
    awarded_at = models.DateTimeField(_("awarded at"))
    # What earned it, in words for the person ("Passed Fire safety"), and the completion if one did.
    reason = models.CharField(max_length=300, blank=True)
    completion = models.ForeignKey(
        "assignments.Completion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    salt = models.CharField(max_length=32, default=new_salt, editable=False)
    identity_hash = models.CharField(max_length=80, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)

    class Meta:
        ordering = ["-awarded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["badge", "recipient"],
                name="award_once_per_person_and_badge",
                violation_error_message=_("This person already has this badge."),
            ),
        ]
        indexes = [
            # The digest reads the day's awards; the home page and person tab a person's awards.
            models.Index(fields=["awarded_at"], name="award_awarded_at"),
        ]

    def __str__(self) -> str:
        return f"{self.badge} → {self.recipient_id}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class WellDone(models.Model):
    class About(models.TextChoices):
        COMPLETION = "completion", _("Completed a course")
        AWARD = "award", _("Earned a badge")

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="well_dones_sent")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="well_dones")
    about = models.CharField(max_length=12, choices=About.choices)
    completion = models.ForeignKey(
        "assignments.Completion", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    award = models.ForeignKey(Award, null=True, blank=True, on_delete=models.CASCADE, related_name="well_dones")
    message = models.CharField(_("personal message"), max_length=200, blank=True)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(about="completion", completion__isnull=False, award__isnull=True))
                | (Q(about="award", award__isnull=False, completion__isnull=True)),
                name="well_done_about_one_thing",
                violation_error_message=_("A note of recognition is about one completion or one badge."),
            ),
            # Single use: one note per manager and achievement.
            models.UniqueConstraint(
                fields=["sender", "completion"],
                condition=Q(completion__isnull=False),
                name="well_done_once_completion",
                violation_error_message=_("You have already said well done for this."),
            ),
            models.UniqueConstraint(
                fields=["sender", "award"],
                condition=Q(award__isnull=False),
                name="well_done_once_award",
                violation_error_message=_("You have already said well done for this."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} → {self.learner_id} ({self.about})"
