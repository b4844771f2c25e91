"""`make bench`: the nightly workflows over 100,000 learners and 1,000,000 assignments on PostgreSQL.

Each figure is taken three times (``--runs``), each time on a fresh copy of one freshly seeded
database, and printed as min / median / max: a figure taken once, on a database that had already
seen a great deal of work, did not hold on another machine (issue 19).

Seeding. The database is seeded once with SQL ``generate_series`` (a minute or two at 1,000,000
assignments) into ``lms_bench`` (BENCH_DATABASE_URL to choose), then vacuumed and analysed, and
kept as a template, ``lms_bench_seed``; every run starts from ``CREATE DATABASE lms_bench
TEMPLATE lms_bench_seed``, a copy of the files that takes seconds where seeding again would take
minutes per run, and gives the same database each time. The seed ends with ``VACUUM (FREEZE,
ANALYZE)``: it stands for an organisation's database that has been live for a while, which
autovacuum has visited, not for rows bulk-loaded a second ago (an unvacuumed bulk load makes the
first reads of every page set its hint bits, and, where autovacuum is on, the insert threshold
sends a worker through every seeded table during the first timed night). ``--no-vacuum`` seeds
without it, for comparison. Each seeded completion is recorded (``created_at``) when it was
completed, as a live organisation records its evidence, not all at the seed's moment: the booster
workflow bounds its read of completions by when they were recorded (issue 17). What the runs
write (the backlog's million rows) is left to the product, which analyses what it has just written
(``lms.table_statistics``): that is measured.

Each run times, workflow by workflow (``escalation.nightly.run_workflow``, as ``run_nightly``
runs them, with the ANALYZE the product takes after a big write), four nights:

- backlog: the first run over a database no job has seen (every overdue assignment's ladder at once,
  every certificate inside its renewal window re-assigned);
- night 1: the next night, which still carries the backlog's aftermath (the certificates that had
  already expired were re-assigned due at once, so the next night they enter the ladder together);
- night 2: the night after, the steady state (that day's reminders, escalations, digests, boosters);
- again: night 2 run a second time, which must insert nothing.

"Whole night" is every workflow but sending: the nightly run's work that grows with the
organisation (the booster workflow of issue 17 is one of them, and has its own row). Sending is
measured apart, as messages per second of one dispatcher process on a sample of 3,000 of the
backlog's messages: dispatchers claim rows with SKIP LOCKED, so sending scales with worker
processes and with the mail server, not with the database. After each night the bench marks the
rest of its messages as sent. The whole nights are given as ratios to a plain ``SELECT count(*)``
over the assignments table on the same machine (median of 5, each run), against issue 19's goals.

What PostgreSQL was doing, so that a slow run explains itself: the autovacuum workers seen during
each night (``pg_stat_activity`` and ``pg_stat_progress_vacuum``, polled every half second by a
thread with its own connection); the big tables' rows, dead rows, rows changed since the last
ANALYZE and the rows the planner believes (``pg_class.reltuples``) before the backlog and after the
last night; the ANALYZEs the product took; and for the key selections (reminders, ladder,
recertification, boosters) whether their plans use the expected index: the statements of those
workflows that read the table are EXPLAINed (without ANALYZE) after the workflow, so with the
statistics as the workflow left them; judged on the steady nights only. And the WAL each night made the
server write, its full-page images and the checkpoints during it (``pg_stat_wal``,
``pg_stat_bgwriter``): the first change of a page after a checkpoint logs the whole page, so a night
that straddles a checkpoint writes far more than the same night between two, which is most of the
spread between runs of one night.

Options: ``--learners N`` (default 100000), ``--courses K`` (default 10; assignments = N x K),
``--runs R`` (default 3), ``--reuse`` (keep the seeded template if it has the same size),
``--no-vacuum``, ``--dispatch-sample N`` (outbox rows sent to time the dispatcher, default 3000).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lms_bench"
NIGHTS = ("backlog", "night 1", "night 2", "again")
# Issue 19's goals for the whole night, as multiples of count(*) over assignments (median of runs).
GOALS = {
    "night 2": (300, "steady night"),
    "night 1": (400, "night after the backlog"),
    "again": (60, "same night again"),
}
STRETCH = {"night 2": 200}
# Issue 5's budget for the whole nightly run at 1,000,000 assignments on 2 cores, in seconds.
NIGHT_BUDGET_SECONDS = 30
# The tables the night reads and writes most, watched before and after each run.
BIG_TABLES = (
    "assignments_assignment",
    "assignments_completion",
    "escalation_notification",
    "escalation_escalationevent",
    "boosters_boosterdelivery",
)
# The key selections: the workflow, the table it selects from, the indexes a good plan reads it by
# (none: shown, not judged). The boosters' enrolment reads the completions recorded in the last 62
# days by completion_recorded_idx (each seeded completion is recorded when it was completed).
EXPECTED_PLANS: dict[str, tuple[str, tuple[str, ...]]] = {
    "due_reminders": (
        "assignments_assignment",
        ("assignment_reminder_idx", "assignment_active_due_idx", "assignment_ladder_idx"),
    ),
    "overdue_ladder": ("assignments_assignment", ("assignment_ladder_idx",)),
    "recertification": ("assignments_completion", ("completion_expiry_idx",)),
    "boosters": ("assignments_completion", ("completion_recorded_idx",)),
}


def _name(url: str) -> str:
    """The database a URL names: its path without the slash, percent-decoded, as Django reads it
    (a query string such as ``?sslmode=disable`` is not part of it)."""
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name or "/" in name:
        raise SystemExit(f"BENCH_DATABASE_URL must name one database (postgres://user@host:port/name), not {url!r}")
    return name


def _quoted(name: str) -> str:
    from psycopg import sql

    return sql.Identifier(name).as_string(None)


def _admin(url: str):
    import psycopg

    # The same server, user and options (a query string too), connected to the "postgres" database.
    return psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True)


def template_name(url: str) -> str:
    return _name(url) + "_seed"


def ensure_database(url: str) -> None:
    name = _name(url)
    with _admin(url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {_quoted(name)}")


def configure(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()


def setup(url: str) -> None:
    """Point Django at ``url`` and migrate it."""
    configure(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


SEED_SQL = """
TRUNCATE escalation_notification, escalation_escalationevent, escalation_warningletter, escalation_reviewbooking,
         escalation_reviewsession, escalation_workflowrun, escalation_cleanslaterun,
         assignments_attemptanswer_selected, assignments_attemptanswer, assignments_completion, assignments_attempt,
         courses_moduleprogress, assignments_assignment, assignments_exemption, assignments_assignmentrule,
         courses_choice, courses_question, courses_quiz, courses_learningresource, courses_module, courses_course,
         lms_user, lms_department, boosters_boosterdelivery, boosters_boosterchoice, boosters_boosterquestion,
         boosters_boosterprogramme RESTART IDENTITY CASCADE;

