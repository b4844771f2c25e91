"""`make bench-load`: simulated learners and managers against the production server (issue 18).

What runs, all on this machine over loopback, as the README's "Production" section deploys it:
gunicorn with ``gunicorn.conf.py`` and ``lms.settings_production`` (sessions and cache in Redis,
WhiteNoise's hashed static files), PostgreSQL holding the bench's organisation (bench/run.py's seeded
template: 100,000 people, 1,000,000 assignments), and Locust (bench/locustfile.py) as the people.

The database. A copy of bench/run.py's template (seeded first when missing) gets what the template
lacks for people to click through: two modules and a five-question final quiz in each course, and a
password for the learners and team leaders the simulation signs in as (one Argon2id hash, as
``lms.hashers`` makes). That prepared copy is kept as ``<name>_ready`` and every profile starts from
a fresh copy of it, so the second profile does not see the first one's attempts.

The profiles (bench/locustfile.py says what each simulated person does):

- ``ramp``: learners (and 2 % team leaders) added at ``--spawn-rate`` a second up to ``--users``
  (default 2,000 at 5 a second), then held for ``--hold`` seconds, thinking 30-90 s between pages;
- ``sync``: ``--sync-users`` learners (default 1,000) arriving within ``--sync-seconds`` (60) from
  an announcement's link to the same course: the login page, signing in (3-10 s to type), back to
  the course, straight to its quiz (3-10 s to read), then 30-90 s between answers.

It prints, per profile and per page: requests, failures, p50 / p95 / p99 latency (ms) and requests a
second; overall the same; the server's CPU (percent of one core; gunicorn's processes, PostgreSQL's,
Redis and Locust's apart) and memory; and the knee: the number of people at which the p95 of Locust's
10-second window first passed 500 ms (``none`` when it never did).

Options: ``--profiles ramp,sync``, ``--users``, ``--spawn-rate``, ``--hold``, ``--sync-users``,
``--sync-seconds``, ``--think MIN,MAX`` (seconds between pages), ``--typing MIN,MAX`` (seconds to
type a password or read a page before the next click, in the synchronised start's first steps), ``--learners``/``--courses`` (the template's
size), ``--workers``/``--threads`` (override gunicorn.conf.py, to compare), ``--port``.
``--tiny`` is the test's version (lms/tests/test_load_bench.py): a 300-person organisation, 6 people
for a few seconds, thinking 0.1-0.3 s; it must finish with no failure.
BENCH_LOAD_DATABASE_URL chooses the database (default postgres://postgres@127.0.0.1:5432/lms_load),
BENCH_LOAD_CACHE_URL the Redis database of the cache and sessions (default redis://127.0.0.1:6379/9),
BENCH_LOAD_BROKER_URL Celery's (default redis://127.0.0.1:6379/10; one worker process runs the tasks).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import run as nightly  # noqa: E402  (bench/run.py: the seeded template and its helpers)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lms_load"
DEFAULT_CACHE = "redis://127.0.0.1:6379/9"
DEFAULT_BROKER = "redis://127.0.0.1:6379/10"
PASSWORD = "load-bench-passphrase-2026"
KNEE_MS = 500
PAGES = (
    "course from the email",
    "login page",
    "sign in",
    "home",
    "course",
    "module",
    "module done",
    "quiz start",
    "attempt page",
    "answer saved",
    "quiz submit",
    "result",
    "certificate PDF",
    "history",
    "team dashboard",
    "team export CSV",
)


def ready_name(url: str) -> str:
    return nightly._name(url) + "_ready"


def copy_database(url: str, name: str, template: str) -> None:
    with nightly._admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        nightly._copy(conn, name, template)


def prepare(url: str, learners_wanted: int, managers_wanted: int) -> dict:
    """Course content and passwords in ``url``'s database; the people file's contents."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from courses.models import Choice, Course, Module, Question, Quiz

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        for course in Course.objects.order_by("pk"):
            Module.objects.bulk_create(
                Module(
                    course=course,
                    key=f"part-{n}",
                    order=n,
                    title=f"Part {n} of {course.title}",
                    body="<p>" + "What the policy asks of you, and why. " * 40 + "</p>",
                )
                for n in (1, 2)
            )
            quiz = Quiz.objects.get(course=course, kind=Quiz.Kind.FINAL)
            questions = Question.objects.bulk_create(
                Question(quiz=quiz, order=n, text=f"Question {n}: which of these does the policy ask?")
                for n in range(1, 6)
            )
            Choice.objects.bulk_create(
                Choice(question=question, order=k, text=f"Answer {k}", is_correct=k == 1)
                for question in questions
                for k in (1, 2, 3)
            )
        correct = list(Choice.objects.filter(is_correct=True).values_list("pk", flat=True))
        with connection.cursor() as cursor:
            # Learners (not team leaders or above) with a course to do: the first such course each.
            cursor.execute(
                "SELECT DISTINCT ON (a.learner_id) u.id, u.email, a.id, a.course_id FROM assignments_assignment a "
                "JOIN lms_user u ON u.id = a.learner_id WHERE a.archived_at IS NULL AND u.is_active "
                "AND a.status IN ('assigned', 'in_progress') AND NOT EXISTS (SELECT 1 FROM lms_user r "
                "WHERE r.manager_id = u.id) ORDER BY a.learner_id, a.course_id LIMIT %s",
                [learners_wanted],
            )
            rows = cursor.fetchall()
            learners = [{"email": e, "assignment": a, "course": c} for _u, e, a, c in rows]
            learner_ids = [row[0] for row in rows]
            cursor.execute(
                "SELECT u.id, u.email FROM lms_user u WHERE u.is_active AND u.manager_id IS NOT NULL AND EXISTS "
                "(SELECT 1 FROM lms_user r WHERE r.manager_id = u.id) AND NOT EXISTS (SELECT 1 FROM lms_user r "
                "JOIN lms_user rr ON rr.manager_id = r.id WHERE r.manager_id = u.id) ORDER BY u.id LIMIT %s",
                [managers_wanted],
            )
            rows = cursor.fetchall()
            managers = [{"email": e} for _u, e in rows]
            cursor.execute(
                "UPDATE lms_user SET password = %s WHERE id = ANY(%s)",
                [make_password(PASSWORD), learner_ids + [row[0] for row in rows]],
            )
    connection.close()
    # The synchronised start: everyone on the same course (the first), as after one announcement.
    first_course = min(learner["course"] for learner in learners)
    return {
        "password": PASSWORD,
        "learners": learners,
        "sync_learners": [learner for learner in learners if learner["course"] == first_course],
        "managers": managers,
        "correct_choices": correct,
    }


