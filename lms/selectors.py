"""Reads over people and the org chart.

The reporting chain is walked with a recursive CTE (the same SQL on SQLite and PostgreSQL), so
"everyone below this director" is one query at any depth and can be used as a subquery by
reports: ``Assignment.objects.filter(learner__in=users_below(manager))``.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils import timezone

from lms.dates import day_after
from lms.models import AuditEntry, Department, User
from lms.replica import read_connection

# A guard against runaway recursion should a cycle ever reach the table despite the service checks.
MAX_CHAIN_DEPTH = 64


def _table() -> str:
    return User._meta.db_table


def _below_sql(include_self: bool) -> str:
    table = _table()
    seed = (
        f"SELECT id, 0 FROM {table} WHERE id = %s"
        if include_self
        else (f"SELECT id, 1 FROM {table} WHERE manager_id = %s")
    )
    return (
        f"WITH RECURSIVE chain(id, depth) AS ({seed} "
        f"UNION ALL SELECT u.id, c.depth + 1 FROM {table} u JOIN chain c ON u.manager_id = c.id "
        f"WHERE c.depth < {MAX_CHAIN_DEPTH}) SELECT id FROM chain"
    )


def user_ids_below_sql(manager_id: int, *, include_self: bool = False) -> RawSQL:
    """A subquery of the ids of everyone in ``manager_id``'s reporting chain at any depth."""
    return RawSQL(_below_sql(include_self), [manager_id])


def users_below(manager: User, *, direct_only: bool = False, include_self: bool = False) -> QuerySet[User]:
    if direct_only:
        qs = User.objects.filter(manager_id=manager.pk)
        return qs | User.objects.filter(pk=manager.pk) if include_self else qs
    return User.objects.filter(pk__in=user_ids_below_sql(manager.pk, include_self=include_self))


def managers_above(user: User) -> list[User]:
    """The chain upwards: [manager, manager's manager, ...], nearest first, in one query."""
    table = _table()
    sql = (
        f"WITH RECURSIVE up(id, manager_id, depth) AS ("
        f"SELECT id, manager_id, 0 FROM {table} WHERE id = %s "
        f"UNION ALL SELECT u.id, u.manager_id, up.depth + 1 FROM {table} u JOIN up ON u.id = up.manager_id "
        f"WHERE up.depth < {MAX_CHAIN_DEPTH}) SELECT id, depth FROM up WHERE depth > 0"
    )
    with read_connection(User).cursor() as cursor:
        cursor.execute(sql, [user.pk])
        depth_by_id = {row[0]: row[1] for row in cursor.fetchall()}
    people = User.objects.filter(pk__in=depth_by_id).select_related("department")
    return sorted(people, key=lambda person: depth_by_id[person.pk])


def is_in_chain_of(*, manager: User, user: User) -> bool:
    """True when ``user`` reports to ``manager`` directly or indirectly."""
    if manager.pk is None or user.pk is None or manager.pk == user.pk:
        return False
    return users_below(manager).filter(pk=user.pk).exists()


def direct_reports(manager: User) -> QuerySet[User]:
    """A manager's direct reports: the active people who name them as their manager.

    The one definition behind the home page's count, the My team page's list and the team
    dashboard's "My direct reports" (whose figures count active people's assignments only). A
    leaver keeps their manager on record but reports to nobody any more."""
    return User.objects.filter(manager_id=manager.pk, is_active=True)


def team_size(manager: User) -> dict[str, int]:
    """How many people report to ``manager`` directly (``direct``: ``direct_reports``), how many of
    those lead people of their own (``managers``) and how many active people are below them at any
    depth (``below``), in one query."""
    direct = Q(manager_id=manager.pk)
    return User.objects.filter(pk__in=user_ids_below_sql(manager.pk), is_active=True).aggregate(
        below=Count("pk", distinct=True),
        direct=Count("pk", filter=direct, distinct=True),
        # distinct: the join to each person's own reports repeats them once per report.
        managers=Count("pk", filter=direct & Q(reports__is_active=True), distinct=True),
    )


def team_members(manager: User, *, whole_chain: bool = False) -> QuerySet[User]:
    """The people a manager sees on their team page (their direct reports, or every active person
    below them), with their report counts."""
    qs = users_below(manager).filter(is_active=True) if whole_chain else direct_reports(manager)
    return (
        qs.select_related("department", "manager")
        .annotate(report_count=Count("reports", filter=Q(reports__is_active=True)))
        .order_by("last_name", "first_name")
    )


def user_list(*, search: str = "", department_id: int | None = None, active: bool | None = True) -> QuerySet[User]:
    qs = User.objects.select_related("department", "manager").annotate(
        report_count=Count("reports", filter=Q(reports__is_active=True))
    )
    if active is not None:
        qs = qs.filter(is_active=active)
    if search:
        qs = qs.filter(person_search_q(search) | Q(job_title__icontains=search))
    if department_id:
        qs = qs.filter(department_id=department_id)
    return qs.order_by("last_name", "first_name", "email")


# A search is at most this many words; more add nothing but SQL.
MAX_SEARCH_WORDS = 6


