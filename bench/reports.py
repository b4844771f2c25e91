"""`make bench` (after bench/run.py): the compliance reports over the bench database.

Reuses bench/run.py's database and seeding (``--reuse`` keeps an already seeded database; without
it the database is seeded first). It then shapes two managers for the measurements, without
changing anyone else: a team leader with exactly 12 direct reports, and a director above as many
heads of department as make about 10,000 people (at 100,000 learners: 10 heads of ~1,000). One
of the other heads (~1,000 people below) is measured counted live ("Count again now"): what a
chain costs just above ``reports.selectors.teams.TEAM_SNAPSHOT_MIN_PEOPLE``, where the nightly
team snapshot takes over.

For each page and export it prints the median wall time of 5 requests through Django's test
Client (logged in with force_login) and the number of queries of one request; the CSV and XLSX
exports are read to the end (streamed, with the peak memory growth of the process while streaming).

Tonight's compliance snapshot (the organisation's counts and the large chains' team counts) is
taken again before measuring, timed. Goals: dashboards under 150 ms, the organisation report under
1 s, the full CSV under 30 s.
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
        heads = list(User.objects.filter(manager_id=1).exclude(email=DIRECTOR_EMAIL).order_by("pk"))
        director = User.objects.filter(email=DIRECTOR_EMAIL).first()
        if director is None:
            director = User.objects.create(
                email=DIRECTOR_EMAIL, first_name="Bench", last_name="Director", manager_id=1, password="!"
            )
            below_per_head = max(1, users_below(heads[0]).count()) if heads else 1
            wanted = min(len(heads), -(-TARGET_BELOW // below_per_head))
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
    client, label: str, url: str, rows: list, *, runs: int = 5, stream: bool = False, goal: float | None = None
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
    rows.append((label, median, queries, size, peak_growth, goal))
    print(f"  {label:<50} {median * 1000:10.1f} ms {queries:5d} queries {size / 1e6:8.2f} MB", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="Do not re-seed (bench/run.py has just seeded).")
    parser.add_argument("--csv-runs", type=int, default=1, help="Runs of the full CSV export (default 1).")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", bench_run.DEFAULT_URL)
    if not url.startswith("postgres"):
        print("The bench runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    bench_run.ensure_database(url)
    bench_run.setup(url)
    if not args.reuse:
        bench_run.seed(args.learners, args.courses)

    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from assignments.models import Assignment
    from lms.models import User
    from lms.selectors import users_below
    from reports.exports import XLSX_DETAIL_ROWS
    from reports.models import ComplianceSnapshot, TeamSnapshot
    from reports.services import run_compliance_snapshot

    settings.ALLOWED_HOSTS = ["*"]
    lead_id, director_id, below = shape_managers()
    head = User.objects.filter(manager_id=1).exclude(email=DIRECTOR_EMAIL).order_by("-pk").first()
    head_below = users_below(head).count()
    admin, _ = User.objects.get_or_create(
        email="reports-admin@bench.example",
        defaults={"first_name": "Bench", "last_name": "Admin", "is_staff": True, "password": "!"},
    )
    # Tonight's snapshot as the nightly job takes it (again, after a --reuse: the managers were reshaped).
    today = timezone.localdate()
    ComplianceSnapshot.objects.filter(day=today).delete()
    TeamSnapshot.objects.filter(day=today).delete()
    snapshot_started = time.perf_counter()
    run_compliance_snapshot(as_of=timezone.now())
    snapshot_time = time.perf_counter() - snapshot_started
    assignments = Assignment.objects.filter(archived_at=None).count()

    lead, director = User.objects.get(pk=lead_id), User.objects.get(pk=director_id)
    rows: list = []
    print(f"reports over {assignments:,} active assignments; director has {below:,} people below", flush=True)
    client = Client()
    client.force_login(lead)
    measure(client, "dashboard: team leader, 12 direct reports", "/reports/team/", rows, goal=0.15)
    client.force_login(director)
    everyone = f"dashboard: director, {below:,} below"
    measure(client, f"{everyone} (team snapshot)", "/reports/team/?scope=all", rows, goal=0.15)
    measure(client, f"{everyone}, counted live", "/reports/team/?scope=all&live=1", rows)
    measure(client, f"{everyone}, overdue list", "/reports/team/?scope=all&state=overdue", rows)
    client.force_login(head)
    measure(client, f"dashboard: head, {head_below:,} below, counted live", "/reports/team/?scope=all&live=1", rows)
    client.force_login(admin)
    measure(client, "organisation report (tonight's snapshot)", "/reports/organisation/", rows, goal=1.0)
    measure(client, "organisation report, counted live", "/reports/organisation/?live=1", rows, goal=1.0)
    measure(client, "organisation report, drill-down (page 1)", "/reports/organisation/?state=overdue", rows)
    measure(
        client,
        "organisation report as of 90 days ago",
        f"/reports/organisation/?as_of={timezone.localdate() - dt.timedelta(days=90)}",
        rows,
    )
    measure(client, "lapse forecast", "/reports/forecast/", rows)
    measure(client, "PDF export (summaries + first 200 rows)", "/reports/organisation/export.pdf", rows, runs=3)
    client.force_login(director)
    measure(
        client,
        f"CSV export: director's {below * args.courses:,} rows",
        "/reports/team/export.csv?scope=all",
        rows,
        runs=3,
        stream=True,
    )
    client.force_login(admin)
    measure(
        client,
        f"CSV export: all {assignments:,} rows",
        "/reports/organisation/export.csv",
        rows,
        runs=args.csv_runs,
        stream=True,
        goal=30.0,
    )
    measure(
        client,
        f"XLSX export: first {XLSX_DETAIL_ROWS:,} of {assignments:,} rows",
        "/reports/organisation/export.xlsx",
        rows,
        runs=1,
        stream=True,
    )

    print()
    print(f"Compliance reports over {assignments:,} assignments (PostgreSQL, {os.cpu_count()} cores)")
    header = f"{'page / export':<52} | {'median':>10} | {'queries':>7} | {'size':>9} | {'peak RSS growth':>15} | goal"
    print(header)
    print("-" * len(header))
    for label, median, queries, size, growth, goal in rows:
        verdict = "" if goal is None else f"< {goal * 1000:,.0f} ms: {'met' if median < goal else 'NOT met'}"
        print(
            f"{label:<52} | {median * 1000:8.1f}ms | {queries:7d} | {size / 1e6:7.2f}MB | {growth / 1024:12.1f} MB"
            f" | {verdict}"
        )
    print("-" * len(header))
    print(f"nightly compliance snapshot: {snapshot_time:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