def ready_template(url: str, args) -> dict:
    """The prepared template (``<name>_ready``) and the people file's contents."""
    # bench/run.py's template when it has this size (make bench made it, or this makes it for both);
    # the tiny test's organisation in a template of its own, never over the bench's.
    seed_url = os.environ.get("BENCH_DATABASE_URL", nightly.DEFAULT_URL)
    if args.tiny:
        seed_url = url.rsplit("/", 1)[0] + "/" + nightly._name(url) + "_base"
    if not nightly.template_matches(seed_url, args.learners, args.courses, True):
        # In a process of its own: Django is set up once per process, and this one works on ``url``.
        code = (
            f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'bench')!r}]; import run; "
            f"run.seed_template({seed_url!r}, {args.learners}, {args.courses})"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    work = url
    copy_database(url, nightly._name(work), nightly.template_name(seed_url))
    nightly.configure(work)
    people = prepare(work, learners_wanted=max(args.users, 3 * args.sync_users) + 500, managers_wanted=200)
    with nightly._admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ready_name(url)}" WITH (FORCE)')
        nightly._copy(conn, ready_name(url), nightly._name(work))
    return people


class Sampler(threading.Thread):
    """CPU (percent of one core) and resident memory of the server's processes every 2 s."""

    GROUPS = ("gunicorn", "celery", "postgres", "redis", "locust")

    def __init__(self, gunicorn_pid: int, celery_pid: int):
        super().__init__(daemon=True)
        self.gunicorn_pid = gunicorn_pid
        self.celery_pid = celery_pid
        self.samples: list[dict] = []
        self.done = threading.Event()
        self.processes: dict = {}

    def _group(self, process) -> str | None:
        import psutil

        try:
            parents = [process.pid] + [p.pid for p in process.parents()]
            if self.gunicorn_pid in parents:
                return "gunicorn"
            if self.celery_pid in parents:
                return "celery"
            name = process.name()
            if name.startswith("postgres"):
                return "postgres"
            if name.startswith("redis"):
                return "redis"
            if "locust" in " ".join(process.cmdline()[:3]):
                return "locust"
        except psutil.Error:  # gone, a zombie, or not ours to read
            return None
        return None

    def run(self) -> None:
        import psutil

        while not self.done.wait(2):
            sample = {group: [0.0, 0] for group in self.GROUPS}
            for process in psutil.process_iter():
                known = self.processes.get(process.pid)
                if known is None:
                    group = self._group(process)
                    if group is None:
                        continue
                    self.processes[process.pid] = known = (process, group)
                    try:
                        process.cpu_percent()
                    except psutil.Error:
                        pass
                    continue
                try:
                    sample[known[1]][0] += known[0].cpu_percent()
                    sample[known[1]][1] += known[0].memory_info().rss
                except psutil.Error:
                    continue
            self.samples.append(sample)

    def summary(self) -> dict[str, tuple[float, float, float]]:
        """Per group: mean CPU %, peak CPU %, peak memory (MiB)."""
        out = {}
        for group in self.GROUPS:
            cpu = [s[group][0] for s in self.samples] or [0.0]
            rss = [s[group][1] for s in self.samples] or [0]
            out[group] = (statistics.mean(cpu), max(cpu), max(rss) / 2**20)
        return out


