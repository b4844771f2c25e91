"""Reads for booster pages: the learner's open boosters, one delivery scoped to its learner, and
the authoring page's programme with its questions and how they have been answered."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from assignments.boosters.models import BoosterChoice, BoosterDelivery, BoosterProgramme, BoosterQuestion
from assignments.boosters.services import LINK_MAX_AGE

_WITH_QUESTION = ("question", "programme__course", "learner")


def _choices() -> Prefetch:
    return Prefetch("question__choices", queryset=BoosterChoice.objects.order_by("order", "pk"))


def learner_open_boosters(*, learner, now: dt.datetime | None = None, limit: int = 5) -> list[BoosterDelivery]:
    """Sent, unanswered boosters of the learner still inside the links' life, newest first (the
    home page's card; ``booster_delivery_open_idx``)."""
    now = now or timezone.now()
    return list(
        BoosterDelivery.objects.filter(
            learner=learner,
            status=BoosterDelivery.Status.QUEUED,
            answered_at__isnull=True,
            queued_at__gte=now - LINK_MAX_AGE,
        )
        .select_related(*_WITH_QUESTION)
        .prefetch_related(_choices())
        .order_by("-queued_at", "-pk")[:limit]
    )


def delivery_for_learner(*, learner, pk: int) -> BoosterDelivery:
    """A sent booster of this learner, or 404 (another person's does not exist for them)."""
    delivery = (
        BoosterDelivery.objects.filter(pk=pk, learner=learner, status=BoosterDelivery.Status.QUEUED)
        .select_related("choice", *_WITH_QUESTION)
        .prefetch_related(_choices())
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


def delivery_by_id(pk: int) -> BoosterDelivery | None:
    return (
        BoosterDelivery.objects.filter(pk=pk, status=BoosterDelivery.Status.QUEUED)
        .select_related("choice", "learner", *_WITH_QUESTION)
        .prefetch_related(_choices())
        .first()
    )


def programme_questions(programme: BoosterProgramme) -> QuerySet[BoosterQuestion]:
    """The programme's questions with their choices and answer counts (sent, answered, right)."""
    return (
        programme.questions.annotate(
            sent=Count("deliveries", filter=Q(deliveries__status=BoosterDelivery.Status.QUEUED)),
            answered=Count("deliveries", filter=Q(deliveries__answered_at__isnull=False)),
            right=Count("deliveries", filter=Q(deliveries__correct=True)),
        )
        .prefetch_related(Prefetch("choices", queryset=BoosterChoice.objects.order_by("order", "pk")))
        .order_by("-is_active", "order", "pk")
    )


def programmes_by_code() -> dict[str, BoosterProgramme]:
    return {
        p.course_code: p
        for p in BoosterProgramme.objects.annotate(in_use=Count("questions", filter=Q(questions__is_active=True)))
    }