INSERT INTO lms_department (name, created_at, updated_at)
SELECT 'Department ' || g, now(), now() FROM generate_series(1, 50) g;

-- 1 director, 100 heads, {leaders} team leaders, the rest learners in teams of about 9.
INSERT INTO lms_user (id, password, is_superuser, email, first_name, last_name, job_title, timezone, locale,
                      is_active, is_staff, date_joined, updated_at, manager_id, department_id, hire_date)
SELECT g, '!', false, 'u' || g || '@bench.example', 'First' || g, 'Last' || g, 'Analyst',
       CASE WHEN g % 20 = 0 THEN 'America/New_York' WHEN g % 20 = 1 THEN 'Europe/Berlin' ELSE 'Europe/London' END,
       'en-gb', true, false, now(), now(),
       CASE WHEN g = 1 THEN NULL
            WHEN g <= 101 THEN 1
            WHEN g <= 101 + {leaders} THEN 2 + (g - 102) % 100
            ELSE 102 + (g - 102 - {leaders}) % {leaders} END,
       1 + g % 50, current_date - (g % 3000)::int
FROM generate_series(1, {learners}) g;
SELECT setval(pg_get_serial_sequence('lms_user', 'id'), {learners});

INSERT INTO courses_course (created_at, updated_at, code, version, title, description, status, pass_mark, max_attempts,
    cooldown_first_minutes, cooldown_later_minutes, grading_method, compliance_critical, default_due_days,
    recertification_months, recertification_window_days, expiry_rule, grace_days, cpd_points, language)
