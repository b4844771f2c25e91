"""Reads for CPD: a person's record for a CPD year, the external learning a viewer may see or
decide, and who is behind their job title's target.

Scope, as on the person page: a learner sees their own, a manager everyone below them in the
reporting chain, an admin everyone; anything else is None (views answer 404). Deciding is for the
learner's managers up the chain and admins, never the learner themselves.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Lower, Trim
from django.utils import timezone
from django.utils.translation import ngettext

from assignments.cpd.models import CpdTarget, ExternalLearning
from assignments.cpd.years import CpdYear, year_of
from assignments.models import Completion
from courses.models import Module
from lms.audit import label_of
from lms.models import AuditEntry, Department, User
from lms.selectors import department_subtree_ids, managers_above, user_ids_below_sql

ZERO = Decimal("0.00")
AMOUNT = DecimalField(max_digits=9, decimal_places=2)


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def completions_in_year_q(cpd_year: CpdYear, zones: set[str], *, prefix: str = "") -> Q:
    """Completions whose date in their learner's time zone is in ``cpd_year``, for learners whose
    time zone is one of ``zones`` (one OR-ed condition per zone: the query stays one query)."""
    condition = Q(pk__in=[])
    for name in sorted(zones):
        zone = _zone(name)
        condition |= Q(
            **{
                f"{prefix}learner__timezone": name,
                f"{prefix}completed_at__gte": dt.datetime.combine(cpd_year.starts_on, dt.time.min, tzinfo=zone),
                f"{prefix}completed_at__lt": dt.datetime.combine(cpd_year.ends_before, dt.time.min, tzinfo=zone),
            }
        )
    return condition


def _external_in_year_q(cpd_year: CpdYear) -> Q:
    return Q(completed_on__gte=cpd_year.starts_on, completed_on__lt=cpd_year.ends_before)


def visible_learners_q(viewer: User, *, field: str = "learner_id") -> Q:
    if viewer.is_admin:
        return Q()
    return Q(**{field: viewer.pk}) | Q(**{f"{field}__in": user_ids_below_sql(viewer.pk)})


def entry_get_for_viewer(*, viewer: User, pk: int) -> ExternalLearning | None:
    """An external learning entry as ``viewer`` may see it (one query), or None."""
    return (
        ExternalLearning.objects.select_related("learner", "decided_by")
        .filter(visible_learners_q(viewer))
        .filter(pk=pk)
        .first()
    )


def can_decide(*, viewer: User, entry: ExternalLearning) -> bool:
    """Whether ``viewer`` may approve or return ``entry`` (already fetched within their scope)."""
    if not viewer.is_authenticated or viewer.pk == entry.learner_id:
        return False
    if viewer.is_admin:
        return True
    return User.objects.filter(pk=entry.learner_id, pk__in=user_ids_below_sql(viewer.pk)).exists()


def approver_ids(learner: User) -> list[int]:
    """Who decides on ``learner``'s external learning and is told of it
    (``escalation.cpd_notices``): the nearest active manager up their chain (one who has left is
    passed over for the manager above, who ``can_decide`` too), or, with none, every active admin
    other than themselves; empty when nobody could. One query where the direct manager is active,
    three at most otherwise."""
    manager_id = learner.manager_id
    if manager_id is not None and manager_id != learner.pk:
        if User.objects.filter(pk=manager_id, is_active=True).exists():
            return [manager_id]
        for manager in managers_above(learner)[1:]:
            if manager.is_active and manager.pk != learner.pk:
                return [manager.pk]
    return list(
        User.objects.filter(is_active=True, is_staff=True)
        .exclude(pk=learner.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def approver_exists(learner: User) -> bool:
    """Whether someone is there to decide on ``learner``'s external learning and is told of it
    (``approver_ids``). Without one an entry would wait unseen for ever, so it is refused."""
    return bool(approver_ids(learner))


@dataclass
class HistoryStep:
    at: dt.datetime
    step: str  # "sent", "resent", "approved", "returned" or "other"
    name: str  # who took the step ("" for the system)
    comment: str = ""
    submission: int | None = None


def _step_of(row: AuditEntry) -> HistoryStep:
    status = (row.changes or {}).get("status") or [None, None]
    step = HistoryStep(at=row.at, step="other", name=row.actor.get_full_name() if row.actor else "")
    if row.action == AuditEntry.Action.CREATE:
        step.step = "sent"
    elif status[1] == ExternalLearning.Status.PENDING:
        step.step = "resent"
        number = row.reason.rsplit("submission ", 1)[-1].rstrip(")")
        step.submission = int(number) if number.isdigit() else None
    elif status[1] == ExternalLearning.Status.APPROVED:
        # The service writes the approver's comment as the reason, or "Approved" without one.
        step.step, step.comment = "approved", "" if row.reason == "Approved" else row.reason
    elif status[1] == ExternalLearning.Status.RETURNED:
        step.step, step.comment = "returned", row.reason  # a return always has its comment
    else:
        step.comment = row.reason
    return step


def entry_history(entry: ExternalLearning) -> list[HistoryStep]:
    """The steps of ``entry`` from its audit trail, oldest first, saying what each was (sent,
    sent again, approved or returned by whom, with the decider's comment). One query."""
    rows = (
        AuditEntry.objects.filter(object_type=label_of(ExternalLearning), object_id=str(entry.pk))
        .select_related("actor")
        .order_by("at", "pk")
    )
    return [_step_of(row) for row in rows]


def approvals_for(viewer: User) -> QuerySet[ExternalLearning]:
    """The entries waiting for ``viewer``'s decision: below them in the chain (every entry for an
    admin, who also decides for people without a manager), never their own; oldest first."""
    qs = ExternalLearning.objects.filter(status=ExternalLearning.Status.PENDING).exclude(learner_id=viewer.pk)
    if not viewer.is_admin:
        qs = qs.filter(learner_id__in=user_ids_below_sql(viewer.pk))
    return qs.select_related("learner", "learner__manager").order_by("submitted_at", "pk")


def approvals_count(viewer: User) -> int:
    if not (viewer.is_admin or viewer.is_manager):
        return 0
    return approvals_for(viewer).count()


def approvals_badge(user) -> tuple[int, str]:
    """The count beside "CPD approvals" in the menu (``lms.navigation``)."""
    count = approvals_count(user)
    return count, ngettext("%(count)d waiting", "%(count)d waiting", count) % {"count": count}


def target_for(job_title: str) -> CpdTarget | None:
    title = (job_title or "").strip().lower()
    if not title:
        return None
    return CpdTarget.objects.annotate(key=Lower(Trim("job_title"))).filter(key=title).first()


@dataclass
class RecordItem:
    day: dt.date
    kind: str  # "course" or "external"
    title: str
    provider: str
    points: Decimal
    hours: Decimal
    reference: str = ""  # the certificate number of a course completion
    entry_id: int | None = None
    # External learning: who approved it and when (the evidence an auditor asks for).
    approved_by: str = ""
    approved_at: dt.datetime | None = None


@dataclass
class CpdRecord:
    person: User
    year: CpdYear
    items: list[RecordItem]
    points: Decimal
    hours: Decimal
    target: CpdTarget | None
    open_entries: list[ExternalLearning] = field(default_factory=list)
    years: list[CpdYear] = field(default_factory=list)

    @property
    def gap(self) -> Decimal:
        if self.target is None:
            return ZERO
        return max(self.target.points - self.points, ZERO)

    @property
    def course_points(self) -> Decimal:
        return sum((item.points for item in self.items if item.kind == "course"), ZERO)

    @property
    def external_points(self) -> Decimal:
        return sum((item.points for item in self.items if item.kind == "external"), ZERO)


def _hours(minutes: int | None) -> Decimal:
    return (Decimal(minutes or 0) / Decimal(60)).quantize(Decimal("0.01"))


def cpd_record(*, person: User, year: CpdYear, today: dt.date | None = None) -> CpdRecord:
    """``person``'s CPD record for ``year``: their completions in the year (the CPD points recorded
    on each, and the course's estimated hours) and their approved external learning, by date; the
    totals; their job title's target; the entries of the year not (yet) approved; and the years
    they have anything in, for the year picker. A fixed number of queries."""
    completions = list(
        Completion.objects.filter(learner=person)
        .filter(completions_in_year_q(year, {person.timezone}))
        .select_related("course", "learner")
        .order_by("completed_at", "pk")
    )
    minutes = dict(
        Module.objects.filter(course_id__in={c.course_id for c in completions})
        .values("course_id")
        .annotate(total=Sum("estimated_minutes"))
        .values_list("course_id", "total")
    )
    items = [
        RecordItem(
            day=c.completed_on,
            kind="course",
            title=c.course.title,
            provider=c.get_source_display(),
            points=c.cpd_points,
            hours=_hours(minutes.get(c.course_id)),
            reference=c.certificate_number,
        )
        for c in completions
    ]
    entries = list(
        ExternalLearning.objects.filter(learner=person).filter(_external_in_year_q(year)).select_related("decided_by")
    )
    for entry in entries:
        if entry.status == ExternalLearning.Status.APPROVED:
            items.append(
                RecordItem(
                    day=entry.completed_on,
                    kind="external",
                    title=entry.title,
                    provider=entry.provider,
                    points=entry.amount_points,
                    hours=entry.amount_hours,
                    entry_id=entry.pk,
                    approved_by=entry.decided_by.get_full_name() if entry.decided_by else "",
                    approved_at=entry.decided_at,
                )
            )
    items.sort(key=lambda item: (item.day, item.kind, item.title))
    open_entries = sorted(
        (e for e in entries if e.status != ExternalLearning.Status.APPROVED), key=lambda e: (e.completed_on, e.pk)
    )
    return CpdRecord(
        person=person,
        year=year,
        items=items,
        points=sum((item.points for item in items), ZERO),
        hours=sum((item.hours for item in items), ZERO),
        target=target_for(person.job_title),
        open_entries=open_entries,
        years=record_years(person=person, current=year, today=today),
    )


def record_years(*, person: User, current: CpdYear, today: dt.date | None = None) -> list[CpdYear]:
    """The CPD years with anything on ``person``'s record, this year and ``current``, newest first."""
    today = today or timezone.localdate()
    first_completion = Completion.objects.filter(learner=person).order_by("completed_at").values("completed_at")[:1]
    first_entry = ExternalLearning.objects.filter(learner=person).order_by("completed_on").values("completed_on")[:1]
    starts = [year_of(today).year, current.year]
    moment = first_completion.first()
    if moment:
        starts.append(year_of(timezone.localdate(moment["completed_at"], timezone=person.tzinfo)).year)
    day = first_entry.first()
    if day:
        starts.append(year_of(day["completed_on"]).year)
    return [CpdYear(y) for y in range(max(starts), min(starts) - 1, -1)]


def my_entries(person: User) -> QuerySet[ExternalLearning]:
    return ExternalLearning.objects.filter(learner=person).select_related("decided_by")


def with_cpd_points(people: QuerySet[User], *, year: CpdYear, zones: set[str]) -> QuerySet[User]:
    """``people`` annotated with ``cpd_points`` (their completions' points and approved external
    points in ``year``) and ``target_points`` (their job title's target, None without one), as
    subqueries: one query for any number of people. ``zones``: their time zones."""
    target = CpdTarget.objects.annotate(key=Lower(Trim("job_title"))).filter(key=OuterRef("title_key"))
    course_points = (
        Completion.objects.filter(learner_id=OuterRef("pk"))
        .filter(completions_in_year_q(year, zones))
        .order_by()
        .values("learner_id")
        .annotate(total=Sum("cpd_points"))
        .values("total")
    )
    external_points = (
        ExternalLearning.objects.filter(learner_id=OuterRef("pk"), status=ExternalLearning.Status.APPROVED)
        .filter(_external_in_year_q(year))
        .order_by()
        .values("learner_id")
        .annotate(total=Sum(Coalesce("points", Value(ZERO), output_field=AMOUNT)))
        .values("total")
    )
    return people.annotate(title_key=Lower(Trim("job_title"))).annotate(
        target_points=Subquery(target.values("points")[:1], output_field=AMOUNT),
        cpd_points=Coalesce(Subquery(course_points, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT)
        + Coalesce(Subquery(external_points, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT),
    )


def year_summary(*, person: User, year: CpdYear) -> dict:
    """This year's points and target of ``person`` for their home page, in one query."""
    row = (
        with_cpd_points(User.objects.filter(pk=person.pk), year=year, zones={person.timezone})
        .values("cpd_points", "target_points")
        .first()
    )
    points = Decimal(row["cpd_points"] or 0).quantize(Decimal("0.01")) if row else ZERO
    target = Decimal(row["target_points"]) if row and row["target_points"] is not None else None
    return {
        "year": year,
        "points": points,
        "target": target,
        "gap": max(target - points, ZERO) if target is not None else None,
    }


@dataclass
class BehindRow:
    person: User
    target: Decimal
    points: Decimal

    @property
    def gap(self) -> Decimal:
        return self.target - self.points


def people_behind(*, year: CpdYear, department: Department | None = None) -> list[BehindRow]:
    """Active people whose job title has a target and whose CPD points in ``year`` are below it,
    the furthest behind first (``department``: people in it and the departments inside it). One
    query for the time zones in use, one for the list."""
    people = User.objects.filter(is_active=True).exclude(job_title="")
    if department is not None:
        people = people.filter(department_id__in=department_subtree_ids(department))
    zones = set(people.order_by().values_list("timezone", flat=True).distinct())
    rows = (
        with_cpd_points(people, year=year, zones=zones)
        .filter(target_points__isnull=False, cpd_points__lt=F("target_points"))
        .select_related("department", "manager")
        .order_by((F("target_points") - F("cpd_points")).desc(), "last_name", "first_name", "pk")
    )
    return [
        BehindRow(person=p, target=Decimal(p.target_points), points=Decimal(p.cpd_points).quantize(Decimal("0.01")))
        for p in rows
    ]