def server_env(url: str, cache_url: str, port: int, static_root: str, args) -> dict[str, str]:
    """The production settings' environment, as README "Production" sets it, on loopback."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings_production",
        "SECRET_KEY": "load-bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": url,
        "CACHE_URL": cache_url,
        "SECURE_SSL_REDIRECT": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "STATIC_ROOT": static_root,
        "MEDIA_ROOT": str(Path(static_root).parent / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        # Tasks (emails, the failure notices) go to a Celery worker through Redis, as in production.
        "CELERY_BROKER_URL": args.broker_url,
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    if args.worker_class:
        env["GUNICORN_WORKER_CLASS"] = args.worker_class
    return env


def gunicorn_settings(env: dict[str, str]) -> str:
    """gunicorn.conf.py's workers, worker class and threads under ``env``, in words."""
    import runpy
    from unittest import mock

    with mock.patch.dict(os.environ, env):
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    threads = f" of {config['threads']} threads" if config["worker_class"] == "gthread" else ""
    return f"gunicorn {config['workers']} {config['worker_class']} workers{threads}"


def start_worker(env: dict[str, str], work: Path) -> subprocess.Popen:
    """One Celery worker process (one task at a time), on this machine like everything else."""
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "lms", "worker", "--concurrency", "1", "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "celery.log", "w"),
    )


def start_server(env: dict[str, str], port: int, static_root: str) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "lms.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(static_root).parent / "gunicorn.log", "w"),
    )
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer on port {port}: see {Path(static_root).parent / 'gunicorn.log'}")