SELECT now(), now(), 'BENCH-' || k, 1, 'Bench course ' || k, '', 'published', 80, 3, 0, 60, 'highest', k % 2 = 0, 30,
       12, 30, 'from_completion', 0, 1, 'en-gb'
FROM generate_series(1, {courses}) k;
INSERT INTO courses_quiz (created_at, updated_at, course_id, kind, title, shuffle_questions, shuffle_choices,
                          retake_missed_only)
SELECT now(), now(), id, 'final', 'Final', false, false, false FROM courses_course;

-- Every learner has every course: due dates spread over +-60 days, states by a hash.
INSERT INTO assignments_assignment (created_at, updated_at, learner_id, course_id, course_code, source, assigned_at,
    assigned_on, due_date, status, completed_at, failed_at, extra_attempts, archive_note, archived_reason)
SELECT now(), now(), u.id, c.id, c.code, 'manual', now() - interval '90 days', current_date - 90,
       current_date + ((u.id * 7 + c.id * 13) % 121 - 60)::int,
       CASE WHEN h < 60 THEN 'completed' WHEN h < 65 THEN 'failed' WHEN h < 75 THEN 'in_progress' ELSE 'assigned' END,
       CASE WHEN h < 60 THEN now() - ((u.id + c.id) % 300) * interval '1 day' END,
       CASE WHEN h >= 60 AND h < 65 THEN now() - (h % 20) * interval '1 day' END,
       0, '', ''
FROM lms_user u CROSS JOIN courses_course c
CROSS JOIN LATERAL (SELECT (u.id * 31 + c.id * 17) % 100 AS h) hh;

INSERT INTO assignments_completion (learner_id, course_id, course_code, course_version, assignment_id, completed_at,
    score, certificate_number, verification_code, expires_on, source, cpd_points, created_at)
SELECT a.learner_id, a.course_id, a.course_code, 1, a.id, a.completed_at, 90, 'B-' || a.id, md5(a.id::text),
       current_date + ((a.id % 400) - 30)::int, 'earned', 1, a.completed_at
FROM assignments_assignment a WHERE a.status = 'completed';

-- 2% of people are on leave, excused from everything.
INSERT INTO assignments_exemption (created_at, updated_at, learner_id, course_code, starts_on, ends_on, reason, note,
                                   approved_by_id)
SELECT now(), now(), g, '', current_date - 10, NULL, 'parental_leave', '', 1
FROM generate_series(1, {learners}) g WHERE g % 50 = 7;

-- Booster programmes (issue 17) on about a third of the courses: 3 questions of 3 answers each, on
-- days 2, 7, 21 and 60 after a completion. Completions are spread over 300 days, so about a fifth
-- of theirs still have a step to come: the first run enrols them, every night queues that day's.
INSERT INTO boosters_boosterprogramme (created_at, updated_at, course_id, course_code, is_active, schedule_days,
                                       retention_threshold, activated_at)
SELECT now(), now(), id, code, true, '[2, 7, 21, 60]'::jsonb, 60, now() - interval '400 days'
FROM courses_course WHERE id % 3 = 1;
INSERT INTO boosters_boosterquestion (created_at, updated_at, programme_id, "order", text, feedback, good_application,
                                      resource_title, resource_url, is_active)
SELECT now(), now(), p.id, q, 'Bench question ' || q, 'Why it matters.', 'What applying it looks like.', '', '', true
FROM boosters_boosterprogramme p CROSS JOIN generate_series(1, 3) q;
INSERT INTO boosters_boosterchoice (created_at, updated_at, question_id, "order", text, is_correct, feedback)
SELECT now(), now(), q.id, k, 'Answer ' || k, k = 1, '' FROM boosters_boosterquestion q CROSS JOIN generate_series(1, 3) k;

