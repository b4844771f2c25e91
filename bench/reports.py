"""`make bench` (after bench/run.py): the compliance reports over the bench database.

Reuses bench/run.py's seeding: ``--reuse`` keeps the seeded template bench/run.py left
(``lms_bench_seed``) if it has the same size; without it the template is seeded first. Like the
nightly bench it measures ``--runs`` times (default 3), each time on a fresh copy of the template,
and prints min / median / max over the runs of each run's figure (issue 19). Each run shapes two
managers for the measurements, without
changing anyone else: a team leader with exactly 12 direct reports, and a director above as many
heads of department as make about 10,000 people (at 100,000 learners: 10 heads of ~1,000). One
of the other heads (~1,000 people below) is measured counted live ("Count again now"): what a
chain costs just above ``reports.selectors.teams.TEAM_SNAPSHOT_MIN_PEOPLE``, where the nightly
team snapshot takes over.

For each page and export a run's figure is the median wall time of 5 requests through Django's
test Client (logged in with force_login; 3 for the PDF and the director's CSV, 1 for the full CSV
and the XLSX), with the number of queries of one request; the CSV and XLSX exports are read to the
end (streamed, with the peak memory growth of the process while streaming).

Tonight's compliance snapshot (the organisation's counts and the large chains' team counts) is
taken first in each run, timed. Goals: dashboards under 150 ms; the organisation report (counted
live and as of 90 days ago) and the lapse forecast under 1 s (issue 19); the full CSV under 30 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as bench_run  # noqa: E402  (bench/run.py: database, seeding, query counter)

DIRECTOR_EMAIL = "reports-director@bench.example"
TARGET_BELOW = 10_000


def shape_managers() -> tuple[int, int, int]:
    """(team leader id, director id, people below the director), idempotently."""
    from django.db import connection, transaction

    from lms.models import User
    from lms.selectors import users_below

    with transaction.atomic():
        heads = list(
            User.objects.filter(manager_id=1, reports__isnull=False)
            .exclude(email=DIRECTOR_EMAIL)
            .distinct()
            .order_by("pk")
        )
        director = User.objects.filter(email=DIRECTOR_EMAIL).first()
        if director is None:
            director = User.objects.create(
                email=DIRECTOR_EMAIL, first_name="Bench", last_name="Director", manager_id=1, password="!"
            )
            below_per_head = max(1, users_below(heads[0]).count()) if heads else 1
            # At least one head stays outside the director's chain (measured counted live below).
            wanted = max(1, min(len(heads) - 1, -(-TARGET_BELOW // below_per_head)))
            User.objects.filter(pk__in=[h.pk for h in heads[:wanted]]).update(manager=director)
        # A team leader: the first person with direct reports below a head; give them exactly 12.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT manager_id FROM lms_user WHERE manager_id > 101 GROUP BY manager_id ORDER BY manager_id LIMIT 1"
            )
            lead_id = cursor.fetchone()[0]
        team = list(User.objects.filter(manager_id=lead_id).order_by("pk").values_list("pk", flat=True))
        if len(team) < 12:
            spare = (
                User.objects.filter(manager_id__gt=lead_id + 1, reports__isnull=True)
                .exclude(pk__in=team)
                .order_by("pk")
                .values_list("pk", flat=True)[: 12 - len(team)]
            )
            User.objects.filter(pk__in=list(spare)).update(manager_id=lead_id)
        elif len(team) > 12:
            User.objects.filter(pk__in=team[12:]).update(manager_id=lead_id + 1)
    below = users_below(director).count()
    return lead_id, director.pk, below


def measure(
    client,
    run: int,
    label: str,
    url: str,
    rows: list,
    *,
    runs: int = 5,
    stream: bool = False,
    goal: float | None = None,
) -> None:
    from django.db import connection

    times = []
    queries = 0
    peak_growth = 0
    size = 0
    for index in range(runs):
        counter = bench_run.QueryCounter()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = client.get(url)
            if stream and hasattr(response, "streaming_content"):
                size = 0
                for chunk in response.streaming_content:
                    size += len(chunk)
            else:
                size = len(response.content)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        peak_growth = max(peak_growth, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        if index == 0:
            queries = counter.count
    median = statistics.median(times)
    rows.append((run, label, median, queries, size, peak_growth, goal))
    print(f"  {label:<50} {median * 1000:10.1f} ms {queries:5d} queries {size / 1e6:8.2f} MB", flush=True)


def one_run(run: int, courses: int, csv_runs: int, rows: list) -> float:
    """Every page and export once (each a median of its requests); the snapshot's seconds."""
    from django.test import Client
    from django.utils import timezone

    from assignments.models import Assignment
    from lms.models import User
    from lms.selectors import users_below
    from reports.exports import XLSX_DETAIL_ROWS
    from reports.models import ComplianceSnapshot, TeamSnapshot
    from reports.services import run_compliance_snapshot

    lead_id, director_id, below = shape_managers()
    head = (
        User.objects.filter(manager_id=1, reports__isnull=False)
        .exclude(email=DIRECTOR_EMAIL)
        .distinct()
        .order_by("-pk")
        .first()
    )
    head_below = users_below(head).count()
    admin, _ = User.objects.get_or_create(
        email="reports-admin@bench.example",
        defaults={"first_name": "Bench", "last_name": "Admin", "is_staff": True, "password": "!"},
    )
    # Tonight's snapshot as the nightly job takes it (the managers were reshaped).
    today = timezone.localdate()
    ComplianceSnapshot.objects.filter(day=today).delete()
    TeamSnapshot.objects.filter(day=today).delete()
    snapshot_started = time.perf_counter()
    run_compliance_snapshot(as_of=timezone.now())
    snapshot_time = time.perf_counter() - snapshot_started
    assignments = Assignment.objects.filter(archived_at=None).count()

    lead, director = User.objects.get(pk=lead_id), User.objects.get(pk=director_id)
    print(f"reports over {assignments:,} active assignments; director has {below:,} people below", flush=True)
    client = Client()
    client.force_login(lead)
    measure(client, run, "dashboard: team leader, 12 direct reports", "/reports/team/", rows, goal=0.15)
    client.force_login(director)
    everyone = f"dashboard: director, {below:,} below"
    measure(client, run, f"{everyone} (team snapshot)", "/reports/team/?scope=all", rows, goal=0.15)
    measure(client, run, f"{everyone}, counted live", "/reports/team/?scope=all&live=1", rows)
    measure(client, run, f"{everyone}, overdue list", "/reports/team/?scope=all&state=overdue", rows)
    client.force_login(head)
    measure(
        client, run, f"dashboard: head, {head_below:,} below, counted live", "/reports/team/?scope=all&live=1", rows
    )
    client.force_login(admin)
    measure(client, run, "organisation report (tonight's snapshot)", "/reports/organisation/", rows, goal=1.0)
    measure(client, run, "organisation report, counted live", "/reports/organisation/?live=1", rows, goal=1.0)
    measure(client, run, "organisation report, drill-down (page 1)", "/reports/organisation/?state=overdue", rows)
    measure(
        client,
        run,
        "organisation report as of 90 days ago",
        f"/reports/organisation/?as_of={timezone.localdate() - dt.timedelta(days=90)}",
        rows,
        goal=1.0,
    )
    measure(client, run, "lapse forecast", "/reports/forecast/", rows, goal=1.0)
    measure(client, run, "PDF export (summaries + first 200 rows)", "/reports/organisation/export.pdf", rows, runs=3)
    client.force_login(director)
    measure(
        client,
        run,
        f"CSV export: director's {below * courses:,} rows",
        "/reports/team/export.csv?scope=all",
        rows,
        runs=3,
        stream=True,
    )
    client.force_login(admin)
    measure(
        client,
        run,
        f"CSV export: all {assignments:,} rows",
        "/reports/organisation/export.csv",
        rows,
        runs=csv_runs,
        stream=True,
        goal=30.0,
    )
    measure(
        client,
        run,
        f"XLSX export: first {XLSX_DETAIL_ROWS:,} of {assignments:,} rows",
        "/reports/organisation/export.xlsx",
        rows,
        runs=1,
        stream=True,
    )
    return snapshot_time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="Keep bench/run.py's seeded template (same size).")
    parser.add_argument("--csv-runs", type=int, default=1, help="Requests of the full CSV export per run (default 1).")
    args = parser.parse_args(argv)

    url = os.environ.get("BENCH_DATABASE_URL", bench_run.DEFAULT_URL)
    if not url.startswith("postgres"):
        print("The bench runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    if args.reuse and bench_run.template_matches(url, args.learners, args.courses, True):
        print(f"reusing the seeded template {bench_run.template_name(url)}", flush=True)
        bench_run.configure(url)
    else:
        bench_run.seed_template(url, args.learners, args.courses)

    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    rows: list = []
    snapshots = []
    for run in range(1, args.runs + 1):
        copied = bench_run.fresh_copy(url)
        print(f"run {run} of {args.runs}: a fresh copy of {bench_run.template_name(url)} ({copied:.1f} s)", flush=True)
        snapshots.append(one_run(run, args.courses, args.csv_runs, rows))

    print()
    print(
        f"Compliance reports, {args.runs} runs on fresh copies of the seeded database (PostgreSQL, {os.cpu_count()} cores)"
    )
    header = (
        f"{'page / export':<52} | {'min / median / max':>26} | {'queries':>7} | {'size':>9} | "
        f"{'peak RSS growth':>15} | goal (median)"
    )
    print(header)
    print("-" * len(header))
    by_label: dict[str, list] = {}
    for _run, label, median, queries, size, growth, goal in rows:
        by_label.setdefault(label, []).append((median, queries, size, growth, goal))
    for label, values in by_label.items():
        medians = [v[0] for v in values]
        middle = statistics.median(medians)
        goal = values[0][4]
        verdict = "" if goal is None else f"< {goal * 1000:,.0f} ms: {'met' if middle < goal else 'NOT met'}"
        spread = " / ".join(f"{m * 1000:,.0f}" for m in (min(medians), middle, max(medians))) + " ms"
        print(
            f"{label:<52} | {spread:>26} | {values[0][1]:7d} | {values[0][2] / 1e6:7.2f}MB | "
            f"{max(v[3] for v in values) / 1024:12.1f} MB | {verdict}"
        )
    print("-" * len(header))
    print(
        "nightly compliance snapshot: "
        + " / ".join(f"{t:.2f}" for t in (min(snapshots), statistics.median(snapshots), max(snapshots)))
        + " s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