def person_search_q(text: str, *, prefix: str = "") -> Q:
    """People matching what was typed: every word must be found in the first name, last name,
    email or employee id, so "Lee Learner", "learner lee", "lee@ex" and "E1002" all find Lee.
    ``prefix`` names the relation when filtering another table ("learner__")."""
    query = Q()
    for word in text.split()[:MAX_SEARCH_WORDS]:
        query &= (
            Q(**{f"{prefix}first_name__icontains": word})
            | Q(**{f"{prefix}last_name__icontains": word})
            | Q(**{f"{prefix}email__icontains": word})
            | Q(**{f"{prefix}employee_id__icontains": word})
        )
    return query


def people_pickable_by(viewer: User) -> QuerySet[User]:
    """Whom ``viewer`` may choose in a people picker: admins anyone active, managers the active
    people of their chain (themselves included), nobody else."""
    qs = User.objects.filter(is_active=True)
    if viewer.is_admin:
        return qs
    if viewer.is_manager:
        return qs.filter(pk__in=user_ids_below_sql(viewer.pk, include_self=True))
    return qs.none()


# How well a person matches what was typed; a picker offers (and Enter picks) the best first.
SEARCH_EXACT, SEARCH_PREFIX, SEARCH_CONTAINS = 0, 1, 2


def person_search_rank(text: str) -> Case:
    """``SEARCH_EXACT`` when the text is the person's whole name (either order), email or employee
    id; ``SEARCH_PREFIX`` when every word begins their first or last name; else ``SEARCH_CONTAINS``.
    So "Lee Learner" puts Lee Learner before Eileen Knight <learner.36@...>, whose name and email
    merely contain the words. Needs the ``search_name``/``search_name_reversed`` annotations
    (``person_search``)."""
    words = text.split()[:MAX_SEARCH_WORDS]
    whole = " ".join(words)
    exact = (
        Q(search_name__iexact=whole)
        | Q(search_name_reversed__iexact=whole)
        | Q(email__iexact=whole)
        | Q(employee_id__iexact=whole)
    )
    prefix = Q()
    for word in words:
        prefix &= Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
    return Case(
        When(exact, then=Value(SEARCH_EXACT)),
        When(prefix, then=Value(SEARCH_PREFIX)),
        default=Value(SEARCH_CONTAINS),
        output_field=IntegerField(),
    )


def person_search(*, viewer: User, text: str, offset: int = 0, limit: int = 20) -> tuple[list[User], bool]:
    """One page of the people ``viewer`` may pick matching ``text``, best matches first
    (``person_search_rank``), then by name, and whether more follow: one query (a row past the
    page says so, no count)."""
    qs = (
        people_pickable_by(viewer)
        .filter(person_search_q(text))
        .select_related("department")
        .annotate(
            search_name=Concat("first_name", Value(" "), "last_name"),
            search_name_reversed=Concat("last_name", Value(" "), "first_name"),
        )
        .annotate(search_rank=person_search_rank(text))
    )
    rows = list(qs.order_by("search_rank", "last_name", "first_name", "pk")[offset : offset + limit + 1])
    return rows[:limit], len(rows) > limit


def department_list() -> QuerySet[Department]:
    return Department.objects.select_related("parent").annotate(
        member_count=Count("members", filter=Q(members__is_active=True))
    )


def department_subtree_ids(department: Department) -> list[int]:
    """The department and every department nested inside it (one query)."""
    table = Department._meta.db_table
    sql = (
        f"WITH RECURSIVE tree(id, depth) AS (SELECT id, 0 FROM {table} WHERE id = %s "
        f"UNION ALL SELECT d.id, t.depth + 1 FROM {table} d JOIN tree t ON d.parent_id = t.id "
        f"WHERE t.depth < {MAX_CHAIN_DEPTH}) SELECT id FROM tree"
    )
    with read_connection(Department).cursor() as cursor:
        cursor.execute(sql, [department.pk])
        return [row[0] for row in cursor.fetchall()]


def user_get_visible(*, viewer: User, pk: int) -> User | None:
    """A user as seen by ``viewer``: themselves, anyone for admins, their chain for managers."""
    qs = User.objects.select_related("department", "manager")
    if viewer.is_admin or viewer.pk == pk:
        return qs.filter(pk=pk).first()
    return qs.filter(pk=pk, pk__in=user_ids_below_sql(viewer.pk)).first()


def audit_entries(
    *,
    object_type: str = "",
    object_id: str = "",
    actor_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """The audit trail, newest first, filtered. Dates are whole days in the current time zone."""
    qs = AuditEntry.objects.select_related("actor").order_by("-at", "-pk")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    zone = timezone.get_current_timezone()
    if date_from is not None:
        qs = qs.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=zone))
    if date_to is not None:
        qs = qs.filter(at__lt=dt.datetime.combine(day_after(date_to), dt.time.min, tzinfo=zone))
    return qs


def audit_object_types() -> list[str]:
    return list(AuditEntry.objects.order_by("object_type").values_list("object_type", flat=True).distinct())
