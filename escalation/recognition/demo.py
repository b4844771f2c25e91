"""Demo badges for `seed_demo` (called from escalation/demo.py before its simulated nights): a badge
for passing anti-bribery, one for having all required training current and one for a booster
streak. The nights' recognition workflow awards them as it would have; ``well_done`` then has the
demo learner's team leader thank them for their badge.

Idempotent: badges are matched by name; a note is sent once (the service refuses a second).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from escalation.recognition.models import Award, Badge, WellDone
from escalation.recognition.services import AlreadySent, badge_save, well_done_send

STREAK = 4


def badges() -> list[Badge]:
    return [
        Badge(
            name=_("Anti-bribery: passed"),
            description=_("Passed Anti-bribery and corruption: knows what to refuse, record and report."),
            criteria=Badge.Rule.COURSE_PASSED,
            course_code="ABC-201",
        ),
        Badge(
            name=_("All training current"),
            description=_("Every piece of required training completed and in date."),
            criteria=Badge.Rule.ALL_MANDATORY,
        ),
        Badge(
            name=_("Sharp memory"),
            description=_("%(n)d booster questions answered right in a row.") % {"n": STREAK},
            criteria=Badge.Rule.BOOSTER_STREAK,
            streak=STREAK,
        ),
    ]


def seed(org) -> list[Badge]:
    created = []
    for badge in badges():
        if not Badge.objects.filter(name=badge.name).exists():
            created.append(badge_save(badge=badge, actor=org.admin))
    return created


def well_done(org) -> WellDone | None:
    """The demo learner's team leader says well done for the learner's first badge (once)."""
    learner = org.learners[0] if org.learners else None
    if learner is None or learner.manager is None:
        return None
    award = Award.objects.filter(recipient=learner, revoked_at__isnull=True).order_by("awarded_at", "pk").first()
    if award is None or WellDone.objects.filter(sender=learner.manager, learner=learner).exists():
        return None
    try:
        return well_done_send(
            sender=learner.manager,
            learner=learner,
            award=award,
            message=_("Great work on this, %(name)s. Thanks for setting the example for the team.")
            % {"name": learner.first_name},
        )
    except AlreadySent:
        return None
