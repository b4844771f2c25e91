"""5. Daily team-leader digests and weekly at-risk check-ins.

Daily, every manager with active direct reports gets one digest: how many assignments in the team
are completed, not completed and excused, naming who is overdue, failed or due within two weeks
(overdue first) and who is excused, and what the team achieved in the 24 hours before the run
(completions, passes after a failure, badges), each with a "well done" link for the manager.
On Mondays (the manager's local date) the at-risk check-in lists reports who failed or whose
deadline is within a week. Two set-based queries (counts grouped by manager in SQL; the rows to
name), one for the day's achievements, and one message per manager per day (or week), whatever
the size of the team. On PostgreSQL the rows to name never reach Python: one INSERT ... SELECT
builds every team's lists and writes the messages (_enqueue_in_sql); elsewhere they are read and
listed in Python (_list_in_python), with the same result.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from assignments.models import Assignment
from assignments.state import exemptions_in_force
from courses.models import Course
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from escalation.recognition.selectors import achievements
from escalation.selectors import excused_on, is_excused, local_date
from escalation.workflows.common import Summary, chunks, full_name
from lms.models import User

LIST_LIMIT = 60
AT_RISK_DAYS = 7
# The digest names people whose deadline is within this many days (or passed, or who failed).
LIST_DAYS = 14
# Who and what a digest line names: the learner's manager, the learner, the course, its state.
ROW_COLUMNS = (
    "learner__manager_id",
    "learner_id",
    "learner__first_name",
    "learner__last_name",
    "course__title",
    "course_code",
    "status",
)


def run_checkins_and_digests(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("checkins_and_digests", dry_run)
    org_today = timezone.localdate(as_of)
    excused = excused_on(org_today)
    # The big reads join only the learner; active managers are read once (their time zone and name).
    base = Assignment.objects.filter(archived_at__isnull=True, learner__is_active=True, learner__manager__isnull=False)
    managers = {
        pk: (zone, first)
        for pk, zone, first in User.objects.filter(
            is_active=True, pk__in=User.objects.filter(is_active=True).values("manager_id")
        ).values_list("pk", "timezone", "first_name")
    }
    if _all_queued({pk: {"today": local_date(as_of, zone)} for pk, (zone, _first) in sorted(managers.items())}):
        # The same day again, where every manager has a digest (the usual case: everyone has
        # required training): nothing would be new, and not even the counts are read.
        summary["managers"] = len(managers)
        return summary
    teams: dict[int, dict] = {}
    # Counts per manager in one grouped query; the excused are moved out of them below.
    counts = (
        base.values("learner__manager_id")
        .annotate(
            completed=Count("pk", filter=Q(status=Assignment.Status.COMPLETED)),
            not_completed=Count("pk", filter=~Q(status=Assignment.Status.COMPLETED)),
        )
        .order_by()
    )
    # Read whole (a row per manager), not through a cursor: PostgreSQL runs a cursor's query without
    # parallel workers, and this one reads every active assignment.
    for row in counts:
        manager = managers.get(row["learner__manager_id"])
        if manager is None:
            continue  # a deactivated manager gets no digest
        teams[row["learner__manager_id"]] = {
            "today": local_date(as_of, manager[0]),
            "first_name": manager[1],
            "completed": row["completed"],
            "not_completed": row["not_completed"],
            "excused": 0,
            "outstanding": [],
            "excused_people": [],
            "at_risk": [],
            "at_risk_people": set(),
        }
    if _all_queued(teams):
        # The same day again, where some manager's team has nothing to count (so no digest): every
        # digest is in the outbox already, so nothing would be new; the lists (the biggest reads)
        # are not read again.
        summary["managers"] = len(teams)
        return summary
    if excused:
        # Read whole, not through a cursor: PostgreSQL plans a cursor for its first rows, and
        # walked every active assignment in due-date order for the few excused learners (seconds,
        # where fetching them by learner and sorting takes a tenth of one). The learners are named by
        # a subquery, not a list of thousands of ids (which costs the driver more than the query).
        rows = list(
            base.filter(learner_id__in=exemptions_in_force(org_today).values("learner_id"))
            .values_list(*ROW_COLUMNS)
            .order_by("due_date", "pk")
        )
        for manager_id, learner_id, first, last, title, code, status in rows:
            team = teams.get(manager_id)
            if team is None or not is_excused(excused, learner_id, code):
                continue
            team["excused"] += 1
            team["completed" if status == Assignment.Status.COMPLETED else "not_completed"] -= 1
            if len(team["excused_people"]) < LIST_LIMIT:
                team["excused_people"].append({"learner": full_name(first, last), "course": title})
    # The people to name: not completed and late, failed or due soon.
    soon = org_today + dt.timedelta(days=LIST_DAYS)
    # What the team achieved since yesterday's digest (completions, passes after a failure,
    # badges), each with the manager's one-click "well done" link (escalation.recognition).
    achieved = achievements(manager_ids=None, since=as_of - dt.timedelta(days=1), until=as_of)
    for manager_id, team in teams.items():
        team["digest"] = _digest_context(team, achieved.get(manager_id, []))
    if connection.vendor == "postgresql":
        new = _enqueue_in_sql(base, teams, excused, soon, dry_run=dry_run)
        summary.add_counts(notifications=len(new))
        summary.add_samples([(recipient, kind, reason, "", "") for recipient, kind, reason in new])
        summary["managers"] = len(teams)
        return summary
    _list_in_python(base, teams, excused, soon)
    messages = []
    for manager_id, team in teams.items():
        today = team["today"]
        team["outstanding"].sort(key=lambda item: (not item["overdue"], item["due_date"]))
        messages.append(
            Outgoing(
                manager_id,
                Notification.Kind.DIGEST,
                _digest_key(manager_id, today),
                {**team["digest"], "outstanding": team["outstanding"]},
            )
        )
        if today.weekday() == 0 and team["at_risk"]:
            messages.append(
                Outgoing(
                    manager_id,
                    Notification.Kind.CHECKIN,
                    _checkin_key(manager_id, today),
                    {
                        "first_name": team["first_name"],
                        "date": today.isoformat(),
                        "at_risk": team["at_risk"][:LIST_LIMIT],
                        "count": len(team["at_risk"]),
                        # people, not assignments: the subject counts people (escalation.subjects)
                        "people": len(team["at_risk_people"]),
                        "reason": f"weekly check-in: {len(team['at_risk'])} at risk",
                    },
                )
            )
    for batch in chunks(messages):
        with transaction.atomic():
            summary.add(enqueue(batch, dry_run=dry_run))
    summary["managers"] = len(teams)
    return summary


def _digest_key(manager_id: int, today: dt.date) -> str:
    return f"digest:{manager_id}:{today.isoformat()}"


def _checkin_key(manager_id: int, today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"checkin:{manager_id}:{year}-W{week:02d}"


def _digest_context(team: dict, achieved: list[dict]) -> dict:
    """A digest's context but its list of the people to name ("outstanding")."""
    return {
        "first_name": team["first_name"],
        "date": team["today"].isoformat(),
        "completed": team["completed"],
        "not_completed": team["not_completed"],
        "excused": team["excused"],
        "total": team["completed"] + team["not_completed"] + team["excused"],
        "listed_days": LIST_DAYS,
        "excused_people": team["excused_people"],
        "achievements": [
            {key: item[key] for key in ("kind", "learner", "what", "well_done_path")} for item in achieved[:LIST_LIMIT]
        ],
        "reason": f"daily digest: {team['not_completed']} outstanding",
    }