ANALYZE;
"""


def seed(learners: int, courses: int) -> None:
    from django.db import connection

    leaders = max(1, (learners - 101) // 10)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL.format(learners=learners, courses=courses, leaders=leaders))
    from escalation.services import policy_ensure_default

    policy_ensure_default()  # TRUNCATE ... CASCADE through the compliance officer removed it
    print(
        f"seeded {learners:,} people and {learners * courses:,} assignments in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def _seed_label(learners: int, courses: int, vacuum: bool) -> str:
    return f"lms bench seed: learners={learners} courses={courses} vacuum={vacuum}"


def template_matches(url: str, learners: int, courses: int, vacuum: bool) -> bool:
    with _admin(url) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template_name(url)]
        ).fetchone()
    return bool(row) and row[0] == _seed_label(learners, courses, vacuum)


def seed_template(url: str, learners: int, courses: int, *, vacuum: bool = True) -> None:
    """Seed ``url``'s database and keep a copy of it as the template every run starts from."""
    from django.db import connection

    ensure_database(url)
    setup(url)
    seed(learners, courses)
    if vacuum:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (FREEZE, ANALYZE)")
        print(f"vacuumed and analysed the seeded database in {time.perf_counter() - started:.1f} s", flush=True)
    connection.close()
    template = template_name(url)
    with _admin(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_quoted(template)} WITH (FORCE)")
        _copy(conn, template, _name(url))
        conn.execute(f"COMMENT ON DATABASE {_quoted(template)} IS '{_seed_label(learners, courses, vacuum)}'")


def _copy(conn, name: str, template: str) -> None:
    # FILE_COPY copies the files after a checkpoint: fastest for a big database; WAL_LOG (the
    # default) writes a small one through the WAL without waiting for a checkpoint.
    size = conn.execute("SELECT pg_database_size(%s)", [template]).fetchone()[0]
    strategy = "FILE_COPY" if size > 256 * 1024 * 1024 else "WAL_LOG"
    conn.execute(f"CREATE DATABASE {_quoted(name)} TEMPLATE {_quoted(template)} STRATEGY {strategy}")


def fresh_copy(url: str) -> float:
    """Replace ``url``'s database with a copy of the seeded template; the copy's seconds."""
    from django.db import connection

    connection.close()
    started = time.perf_counter()
    with _admin(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_quoted(_name(url))} WITH (FORCE)")
        _copy(conn, _name(url), template_name(url))
    return time.perf_counter() - started


def count_baseline() -> float:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(5):
            started = time.perf_counter()
            cursor.execute("SELECT count(*) FROM assignments_assignment")
            cursor.fetchone()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


class QueryCounter:
    """Counts every query (CaptureQueriesContext keeps only the last 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class StatementLog(QueryCounter):
    """Counts every query; keeps the ANALYZEs (with their time) and the statements that read
    ``table`` (for EXPLAIN), leaving out bulk writes whose parameters are whole batches."""

    def __init__(self, table: str | None = None):
        super().__init__()
        self.table = f'"{table}"' if table else None
        self.analyzes: list[tuple[str, float]] = []
        self.reads: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            if sql.startswith("ANALYZE"):
                self.analyzes.append((sql.split()[-1].strip('"'), elapsed))
            elif self.table and not many and self.table in sql and not _is_batch(params):
                self.reads.append((elapsed, sql, params))


def _is_batch(params) -> bool:
    return any(isinstance(value, str) and len(value) > 10_000 for value in (params or ()))


class AutovacuumWatch(threading.Thread):
    """Polls, with its own connection, what autovacuum workers do in the bench database."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.label = "before"
        self.seen: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stopping.wait(0.5):
                rows = conn.execute(
                    "SELECT a.query, p.phase FROM pg_stat_activity a LEFT JOIN pg_stat_progress_vacuum p USING (pid) "
                    "WHERE a.backend_type = 'autovacuum worker' AND a.datname = current_database()"
                ).fetchall()
                for query, phase in rows:
                    self.seen[self.label][query.replace("autovacuum: ", "") + (f" ({phase})" if phase else "")] += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def report(self, label: str) -> str:
        seen = self.seen.get(label)
        if not seen:
            return "no autovacuum worker seen"
        return "; ".join(f"{what} ~{count / 2:.0f} s" for what, count in sorted(seen.items()))