def collectstatic(static_root: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings_production",
        "SECRET_KEY": "load-bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": static_root,
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def run_profile(profile: str, url: str, people_file: str, work: str, args) -> dict:
    copy_database(url, nightly._name(url), ready_name(url))
    for redis_url in (args.cache_url, args.broker_url):
        subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=False, stdout=subprocess.DEVNULL)
    env = server_env(url, args.cache_url, args.port, str(Path(work) / "static"), args)
    server_config = gunicorn_settings(env)
    server = start_server(env, args.port, str(Path(work) / "static"))
    worker = start_worker(env, Path(work))
    sampler = Sampler(server.pid, worker.pid)
    sampler.start()
    users = args.users if profile == "ramp" else args.sync_users
    env = {
        **os.environ,
        "LOAD_PEOPLE": people_file,
        "LOAD_PROFILE": profile,
        "LOAD_USERS": str(users),
        "LOAD_SPAWN_RATE": str(args.spawn_rate),
        "LOAD_SPAWN_SECONDS": str(args.sync_seconds),
        "LOAD_HOLD_SECONDS": str(args.hold),
        "LOAD_THINK_MIN": str(args.think[0]),
        "LOAD_THINK_MAX": str(args.think[1]),
        "LOAD_TYPING_MIN": str(args.typing[0]),
        "LOAD_TYPING_MAX": str(args.typing[1]),
        "LOAD_MANAGER_SHARE": str(args.manager_share),
    }
    prefix = str(Path(work) / profile)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        subprocess.run(
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                str(ROOT / "bench/locustfile.py"),
                "--headless",
                "--host",
                f"http://127.0.0.1:{args.port}",
                "--csv",
                prefix,
                "--csv-full-history",
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "10",
            ],
            cwd=ROOT,
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=open(prefix + "-locust.log", "w"),
        )
    finally:
        elapsed = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        for process in (server, worker):
            process.send_signal(signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    return {
        "profile": profile,
        "users": users,
        "prefix": prefix,
        "elapsed": elapsed,
        "cpu": sampler.summary(),
        "load_before": load_before,
        "server": server_config,
    }


def _stats(prefix: str) -> list[dict]:
    with open(prefix + "_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def knee(prefix: str) -> int | None:
    """People at which the 10-second window's p95 first passed KNEE_MS (None: never)."""
    with open(prefix + "_stats_history.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] != "Aggregated" or row["95%"] in ("N/A", ""):
                continue
            if float(row["95%"]) > KNEE_MS:
                return int(row["User Count"])
    return None


def _shed(prefix: str) -> int:
    path = prefix + "_failures.csv"
    if not os.path.exists(path):
        return 0
    with open(path, newline="") as handle:
        return sum(int(row["Occurrences"]) for row in csv.DictReader(handle) if "503" in row["Error"])


def curve(prefix: str, every: int = 60) -> list[tuple[int, int, float, str, str]]:
    """Every ``every`` seconds of the run: (seconds, people, requests/s, p50, p95) of Locust's
    10-second window then."""
    rows = []
    with open(prefix + "_stats_history.csv", newline="") as handle:
        history = [row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"]
    if not history:
        return rows
    start = int(history[0]["Timestamp"])
    next_at = 0
    for row in history:
        at = int(row["Timestamp"]) - start
        if at >= next_at:
            rows.append((at, int(row["User Count"]), float(row["Requests/s"]), row["50%"], row["95%"]))
            next_at = at + every
    return rows


def report(result: dict) -> tuple[int, int]:
    rows = _stats(result["prefix"])
    order = {name: i for i, name in enumerate(PAGES)}
    rows.sort(key=lambda row: (row["Name"] == "Aggregated", order.get(row["Name"], 99)))
    print()
    print(
        f"Profile {result['profile']}: {result['users']:,} people, {result['elapsed']:.0f} s "
        f"({result['server']}; {os.cpu_count()} cores; server, database and Locust on this machine)"
    )
    header = f"{'page':<18} | {'requests':>8} | {'failures':>8} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | {'req/s':>6}"
    print(header)
    print("-" * len(header))
    total = failures = 0
    for row in rows:
        name = "overall" if row["Name"] == "Aggregated" else row["Name"]
        if name == "overall":
            print("-" * len(header))
            total, failures = int(row["Request Count"]), int(row["Failure Count"])
        print(
            f"{name:<18} | {int(row['Request Count']):>8,} | {int(row['Failure Count']):>8,} | "
            f"{row['50%']:>7} | {row['95%']:>7} | {row['99%']:>7} | {float(row['Requests/s']):>6.1f}"
        )
    found = knee(result["prefix"])
    print(
        f"knee: the p95 of a 10 s window first passed {KNEE_MS} ms at {found:,} of {result['users']:,} people"
        if found
        else f"knee: none, the p95 of every 10 s window stayed under {KNEE_MS} ms up to {result['users']:,} people"
    )
    print(
        "the curve (Locust's 10 s window, each minute): "
        + "; ".join(
            f"{at} s {people:,} people {rate:.0f} req/s p50 {p50} p95 {p95} ms"
            for at, people, rate, p50, p95 in curve(result["prefix"])
        )
    )
    shed = _shed(result["prefix"])
    print(f"shed (503, waited over REQUEST_QUEUE_TIMEOUT): {shed:,} of the {failures:,} failures")
    print(f"machine load average before the run: {result['load_before']:.2f} (over 0.5: something else was running)")
    for group, (mean, peak, rss) in result["cpu"].items():
        print(f"{group:<9} CPU mean {mean:5.0f} % / peak {peak:5.0f} % of one core; memory peak {rss:7.0f} MiB")
    failures_file = result["prefix"] + "_failures.csv"
    if failures and os.path.exists(failures_file):
        with open(failures_file, newline="") as handle:
            for row in list(csv.DictReader(handle))[:10]:
                print(f"  failure: {row['Method']} {row['Name']}: {row['Error'][:150]} x{row['Occurrences']}")
    return total, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", default="ramp,sync")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--hold", type=int, default=180)
    parser.add_argument("--sync-users", type=int, default=1000)
    parser.add_argument("--sync-seconds", type=int, default=60)
    parser.add_argument("--think", default="30,90", help="Seconds between pages, MIN,MAX (default 30,90).")
    parser.add_argument(
        "--typing", default="3,10", help="Seconds to type a password or read before a click, MIN,MAX (3,10)."
    )
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's).")
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker (default: gunicorn.conf.py's).")
    parser.add_argument(
        "--worker-class", help="gunicorn's worker class, sync or gthread (default: gunicorn.conf.py's)."
    )
    parser.add_argument("--manager-share", type=float, default=0.02, help="Share of team leaders in ramp (0.02).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--tiny", action="store_true", help="The test's version: a few people for a few seconds.")
    args = parser.parse_args(argv)
    if args.tiny:
        args.learners, args.courses, args.users, args.sync_users = 300, 2, 6, 6
        args.spawn_rate, args.sync_seconds, args.hold, args.think, args.typing = 6, 2, 8, "0.1,0.3", "0.1,0.2"
        args.workers, args.manager_share = args.workers or 1, 0.34
    args.think = tuple(float(value) for value in args.think.split(","))
    args.typing = tuple(float(value) for value in args.typing.split(","))
    args.cache_url = os.environ.get("BENCH_LOAD_CACHE_URL", DEFAULT_CACHE)
    args.broker_url = os.environ.get("BENCH_LOAD_BROKER_URL", DEFAULT_BROKER)
    url = os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        print("The load bench runs on PostgreSQL: set BENCH_LOAD_DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    # Locust's CSV files (per page, the 10 s windows, failures) and the server's logs are kept in
    # bench/results/load-<time>/ (git-ignored) for a closer look; the tiny test's in a temporary one.
    if args.tiny:
        holder = tempfile.TemporaryDirectory(prefix="lms-load-")
    else:
        kept = ROOT / "bench" / "results" / time.strftime("load-%Y%m%d-%H%M%S")
        kept.mkdir(parents=True, exist_ok=True)
        holder = contextlib.nullcontext(str(kept))
    with holder as work:
        people = ready_template(url, args)
        people_file = str(Path(work) / "people.json")
        Path(people_file).write_text(json.dumps(people))
        collectstatic(str(Path(work) / "static"))
        results = [run_profile(p, url, people_file, work, args) for p in args.profiles.split(",")]
        failed = 0
        for result in results:
            _total, failures = report(result)
            failed += failures
        with nightly._admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{nightly._name(url)}" WITH (FORCE)')
        print(
            f"\nKept for the next run: the prepared database {ready_name(url)} and the seeded template it was "
            "copied from (drop them with dropdb when done)."
        )
    return 1 if args.tiny and failed else 0


if __name__ == "__main__":
    sys.exit(main())