def _listed(base: QuerySet, soon: dt.date) -> QuerySet:
    return base.exclude(status=Assignment.Status.COMPLETED).filter(
        Q(status=Assignment.Status.FAILED) | Q(due_date__lte=soon) | Q(retake_deadline__lte=soon)
    )


def _list_in_python(base: QuerySet, teams: dict[int, dict], excused: dict[int, set[str]], soon: dt.date) -> None:
    """The portable way (SQLite): each team's "outstanding" (the first LIST_LIMIT by due date) and
    "at_risk" lists, from the rows to name in due-date order."""
    listed = (
        _listed(base, soon)
        .values_list(*ROW_COLUMNS, "due_date", "retake_deadline")
        .order_by("learner__manager_id", "due_date", "pk")
    )
    for manager_id, learner_id, first, last, title, code, status, due, retake in listed.iterator(chunk_size=5000):
        team = teams.get(manager_id)
        if team is None or is_excused(excused, learner_id, code):
            continue
        today = team["today"]
        deadline = max(due, retake) if retake else due
        failed = status == Assignment.Status.FAILED
        listed_here = len(team["outstanding"]) < LIST_LIMIT
        at_risk = failed or (deadline - today).days <= AT_RISK_DAYS
        if not (listed_here or at_risk):
            continue
        item = {
            "learner": full_name(first, last),
            "course": title,
            "due_date": deadline.isoformat(),
            "overdue": today > deadline,
            "failed": failed,
        }
        if listed_here:
            team["outstanding"].append(item)
        if at_risk:
            team["at_risk"].append(item)
            team["at_risk_people"].add(learner_id)