def wal_counters() -> tuple[int, int, int, int]:
    """(WAL bytes, full-page images, checkpoints, checkpoints requested by WAL volume or by hand)
    since the statistics were reset: the server's figures (``pg_stat_wal``, PostgreSQL 14+, and
    ``pg_stat_bgwriter``), not the database's, so they are the night's only on a quiet server. The
    first change of a page after a checkpoint writes the whole page into the WAL (``full_page_writes``):
    a night that straddles a checkpoint writes far more, so WAL and checkpoints explain much of the
    spread between runs of the same night."""
    from django.db import connection

    with connection.cursor() as cursor:
        # This session's WAL usage reaches pg_stat_wal when it next goes idle (at most once a second
        # unless forced): force it, so the figures include what the night just wrote.
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT w.wal_bytes::bigint, w.wal_fpi, b.checkpoints_timed + b.checkpoints_req, b.checkpoints_req "
            "FROM pg_stat_wal w, pg_stat_bgwriter b"
        )
        return cursor.fetchone()


def wal_words(before: tuple, after: tuple) -> str:
    written, images, checkpoints, requested = (b - a for a, b in zip(before, after, strict=True))
    return (
        f"{written / 1e6:,.0f} MB of WAL, {images:,} full-page images (up to {images * 8192 / 1e6:,.0f} MB of it), "
        f"{checkpoints} checkpoint{'s' if checkpoints != 1 else ''} ({requested} requested by WAL volume or by hand)"
    )


def table_state() -> list[tuple]:
    """(table, rows, planner's rows, dead rows, changed since the last ANALYZE, last ANALYZE by
    whom) for the big tables. A copy of a database starts with no activity counters, so dead rows,
    changes and ANALYZEs are those since the run's copy (the template was analysed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT s.relname, c.reltuples::bigint, s.n_dead_tup, s.n_mod_since_analyze, "
            "CASE WHEN coalesce(s.last_autoanalyze, '-infinity') > coalesce(s.last_analyze, '-infinity') "
            "THEN 'autovacuum ' || to_char(s.last_autoanalyze, 'HH24:MI:SS') "
            "ELSE coalesce('nightly run ' || to_char(s.last_analyze, 'HH24:MI:SS'), 'none since the copy') END "
            "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = ANY(%s) ORDER BY 1",
            [list(BIG_TABLES)],
        )
        found = cursor.fetchall()
        state = []
        for table, planned, dead, changed, analysed in found:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            state.append((table, cursor.fetchone()[0], planned, dead, changed, analysed))
        return state


def print_table_state(when: str) -> None:
    print(f"    tables {when}: rows / planner's rows / dead / changed since ANALYZE / last ANALYZE", flush=True)
    for table, rows, planned, dead, changed, analysed in table_state():
        print(f"      {table:<28} {rows:>10,} {planned:>10,} {dead:>9,} {changed:>10,}  {analysed}", flush=True)


def _scans(plan: dict, relation: str | None = None) -> list[tuple[str, str | None, str | None]]:
    """(node type, table, index) of every node; a Bitmap Index Scan reads its parent's table."""
    relation = plan.get("Relation Name") or (relation if plan["Node Type"] == "Bitmap Index Scan" else None)
    found = [(plan["Node Type"], relation, plan.get("Index Name"))]
    passed = plan.get("Relation Name") or (relation if plan["Node Type"] in ("BitmapAnd", "BitmapOr") else None)
    for child in plan.get("Plans", ()):
        found.extend(_scans(child, passed))
    return found


