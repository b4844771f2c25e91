"""Recognition writes: badges (admin, audited), awards (rules, exactly once), revocation (admin,
audited) and managers' "well done" notes (exactly once per manager and achievement).

Awards are inserted set-based with ``ignore_conflicts``: the unique constraint
``award_once_per_person_and_badge`` is the backstop when the completion receiver and the nightly
run award the same badge at the same moment. Only the rows this call inserted (found by the
tokens it generated) get a ``badge_earned`` message; the outbox key ``badge_earned:<award>`` makes
that message exactly once as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.models import Notification
from escalation.outbox import Outgoing, dispatch_soon, enqueue
from escalation.recognition.models import AWARDING_NAME_TAKEN, Award, Badge, WellDone, new_salt, new_token
from escalation.recognition.openbadges import identity_hash
from escalation.recognition.rules import Earned
from lms.audit import audit_record, diff, label_of, snapshot
from lms.bulk import bulk_insert
from lms.models import AuditEntry, User

BADGE_FIELDS = ["name", "description", "criteria", "course_code", "streak", "is_active"]


class AlreadySent(Exception):
    """This manager has already said well done for this achievement."""


# What a holder earned: fixed once a badge has been awarded (a replay of
# CoderDojo/community-platform#1014, where reworked criteria made every holder's badge say they had
# done something else). Its public BadgeClass is built from the badge as it is now.
RULE_FIELDS = ["criteria", "course_code", "streak"]


def badge_rule_fixed(badge: Badge) -> bool:
    """Whether ``badge``'s rule (RULE_FIELDS) can no longer change: it has been awarded."""
    return badge.pk is not None and Award.objects.filter(badge_id=badge.pk).exists()


@transaction.atomic
def badge_save(*, badge: Badge, actor, image: bytes | None = None, remove_image: bool = False) -> Badge:
    """Create or change a badge (already validated by its form); one audit row with the changes.
    ValidationError when the rule of a badge already awarded would change (``RULE_FIELDS``), or
    when another badge being awarded has its name (however spelt; also when two requests create
    the same badge at once: the unique constraint decides, and nothing is written)."""
    creating = badge.pk is None
    before = {} if creating else snapshot(Badge.objects.select_for_update().get(pk=badge.pk), BADGE_FIELDS)
    if not creating and any(before[name] != getattr(badge, name) for name in RULE_FIELDS) and badge_rule_fixed(badge):
        raise ValidationError({"criteria": _("This badge has been awarded, so what it is awarded for cannot change.")})
    image_changed = image is not None or (remove_image and not creating)
    if image is not None:
        badge.image = image
    elif remove_image:
        badge.image = b""
    if creating:
        badge.created_by = actor
    badge.full_clean(exclude=["image"])
    try:
        with transaction.atomic():
            badge.save()
    except IntegrityError as error:  # the same name saved by another request a moment ago
        raise ValidationError({"name": AWARDING_NAME_TAKEN}) from error
    changes = diff(before, snapshot(badge, BADGE_FIELDS))
    if image_changed:
        changes["image"] = ["", "uploaded" if image is not None else "default"]
    if creating or changes:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CREATE if creating else AuditEntry.Action.CHANGE,
            obj_label=label_of(Badge),
            obj_id=badge.pk,
            changes=changes,
        )
    return badge


def awards_grant(
    *, earned: Iterable[Earned], dry_run: bool = False, awarded_at: dt.datetime | None = None
) -> list[Award]:
    """Insert the awards not already held; queue one ``badge_earned`` message per new award.
    ``awarded_at`` is the nightly run's ``as_of`` (so a run for a past or future day stamps its
    awards with that day and the same run's digest lists them); the real clock otherwise.
    An ``Earned`` with its own ``awarded_at`` (a pass from before the badge existed) keeps that date,
    and a ``quiet`` one gets no message.
    Returns the new awards (for a dry run, the awards that would be made, unsaved)."""
    earned = list(earned)
    if not earned:
        return []
    emails = dict(
        User.objects.filter(pk__in={e.recipient_id for e in earned}, is_active=True).values_list("pk", "email")
    )
    now = awarded_at or timezone.now()
    rows = []
    quiet_tokens = set()
    for item in earned:
        if item.recipient_id not in emails:
            continue  # a leaver since the rule was read
        salt = new_salt()
        token = new_token()
        if item.quiet:
            quiet_tokens.add(token)
        rows.append(
            Award(
                badge_id=item.badge_id,
                recipient_id=item.recipient_id,
                awarded_at=item.awarded_at or now,
                reason=item.reason[:300],
                completion_id=item.completion_id,
                token=token,
                salt=salt,
                identity_hash=identity_hash(emails[item.recipient_id], salt),
            )
        )
    if dry_run or not rows:
        return rows
    with transaction.atomic():
        bulk_insert(rows, ignore_conflicts=True)
        new = list(Award.objects.filter(token__in=[row.token for row in rows]).select_related("badge").order_by("pk"))
        enqueue(
            [
                Outgoing(
                    award.recipient_id,
                    Notification.Kind.BADGE_EARNED,
                    f"badge_earned:{award.pk}",
                    {
                        "badge": award.badge.name,
                        "description": award.badge.description,
                        # the rule, so that the email says why in the recipient's language
                        "criteria": award.badge.criteria,
                        "course_code": award.badge.course_code,
                        "streak": award.badge.streak,
                        "verify_path": reverse("recognition:verify", args=[award.token]),
                    },
                )
                for award in new
                if award.token not in quiet_tokens
            ]
        )
    return new


@transaction.atomic
def award_revoke(*, award: Award, actor, reason: str) -> Award:
    """Revoke an award: its assertion answers ``revoked: true`` from now on. Once only."""
    updated = Award.objects.filter(pk=award.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor, revocation_reason=reason[:300]
    )
    award.refresh_from_db()
    if updated:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(Award),
            obj_id=award.pk,
            changes={"revoked_at": (None, award.revoked_at)},
            reason=f"Badge “{award.badge.name}” revoked: {reason}",
        )
    return award


def well_done_send(*, sender, learner, completion=None, award=None, message: str = "") -> WellDone:
    """Record the note and queue it to the learner (kind ``well_done``), once per manager and
    achievement: a second call raises ``AlreadySent`` and queues nothing."""
    about = WellDone.About.COMPLETION if completion is not None else WellDone.About.AWARD
    message = " ".join(message.split())[:200]
    try:
        with transaction.atomic():
            note = WellDone.objects.create(
                sender=sender,
                learner=learner,
                about=about,
                completion=completion,
                award=award,
                message=message,
                sent_at=timezone.now(),
            )
            what = completion.course.title if completion is not None else award.badge.name
            enqueue(
                [
                    Outgoing(
                        learner.pk,
                        Notification.Kind.WELL_DONE,
                        f"well_done:{note.pk}",
                        {
                            "sender": sender.get_full_name(),
                            "about": about,
                            "what": what,
                            "message": message,
                        },
                    )
                ]
            )
            dispatch_soon()
    except IntegrityError as error:
        raise AlreadySent from error
    return note
