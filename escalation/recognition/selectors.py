"""Recognition reads: a person's badges, a manager's recent achievements in the team (the team page
and the daily digest), and the public pages' lookups. Each is a fixed number of queries whatever
the number of people."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from assignments.models import Attempt, Completion
from escalation.recognition.models import Award, Badge, WellDone
from escalation.recognition.tokens import well_done_path


def full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


def awards_of(user) -> QuerySet[Award]:
    """A person's badges that stand (not revoked), newest first."""
    return Award.objects.filter(recipient=user, revoked_at__isnull=True).select_related("badge")


def award_public(token: str) -> Award:
    award = Award.objects.select_related("badge", "recipient").filter(token=token).first()
    if award is None:
        raise Http404
    return award


def badge_public(public_id: str) -> Badge:
    badge = Badge.objects.filter(public_id=public_id).first()
    if badge is None:
        raise Http404
    return badge


def public_name(user) -> str:
    """The name a verification page shows, by ``settings.RECOGNITION_PUBLIC_NAME``: ``initial``
    (the default: first name and last initial, "Ann L."), ``full`` or ``none`` (no name)."""
    mode = getattr(settings, "RECOGNITION_PUBLIC_NAME", "initial")
    if mode == "full":
        return user.get_full_name()
    if mode == "none":
        return ""
    initial = f" {user.last_name[:1]}." if user.last_name else ""
    return f"{user.first_name}{initial}".strip()


def _failed_before():
    return Exists(
        Attempt.objects.filter(
            assignment__learner_id=OuterRef("learner_id"),
            assignment__course_code=OuterRef("course_code"),
            passed=False,
            submitted_at__lt=OuterRef("completed_at"),
        )
    )


def achievements(*, manager_ids: list[int] | None, since: dt.datetime, until: dt.datetime) -> dict[int, list[dict]]:
    """Per manager, what their active direct reports achieved in (since, until]: completions (and
    whether they passed after failing) and badges earned, oldest first, each with its well-done
    path for that manager and whether it was said already. Four queries. ``manager_ids`` None:
    every manager (the digest: the window of one day bounds the rows, not a list of ids). The
    window includes ``until`` so that awards the same nightly run stamped with its ``as_of`` are in
    that run's digest (and not again in the next one)."""
    people = {} if manager_ids is None else {"manager_id__in": manager_ids}
    completions = (
        Completion.objects.filter(
            completed_at__gt=since,
            completed_at__lte=until,
            learner__is_active=True,
            learner__manager_id__isnull=False,
            **{f"learner__{k}": v for k, v in people.items()},
        )
        .annotate(after_failure=_failed_before())
        .values_list(
            "pk", "learner__manager_id", "learner_id", "learner__first_name", "learner__last_name",
            "course__title", "completed_at", "after_failure",
        )
        .order_by("completed_at", "pk")
    )  # fmt: skip
    awards = (
        Award.objects.filter(
            awarded_at__gt=since,
            awarded_at__lte=until,
            revoked_at__isnull=True,
            recipient__is_active=True,
            recipient__manager_id__isnull=False,
            **{f"recipient__{k}": v for k, v in people.items()},
        )
        .values_list(
            "pk", "recipient__manager_id", "recipient_id", "recipient__first_name", "recipient__last_name",
            "badge__name", "awarded_at",
        )
        .order_by("awarded_at", "pk")
    )  # fmt: skip
    completion_rows = list(completions)
    award_rows = list(awards)
    said = set(
        WellDone.objects.filter(completion_id__in=[row[0] for row in completion_rows]).values_list(
            "sender_id", "completion_id"
        )
    ) | {
        (sender, ("a", award))
        for sender, award in WellDone.objects.filter(award_id__in=[row[0] for row in award_rows]).values_list(
            "sender_id", "award_id"
        )
    }
    found: dict[int, list[dict]] = defaultdict(list)
    for pk, manager_id, learner_id, first, last, title, at, after_failure in completion_rows:
        found[manager_id].append(
            {
                "kind": "passed_after_failure" if after_failure else "completed",
                "learner": full_name(first, last),
                "learner_id": learner_id,
                "what": title,
                "at": at.isoformat(),
                "well_done_path": well_done_path(manager_id=manager_id, completion_id=pk),
                "said": (manager_id, pk) in said,
            }
        )
    for pk, manager_id, learner_id, first, last, name, at in award_rows:
        found[manager_id].append(
            {
                "kind": "badge",
                "learner": full_name(first, last),
                "learner_id": learner_id,
                "what": name,
                "at": at.isoformat(),
                "well_done_path": well_done_path(manager_id=manager_id, award_id=pk),
                "said": (manager_id, ("a", pk)) in said,
            }
        )
    for items in found.values():
        items.sort(key=lambda item: item["at"])
    return dict(found)


def team_achievements(manager, *, until: dt.datetime, days: int = 14) -> list[dict]:
    """The team page's recent achievements (direct reports, the last ``days`` days), newest first."""
    items = achievements(manager_ids=[manager.pk], since=until - dt.timedelta(days=days), until=until)
    return sorted(items.get(manager.pk, []), key=lambda item: item["at"], reverse=True)


def badges_overview() -> QuerySet[Badge]:
    from django.db.models import Count, Q

    return Badge.objects.annotate(
        held=Count("awards", filter=Q(awards__revoked_at__isnull=True)),
        revoked=Count("awards", filter=Q(awards__revoked_at__isnull=False)),
    )


def badge_just_made(badge: Badge, *, actor, within: dt.timedelta = dt.timedelta(minutes=1)) -> Badge | None:
    """The badge ``actor`` created within the last minute that ``badge`` (unsaved, refused for its
    name) repeats field for field: the same "Save" sent twice (a double click). None otherwise,
    so a real clash of names is still refused."""
    return (
        Badge.objects.filter(
            name__iexact=badge.name,
            is_active=True,
            created_by=actor,
            created_at__gte=timezone.now() - within,
            description=badge.description,
            criteria=badge.criteria,
            course_code=badge.course_code,
            streak=badge.streak,
        )
        .order_by("-pk")
        .first()
    )