def plan_check(name: str, log: StatementLog) -> tuple[bool | None, str]:
    """EXPLAIN (no ANALYZE) each kept statement of a key workflow: is an expected index used, and
    is the table never read whole? (None: not judged.)"""
    from django.db import connection

    table, indexes = EXPECTED_PLANS[name]
    using = whole = 0
    slowest = max(log.reads, default=None, key=lambda read: read[0])
    slowest_scans = ""
    with connection.cursor() as cursor:
        for _elapsed, sql, params in log.reads:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
            scans = [scan for scan in _scans((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])]
            on_table = [scan for scan in scans if scan[1] == table]
            using += any(index in indexes for _kind, _table, index in scans)
            whole += any(kind == "Seq Scan" for kind, _table, _index in on_table)
            if slowest and sql is slowest[1]:
                slowest_scans = ", ".join(sorted({f"{kind}{' ' + ix if ix else ''}" for kind, _t, ix in on_table}))
    ok = (using > 0 and whole == 0) if indexes else None
    detail = (
        (f"{' or '.join(indexes)} in {using} of " if indexes else "")
        + f"{len(log.reads)} statements reading {table}, full scan of it in {whole}"
        + (f"; slowest {slowest[0] * 1000:,.0f} ms: {slowest_scans or 'no scan of the table'}" if slowest else "")
    )
    return ok, detail


def timed_night(label: str, as_of, rows: list, plans: list) -> tuple[float, int]:
    """Run every workflow but dispatch as run_nightly does; (wall time, queries)."""
    from django.db import connection

    from escalation.nightly import WORKFLOWS, run_workflow

    total = 0.0
    queries_total = 0
    for name, func in WORKFLOWS:
        if name == "dispatch":
            continue
        log = StatementLog(EXPECTED_PLANS[name][0] if name in EXPECTED_PLANS else None)
        with connection.execute_wrapper(log):
            started = time.perf_counter()
            summary = run_workflow(name, func, as_of=as_of)
            elapsed = time.perf_counter() - started
        total += elapsed
        queries_total += log.count
        made = summary.get("notifications", summary.get("emails_sent", 0))
        rows.append((label, name, elapsed, log.count, made))
        analyzed = ", ".join(f"{table} {seconds:.2f} s" for table, seconds in log.analyzes)
        print(
            f"  {label:<8} {name:<22} {elapsed:8.2f} s {log.count:7d} queries {made:>8}"
            + (f"   ANALYZE: {analyzed}" if analyzed else ""),
            flush=True,
        )
        if name in EXPECTED_PLANS and log.reads:
            ok, detail = plan_check(name, log)
            if label in ("backlog", "night 1") or ok is None:
                # The first run reads most of the table (every overdue assignment), and the night
                # after it a large share (the certificates re-assigned due at once): with fresh
                # statistics a full scan can be the right plan there (and was faster, at 100,000
                # assignments), so their plans are shown, not judged; the steady nights are.
                print(f"  {'':<8}   plan (shown, not judged): {detail}", flush=True)
            else:
                plans.append((label, name, ok))
                print(f"  {'':<8}   plan {'as expected' if ok else 'NOT as expected'}: {detail}", flush=True)
    rows.append((label, "whole night", total, queries_total, None))
    return total, queries_total


def mark_sent() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE escalation_notification SET status = 'sent', sent_at = now() WHERE status = 'pending'")


def dispatch_throughput(sample: int) -> tuple[float, float]:
    """Send about ``sample`` of the backlog's messages (whole recipients) and mark the rest as delivered (the backlog of a
    first run is a one-off; what matters for every night is messages per second)."""
    from django.db import connection
    from django.utils import timezone

    from escalation.dispatch import run_dispatch

    # The sample is whole recipients drawn in a fixed pseudo-random order (md5 of the id) until about
    # ``sample`` rows: the first rows in recipient order were the seed's first people, the director and
    # the heads, each with hundreds of rows in one email, which measured batching, not sending.
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH r AS (SELECT recipient_id, count(*) AS n FROM escalation_notification WHERE status = 'pending' "
            "GROUP BY recipient_id), o AS (SELECT recipient_id, sum(n) OVER (ORDER BY md5(recipient_id::text), "
            "recipient_id) - n AS before FROM r) "
            "UPDATE escalation_notification SET status = 'sent', sent_at = now() WHERE status = 'pending' AND "
            "recipient_id NOT IN (SELECT recipient_id FROM o WHERE before < %s)",
            [sample],
        )
    started = time.perf_counter()
    summary = run_dispatch(as_of=timezone.now())
    elapsed = time.perf_counter() - started
    # The throughput is of outbox rows (what the nightly workflows queue); the dispatcher groups a
    # recipient's rows into one email, so the emails sent are fewer.
    sent, emails = summary["notifications_sent"], summary["emails_sent"]
    print(f"  dispatch sample: {sent} outbox rows as {emails} emails in {elapsed:.2f} s", flush=True)
    return (sent / elapsed, emails / elapsed) if elapsed else (0.0, 0.0)


