"""`make bench` (after bench/run.py and bench/reports.py): CSV import throughput.

For each size (10,000 and 100,000 lines; ``--sizes`` to choose) it starts from an empty
organisation in a database of its own (``lms_bench_imports`` on PostgreSQL, created if missing;
``BENCH_IMPORTS_DATABASE_URL`` to choose another, e.g. ``sqlite:////tmp/bench-imports.sqlite3``),
then runs the three import commands in turn, each timed as a whole (read the file, check every
line, write in one transaction):

- users: N new people in 20 departments, each with a manager named in the same file (a director,
  then teams of ten);
- assignments: one course for each of those N people, which queues N assignment notices;
- completions: N lines of history from another system, for a second course with an expiry.

It prints one table: wall time, lines per second and query count for each kind and size. The
settings are the project's (DEBUG as the environment says: on by default, as on a first run).
Sending is measured apart, as the imports leave it: the dispatcher sends 1,000 of the assignment
notices (locmem backend, one mail connection) and the rest are marked sent. Wall and CPU time
are both given: CPU time is what the process itself spent, whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as bench_run  # noqa: E402  (bench/run.py: database, setup, query counter)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lms_bench_imports"
DISPATCH_SAMPLE = 1000
TEAM = 10
USERS_HEADER = "email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"


def email(i: int) -> str:
    return f"p{i}@imports.bench.example"


def write_files(folder: Path, n: int) -> dict[str, Path]:
    """The three CSV files for ``n`` people: person 0 is the director; person i (i >= 1) reports to
    person (i - 1) // TEAM, so every manager is in the file and the chart is a few levels deep."""
    zones = ("Europe/London", "Europe/Berlin", "America/New_York")
    users = [USERS_HEADER]
    for i in range(n):
        manager = email((i - 1) // TEAM) if i else ""
        users.append(
            f"{email(i)},First{i},Last{i},E{i:07d},{manager},Department {i % 20},Analyst,"
            f"20{10 + i % 15}-0{1 + i % 9}-1{i % 10},{zones[i % 3]}\n"
        )
    assignments = ["email,course_code,action,due_date\n"]
    assignments += [f"{email(i)},BENCH-IMPORT-1,assign,2099-0{1 + i % 9}-15\n" for i in range(n)]
    completions = ["email,course_code,completed_at,score,certificate_number\n"]
    completions += [
        f"{email(i)},BENCH-IMPORT-2,20{20 + i % 5}-0{1 + i % 9}-1{i % 10},{60 + i % 41},\n" for i in range(n)
    ]
    paths = {}
    for kind, lines in (("users", users), ("assignments", assignments), ("completions", completions)):
        paths[kind] = folder / f"{kind}-{n}.csv"
        paths[kind].write_text("".join(lines), encoding="utf-8")
    return paths


def reset(url: str, template: Path | None) -> None:
    """An empty organisation (the schema and what the migrations seed stay), plus the two courses."""
    from django.db import connection

    if template is not None:  # SQLite: a copy of the freshly migrated file
        connection.close()
        shutil.copyfile(template, url.split("sqlite:///", 1)[1])
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE lms_auditentry, escalation_notification, escalation_escalationevent, "
                "assignments_completion, assignments_assignment, assignments_importjob, courses_course, "
                "lms_user, lms_department RESTART IDENTITY CASCADE"
            )
        from escalation.services import policy_ensure_default

        policy_ensure_default()  # TRUNCATE ... CASCADE through the compliance officer removed it
    from courses.models import Course

    Course.objects.create(code="BENCH-IMPORT-1", title="Bench import course", status=Course.Status.PUBLISHED)
    Course.objects.create(
        code="BENCH-IMPORT-2", title="Bench history course", status=Course.Status.PUBLISHED, recertification_months=24
    )


