"""`make bench`: the nightly workflows over 100,000 learners and 1,000,000 assignments on PostgreSQL.

Seeds a separate database (``lms_bench`` by default; BENCH_DATABASE_URL to choose) with SQL
``generate_series`` (a minute or so), then prints one table: wall time and query count for each
workflow, for four runs:

- backlog: the first run over a database no job has seen (every overdue assignment's ladder at once,
  every certificate inside its renewal window re-assigned);
- night 1: the next night, which still carries the backlog's aftermath (the certificates that had
  already expired were re-assigned due at once, so the next night they enter the ladder together);
- night 2: the night after, the steady state (that day's reminders, escalations, digests);
- again: night 2 run a second time, which must insert nothing.

"Whole night" is the workflows that decide and write (reminders, failure follow-up, ladder,
recertification, digests, compliance snapshots): the nightly run's work that grows with the
organisation. Sending is measured apart, as messages per second of one dispatcher process on a
sample of 3,000 of the backlog's messages: dispatchers claim rows with SKIP LOCKED, so sending
scales with worker processes and with the mail server, not with the database. After each run the
bench marks the rest of its messages as sent. The whole night is also given as a ratio to a plain
``SELECT count(*)`` over the assignments table on the same machine. Options: ``--learners N``
(default 100000), ``--courses K`` (default 10; assignments = N x K), ``--reuse`` (keep an already
seeded database).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lms_bench"


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
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
    recertification_months, recertification_window_days, expiry_rule, grace_days, cpd_points)
SELECT now(), now(), 'BENCH-' || k, 1, 'Bench course ' || k, '', 'published', 80, 3, 0, 60, 'highest', k % 2 = 0, 30,
       12, 30, 'from_completion', 0, 1
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
       current_date + ((a.id % 400) - 30)::int, 'earned', 1, now()
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


def timed_night(label: str, as_of, rows: list) -> tuple[float, int]:
    """Run every workflow but dispatch; (wall time, queries). Then mark the run's messages sent."""
    from django.db import connection

    from escalation.nightly import WORKFLOWS

    total = 0.0
    queries_total = 0
    for name, func in WORKFLOWS:
        if name == "dispatch":
            continue
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            summary = dict(func(as_of=as_of, dry_run=False))
            elapsed = time.perf_counter() - started
        total += elapsed
        queries_total += counter.count
        made = summary.get("notifications", summary.get("emails_sent", 0))
        rows.append((label, name, elapsed, counter.count, made))
        print(f"  {label:<8} {name:<22} {elapsed:8.2f} s {counter.count:7d} queries {made:>8}", flush=True)
    rows.append((label, "whole night", total, queries_total, None))
    return total, queries_total


def mark_sent() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE escalation_notification SET status = 'sent', sent_at = now() WHERE status = 'pending'")


def dispatch_throughput(sample: int, rows: list) -> float:
    """Send ``sample`` of the backlog's messages and mark the rest as delivered (the backlog of a
    first run is a one-off; what matters for every night is messages per second)."""
    from django.db import connection
    from django.utils import timezone

    from escalation.dispatch import run_dispatch

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE escalation_notification SET status = 'sent', sent_at = now() WHERE status = 'pending' AND id NOT IN "
            "(SELECT id FROM escalation_notification WHERE status = 'pending' ORDER BY recipient_id, id LIMIT %s)",
            [sample],
        )
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        summary = run_dispatch(as_of=timezone.now())
        elapsed = time.perf_counter() - started
    # The throughput is of outbox rows (what the nightly workflows queue); the dispatcher groups a
    # recipient's rows into one email, so the emails sent are fewer.
    sent, emails = summary["notifications_sent"], summary["emails_sent"]
    rows.append(("backlog", f"dispatch {sent} rows ({emails} emails)", elapsed, counter.count, sent))
    print(f"  dispatch sample: {sent} outbox rows as {emails} emails in {elapsed:.2f} s", flush=True)
    return sent / elapsed if elapsed else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="Do not re-seed.")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        print("The bench runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    ensure_database(url)
    setup(url)
    import datetime as dt

    from django.utils import timezone

    if not args.reuse:
        seed(args.learners, args.courses)
    from assignments.models import Assignment

    assignments = Assignment.objects.count()
    baseline = count_baseline()
    today = timezone.localdate()
    rows: list = []
    print("running the nightly workflows ...", flush=True)
    day = dt.timedelta(days=1)
    backlog_at = timezone.make_aware(dt.datetime.combine(today - day, dt.time(2)))
    night_at = timezone.make_aware(dt.datetime.combine(today, dt.time(2)))
    steady_at = timezone.make_aware(dt.datetime.combine(today + day, dt.time(2)))
    timed_night("backlog", backlog_at, rows)
    rate = dispatch_throughput(3000, rows)
    mark_sent()
    night1, _ = timed_night("night 1", night_at, rows)
    mark_sent()
    night2, queries2 = timed_night("night 2", steady_at, rows)
    mark_sent()
    again, _ = timed_night("again", steady_at, rows)

    print()
    print(f"Nightly workflows over {assignments:,} assignments (PostgreSQL, {os.cpu_count()} cores)")
    print(f"{'run':<8} | {'workflow':<22} | {'wall time':>10} | {'queries':>8} | {'new rows / sent':>15}")
    print("-" * 76)
    for label, name, elapsed, queries, made in rows:
        print(f"{label:<8} | {name:<22} | {elapsed:9.2f}s | {queries:8d} | {'' if made is None else made:>15}")
    print("-" * 76)
    print(f"SELECT count(*) over assignments: {baseline * 1000:.1f} ms (median of 5)")
    print(
        f"whole night (steady, night 2): {night2:.2f} s = {night2 / baseline:.0f} x count(*); "
        f"{queries2} queries = {queries2 / (assignments / 1000):.3f} per 1,000 assignments"
    )
    print(f"night 1 (with the backlog's aftermath): {night1:.2f} s")
    print(f"second run of the same night: {again:.2f} s")
    print(f"dispatch throughput: {rate:.0f} outbox rows/s per dispatcher process (locmem email backend)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