def one_run(url: str, rows: list, plans: list, *, dispatch_sample: int = 3000) -> dict:
    """The four nights on the database as it is; the run's count(*), whole nights and dispatch rate."""
    import datetime as dt

    from django.utils import timezone

    figures: dict = {"count": count_baseline()}
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    moments = {
        "backlog": timezone.make_aware(dt.datetime.combine(today - day, dt.time(2))),
        "night 1": timezone.make_aware(dt.datetime.combine(today, dt.time(2))),
        "night 2": timezone.make_aware(dt.datetime.combine(today + day, dt.time(2))),
    }
    moments["again"] = moments["night 2"]
    print_table_state("before the backlog")
    watch = AutovacuumWatch(url)
    watch.start()
    try:
        for label in NIGHTS:
            watch.label = label
            before = wal_counters()
            figures[label], figures[f"{label} queries"] = timed_night(label, moments[label], rows, plans)
            after = wal_counters()
            figures[f"{label} wal"] = (after[0] - before[0], after[2] - before[2])
            print(f"  {label:<8} {wal_words(before, after)}", flush=True)
            if label == "backlog":
                watch.label = "dispatch"
                figures["dispatch"], figures["dispatch emails"] = dispatch_throughput(dispatch_sample)
            mark_sent()
    finally:
        watch.stop()
    for label in NIGHTS:
        print(f"    autovacuum during {label}: {watch.report(label)}", flush=True)
    print_table_state("after the last night")
    return figures


def _spread(values: list[float], scale: float = 1.0, unit: str = "s", digits: int = 2) -> str:
    low, mid, high = min(values) * scale, statistics.median(values) * scale, max(values) * scale
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f} {unit}"


