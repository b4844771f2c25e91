"""`make bench` cannot rot: bench/run.py's machinery runs end to end at a tiny scale.

The bench's own database is a copy of this test database (already migrated, so the bench's
``migrate`` has nothing to do) under a name of its own; the bench seeds it, keeps its template,
runs the nights on a fresh copy and prints the figures; both databases are dropped afterwards.
bench/reports.py shares the seeding and the copies; its pages are the reports' own tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _admin_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"


@pytest.fixture
def bench_url():
    test_db = connection.settings_dict["NAME"]
    name = f"{test_db}_bench"
    # An empty database that the bench migrates itself: copying the test database as a template
    # needs it to have no other session, which a full run cannot promise (a live server's thread).
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        for stale in (name, f"{name}_seed"):
            admin.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _admin_url().rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        for made in (name, f"{name}_seed"):
            admin.execute(f'DROP DATABASE IF EXISTS "{made}" WITH (FORCE)')


def _bench(script: str, url: str, *args: str) -> str:
    env = {**os.environ, "BENCH_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "lms.settings"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--learners", "300", "--courses", "2", "--runs", "1", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_the_nightly_bench_runs_end_to_end_at_a_tiny_scale(bench_url):
    # a URL with options, as people write them: the options are not part of the database's name
    nights = _bench("run.py", bench_url + "?sslmode=disable", "--dispatch-sample", "50")
    name = bench_url.rsplit("/", 1)[1]
    with psycopg.connect(_admin_url()) as admin:
        made = {row[0] for row in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [name + "%"])}
    assert made == {name, f"{name}_seed"}  # the seeded template and its copy, nothing named "...?sslmode=..."

    assert "seeded 300 people and 600 assignments" in nights
    assert "over 600 assignments at the start" in nights
    assert "1 runs on fresh copies of the seeded database" in nights
    for line in ("whole night, steady night (night 2):", "night 1  | boosters", "SELECT count(*) over assignments:"):
        assert line in nights
    assert "plans of the key selections:" in nights and "autovacuum during night 2:" in nights
    # what the server wrote: WAL, full-page images and checkpoints per night, and their spread
    assert re.search(r"  night 2  [\d,]+ MB of WAL, [\d,]+ full-page images", nights)
    assert "WAL written by the steady night (night 2):" in nights and "max_wal_size=" in nights
    assert "are shown for reference, not met or missed" in nights  # 600 assignments, not 1,000,000
    assert re.search(r"dispatch: .* outbox rows/s = .* emails/s per dispatcher process", nights)