# What str.strip() strips (str.isspace), for names joined in SQL as full_name joins them
# (a test checks the list against Python's own).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _enqueue_in_sql(
    base: QuerySet, teams: dict[int, dict], excused: dict[int, set[str]], soon: dt.date, *, dry_run: bool
) -> list[tuple[int, str, str]]:
    """PostgreSQL: every digest and check-in in ONE INSERT ... SELECT that builds their lists from
    the assignments, the rest of each context coming from ``teams`` in one JSON document; returns
    (recipient, kind, reason) of the rows that were new (a dry run: that would be new).

    The lists are what _list_in_python makes: "outstanding" the team's first LIST_LIMIT rows by due
    date (then id), overdue first then by deadline; "at_risk" (a Monday's check-in) every failed
    row or one due within AT_RISK_DAYS, by due date (the first LIST_LIMIT of them listed). Built
    in the database, the rows to name (a third of the assignments) never cross to Python and back
    as JSON. Each context is written as JSON text and parsed once: building it with PostgreSQL's
    jsonb_build_object and jsonb_agg costs twice that parse."""
    listed_sql, listed_params = (
        _listed(base, soon)
        .annotate(manager=F("learner__manager_id"))
        .values_list("pk", "manager", "learner_id", "course_id", "course_code", "status", "due_date", "retake_deadline")
        .order_by()
        .query.sql_with_params()
    )  # fmt: skip
    # Each context but its lists, as JSON text without the closing brace (the lists follow).
    heads = [
        {
            "manager_id": manager_id,
            "today": team["today"].isoformat(),
            "monday": team["today"].weekday() == 0,
            "digest_key": _digest_key(manager_id, team["today"]),
            "checkin_key": _checkin_key(manager_id, team["today"]),
            "digest": json.dumps(team["digest"])[:-1],
            "checkin": json.dumps({"first_name": team["first_name"], "date": team["today"].isoformat()})[:-1],
        }
        for manager_id, team in teams.items()
    ]
    excused_rows = [{"learner_id": learner, "code": code} for learner, codes in excused.items() for code in codes]
    quote = connection.ops.quote_name
    table = quote(Notification._meta.db_table)
    users, courses = quote(User._meta.db_table), quote(Course._meta.db_table)
    failed = Assignment.Status.FAILED.value
    candidates = f"""
        WITH heads AS MATERIALIZED (
            SELECT * FROM jsonb_to_recordset(%s::jsonb) AS h(
                manager_id bigint, today date, monday boolean, digest_key text, checkin_key text,
                digest text, checkin text)
        ), excused AS MATERIALIZED (
            SELECT * FROM jsonb_to_recordset(%s::jsonb) AS e(learner_id bigint, code text)
        ), lists AS (
            -- One sort of the rows to name, by team and due date: it numbers them (the first
            -- LIST_LIMIT are listed) and feeds the aggregates team by team.
            SELECT w.manager,
                string_agg(w.item, ',' ORDER BY NOT w.overdue, w.deadline, w.due_date, w.id)
                    FILTER (WHERE w.n <= {LIST_LIMIT}) AS outstanding,
                array_to_string(
                    (array_agg(w.item ORDER BY w.due_date, w.id) FILTER (WHERE w.at_risk))[1:{LIST_LIMIT}], ','
                ) AS at_risk,
                count(*) FILTER (WHERE w.at_risk) AS at_risk_count,
                count(DISTINCT w.learner_id) FILTER (WHERE w.at_risk) AS at_risk_people
            FROM (
                SELECT r.*, r.deadline < r.today AS overdue,
                    r.monday AND (r.status = %s OR r.deadline <= r.today + {AT_RISK_DAYS}) AS at_risk,
                    '{{"learner":' || r.name || ',"course":' || r.title || ',"due_date":"' || to_char(r.deadline, 'YYYY-MM-DD')
                    || (CASE WHEN r.deadline < r.today THEN '","overdue":true' ELSE '","overdue":false' END)
                    || (CASE WHEN r.status = %s THEN ',"failed":true}}' ELSE ',"failed":false}}' END) AS item
                FROM (
                    SELECT l.*, u.name, c.title, h.today, h.monday,
                        GREATEST(l.due_date, l.retake_deadline) AS deadline,
                        row_number() OVER (PARTITION BY l.manager ORDER BY l.due_date, l.id) AS n
                    -- OFFSET 0: the rows to name are read on their own (one scan of the
                    -- assignments), not looked up team by team from the JSON document.
                    FROM ({listed_sql} OFFSET 0) AS l (
                        id, manager, learner_id, course_id, course_code, status, due_date, retake_deadline)
                    -- Each person's name and each course's title written as JSON once (OFFSET 0:
                    -- in the subquery, before the join), not again for every row that names them
                    -- (the names alone, trimmed and quoted per row, were an eighth of the statement).
                    JOIN (
                        SELECT id, to_json(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''), %s))::text
                        FROM {users} OFFSET 0
                    ) AS u (id, name) ON u.id = l.learner_id
                    JOIN (SELECT id, to_json(title)::text FROM {courses} OFFSET 0) AS c (id, title)
                        ON c.id = l.course_id
                    JOIN heads AS h ON h.manager_id = l.manager
                    WHERE NOT EXISTS (
                        SELECT 1 FROM excused AS e
                        WHERE e.learner_id = l.learner_id AND (e.code = '' OR e.code = l.course_code))
                ) AS r
                WHERE r.n <= {LIST_LIMIT} OR r.monday
            ) AS w
            GROUP BY w.manager
        )
        SELECT h.manager_id AS recipient_id, v.kind, v.dedupe_key, v.context::jsonb AS context
        FROM heads AS h
        LEFT JOIN lists AS s ON s.manager = h.manager_id
        CROSS JOIN LATERAL (
            VALUES
                (%s, h.digest_key, h.digest || ',"outstanding":[' || coalesce(s.outstanding, '') || ']}}'),
                (%s, h.checkin_key,
                 CASE WHEN h.monday AND s.at_risk_count > 0 THEN
                    h.checkin || ',"at_risk":[' || s.at_risk || '],"count":' || s.at_risk_count
                    || ',"people":' || s.at_risk_people
                    || ',"reason":"weekly check-in: ' || s.at_risk_count || ' at risk"}}' END)
        ) AS v (kind, dedupe_key, context)
        WHERE v.context IS NOT NULL
    """
    params = [
        json.dumps(heads, separators=(",", ":")),
        json.dumps(excused_rows, separators=(",", ":")),
        failed,
        failed,
        *listed_params,
        WHITESPACE,
        Notification.Kind.DIGEST.value,
        Notification.Kind.CHECKIN.value,
    ]
    with connection.cursor() as cursor:
        if dry_run:
            cursor.execute(
                f"SELECT c.recipient_id, c.kind, c.context ->> 'reason' FROM ({candidates}) AS c "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS n WHERE n.dedupe_key = c.dedupe_key)",
                params,
            )
            return cursor.fetchall()
        given = ["recipient_id", "kind", "dedupe_key", "context"]
        targets, selected, constants = [], [], []
        now = timezone.now()
        for field in Notification._meta.concrete_fields:
            if field.primary_key:
                continue
            targets.append(quote(field.column))
            if field.column in given:
                selected.append(f"c.{field.column}")
                continue
            if field.name in {"created_at", "send_after"} or getattr(field, "auto_now", False):
                value = now
            else:
                value = field.get_default()
            selected.append(f"%s::{field.db_type(connection)}")
            constants.append(field.get_db_prep_save(value, connection))
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(targets)}) "
            f"SELECT {', '.join(selected)} FROM ({candidates}) AS c "
            f"ON CONFLICT DO NOTHING RETURNING {quote('recipient_id')}, {quote('kind')}, "
            f"{quote('context')} ->> 'reason'",
            [*constants, *params],
        )
        return cursor.fetchall()


def _all_queued(teams: dict[int, dict]) -> bool:
    """Whether every team's digest of its manager's day is in the outbox already, and with them
    every check-in due. On PostgreSQL one statement writes a night's digests and check-ins
    (``_enqueue_in_sql``), so the digests found mean the check-ins were written too. The portable
    path writes them in batches, where a run stopped between two could leave a Monday's check-in
    unwritten behind its digest, so there a manager's Monday is never taken as done: whether a
    check-in is due depends on the lists themselves. (The bench's "same night again" fell on a
    Monday in America/New_York and did the whole work again, issue 19.)"""
    if not teams:
        return False
    if connection.vendor != "postgresql" and any(team["today"].weekday() == 0 for team in teams.values()):
        return False
    keys = [_digest_key(manager_id, team["today"]) for manager_id, team in teams.items()]
    if not Notification.objects.filter(dedupe_key=keys[0]).exists():
        return False  # the usual night: one lookup, not one per team
    found = 0
    for batch in chunks(keys):
        found += Notification.objects.filter(dedupe_key__in=batch).count()
    return found == len(keys)