def timed_import(kind: str, path: Path) -> tuple[float, float, int, str]:
    from django.core.management import call_command
    from django.db import connection

    out = io.StringIO()
    counter = bench_run.QueryCounter()
    with connection.execute_wrapper(counter):
        started, cpu = time.perf_counter(), time.process_time()
        call_command(f"import_{kind}", str(path), stdout=out, stderr=out)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return elapsed, cpu, counter.count, out.getvalue().splitlines()[0][:100]


def timed_dispatch() -> tuple[int, float, float]:
    """Send DISPATCH_SAMPLE of the pending notices; mark the others sent."""
    from django.utils import timezone

    from escalation.dispatch import run_dispatch
    from escalation.models import Notification

    pending = Notification.objects.filter(status=Notification.Status.PENDING)
    # The assignment notices only (the users import also queued each person's invitation to set a password).
    notices = pending.filter(kind=Notification.Kind.ASSIGNED)
    keep = list(notices.order_by("recipient_id", "pk").values_list("pk", flat=True)[:DISPATCH_SAMPLE])
    pending.exclude(pk__in=keep).update(status=Notification.Status.SENT, sent_at=timezone.now())
    started, cpu = time.perf_counter(), time.process_time()
    result = run_dispatch(as_of=timezone.now())
    return result["emails_sent"], time.perf_counter() - started, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="Comma-separated line counts (default 10000,100000).")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    url = os.environ.get("BENCH_IMPORTS_DATABASE_URL", DEFAULT_URL)
    template = None
    if url.startswith("postgres"):
        bench_run.ensure_database(url)
    elif url.startswith("sqlite:///"):
        Path(url.split("sqlite:///", 1)[1]).unlink(missing_ok=True)
    else:
        print("BENCH_IMPORTS_DATABASE_URL must be postgres://... or sqlite:///...", file=sys.stderr)
        return 2
    bench_run.setup(url)
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        template = Path(tempfile.mkdtemp(prefix="bench-imports-")) / "migrated.sqlite3"
        connection.close()
        shutil.copyfile(url.split("sqlite:///", 1)[1], template)

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as folder:
        for n in sizes:
            print(f"{n:,} lines: writing the files, emptying the database ...", flush=True)
            paths = write_files(Path(folder), n)
            reset(url, template)
            for kind in ("users", "assignments", "completions"):
                elapsed, cpu, queries, said = timed_import(kind, paths[kind])
                rows.append((kind, n, elapsed, cpu, queries))
                print(f"  {kind:<12} {elapsed:8.2f} s (CPU {cpu:.2f} s) {queries:6d} queries  {said}", flush=True)
                if kind == "assignments":
                    sent, took, cpu = timed_dispatch()
                    rows.append((f"  then dispatch {sent:,}", n, took, cpu, None))
                    print(f"  dispatch: {sent} emails in {took:.2f} s (CPU {cpu:.2f} s)", flush=True)
    if template is not None:
        shutil.rmtree(template.parent, ignore_errors=True)

    print()
    print(
        f"CSV imports ({connection.vendor}, DEBUG={'on' if settings.DEBUG else 'off'}, {os.cpu_count()} cores): "
        "the command's whole run, one transaction"
    )
    print(f"{'import':<22} | {'lines':>8} | {'wall time':>10} | {'CPU':>8} | {'lines/s':>8} | {'queries':>7}")
    print("-" * 79)
    for kind, n, elapsed, cpu, queries in rows:
        if queries is None:  # sending, apart from the import: emails per second
            sent = int(kind.split()[-1].replace(",", ""))
            print(f"{kind:<22} | {'':>8} | {elapsed:9.2f}s | {cpu:7.2f}s | {sent / elapsed:8.0f} | {'':>7}")
            continue
        print(f"{kind:<22} | {n:8,} | {elapsed:9.2f}s | {cpu:7.2f}s | {n / elapsed:8.0f} | {queries:7d}")
    print("-" * 79)
    print(
        f"sending is apart from the import: one dispatcher run sends {DISPATCH_SAMPLE:,} of the assignment "
        "notices (emails/s in the lines/s column)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