def server_settings() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('server_version', 'autovacuum', "
            "'shared_buffers', 'work_mem', 'autovacuum_analyze_scale_factor', 'max_wal_size', 'checkpoint_timeout', "
            "'full_page_writes', 'wal_compression', 'synchronous_commit') ORDER BY name"
        )
        return ", ".join(f"{name}={setting}" for name, setting in cursor.fetchall())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="Keep the seeded template if it has the same size.")
    parser.add_argument("--no-vacuum", action="store_true", help="Do not VACUUM the seeded template (comparison).")
    parser.add_argument("--dispatch-sample", type=int, default=3000, help="Outbox rows sent to time the dispatcher.")
    args = parser.parse_args(argv)
    for option, value, least in (
        ("--learners", args.learners, 1),
        ("--courses", args.courses, 1),
        ("--runs", args.runs, 1),
        ("--dispatch-sample", args.dispatch_sample, 1),
    ):
        if value < least:
            parser.error(f"{option} must be at least {least} (got {value})")

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        print("The bench runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    vacuum = not args.no_vacuum
    if args.reuse and template_matches(url, args.learners, args.courses, vacuum):
        print(f"reusing the seeded template {template_name(url)}", flush=True)
        configure(url)
    else:
        seed_template(url, args.learners, args.courses, vacuum=vacuum)
    rows: list = []
    plans: list = []
    runs: list[dict] = []
    for number in range(1, args.runs + 1):
        copied = fresh_copy(url)
        print(f"run {number} of {args.runs}: a fresh copy of {template_name(url)} ({copied:.1f} s)", flush=True)
        runs.append(one_run(url, rows, plans, dispatch_sample=args.dispatch_sample))

    from assignments.models import Assignment

    after = Assignment.objects.count()
    assignments = args.learners * args.courses  # seeded: each learner has each course
    print()
    print(
        f"Nightly workflows over {assignments:,} assignments at the start ({after:,} after a run's "
        f"re-assignments), {args.runs} runs on fresh copies of the seeded database ({os.cpu_count()} cores; "
        f"{server_settings()})"
    )
    if assignments != 1_000_000:
        print(
            "(the goals and the night's budget below are set for 1,000,000 assignments: at another size they "
            "are shown for reference, not met or missed)"
        )
    header = (
        f"{'night':<8} | {'workflow':<22} | {'min / median / max wall time':>30} | {'queries':>7} | {'messages':>9}"
    )
    print(header)
    print("-" * len(header))
    by_key: dict[tuple[str, str], list] = defaultdict(list)
    for label, name, elapsed, queries, made in rows:
        by_key[(label, name)].append((elapsed, queries, made))
    for (label, name), values in by_key.items():
        made = [m for _e, _q, m in values if m is not None]
        print(
            f"{label:<8} | {name:<22} | {_spread([e for e, _q, _m in values]):>30} | "
            f"{statistics.median([q for _e, q, _m in values]):7.0f} | "
            f"{'' if not made else f'{statistics.median(made):,.0f}':>9}"
        )
    print("-" * len(header))
    counts = [run["count"] for run in runs]
    count = statistics.median(counts)
    print(f"SELECT count(*) over assignments: {_spread(counts, 1000, 'ms', 1)} (min / median / max of the runs)")
    for label in ("night 2", "night 1", "again"):
        goal, words = GOALS[label]
        nights = [run[label] for run in runs]
        ratio = statistics.median(nights) / count
        stretch = STRETCH.get(label)
        verdict = "met" if ratio <= goal else "NOT met"
        if stretch:
            verdict += f", stretch {stretch}x {'met' if ratio <= stretch else 'not met'}"
        queries = statistics.median(run[f"{label} queries"] for run in runs)
        print(
            f"whole night, {words} ({label}): {_spread(nights)} = {ratio:.0f}x count(*) (median); "
            f"goal <= {goal}x: {verdict}; {queries:.0f} queries = {queries / max(assignments / 1000, 1):.3f} "
            "per 1,000 assignments"
        )
    for label in ("night 2", "night 1"):
        written = [run[f"{label} wal"][0] for run in runs]
        checkpoints = [run[f"{label} wal"][1] for run in runs]
        print(
            f"WAL written by the {GOALS[label][1]} ({label}): {_spread(written, 1e-6, 'MB', 0)}; checkpoints during it: "
            + " / ".join(str(n) for n in checkpoints)
            + " (per run)"
        )
    boosters = [elapsed for label, name, elapsed, _q, _m in rows if (label, name) == ("night 2", "boosters")]
    if boosters:
        steady = statistics.median(run["night 2"] for run in runs)
        share = statistics.median(boosters) / steady
        # The night's budget issue 17 asks the boosters to stay inside is issue 5's: the whole
        # nightly run over 1,000,000 assignments in under 30 s on a 2-core machine.
        within = "within" if steady < NIGHT_BUDGET_SECONDS else "NOT within"
        print(
            f"boosters (issue 17), steady night: {_spread(boosters)} = {statistics.median(boosters) / count:.0f}x "
            f"count(*), {share:.0%} of the steady night, counted inside it; the steady night (median {steady:.1f} s) "
            f"is {within} the night's budget of {NIGHT_BUDGET_SECONDS} s (issue 5)"
        )
    print(
        f"dispatch: {_spread([run['dispatch'] for run in runs], 1, 'outbox rows/s', 0)} = "
        f"{_spread([run['dispatch emails'] for run in runs], 1, 'emails/s', 1)} per dispatcher process "
        "(a sample of whole recipients: one email per recipient and kind)"
    )
    unexpected = [(label, name) for label, name, ok in plans if not ok]
    print(
        f"plans of the key selections: {len(plans) - len(unexpected)} of {len(plans)} as expected"
        + (": not for " + ", ".join(f"{name} ({label})" for label, name in unexpected) if unexpected else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
