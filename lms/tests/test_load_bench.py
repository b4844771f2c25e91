"""The load benchmark cannot rot (issue 18): `bench/load.py --tiny` runs both profiles end to end
(a 300-person organisation, gunicorn with the production settings, Locust with 6 people for a few
seconds) and every request of the learners' and managers' journeys must succeed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _drop_databases(name: str) -> None:
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as admin:
        for suffix in ("", "_ready", "_base", "_base_seed"):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}{suffix}" WITH (FORCE)')


def test_the_tiny_load_bench_runs_every_journey_without_a_failure():
    params = connection.settings_dict
    base = f"postgres://{params['USER'] or 'postgres'}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    env = {
        **os.environ,
        "BENCH_LOAD_DATABASE_URL": f"{base}/{params['NAME']}_load",
        "BENCH_LOAD_CACHE_URL": os.environ.get("BENCH_LOAD_CACHE_URL", "redis://127.0.0.1:6379/13"),
        "BENCH_LOAD_BROKER_URL": os.environ.get("BENCH_LOAD_BROKER_URL", "redis://127.0.0.1:6379/14"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        done = subprocess.run(
            [sys.executable, "bench/load.py", "--tiny", "--port", "8799"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        _drop_databases(params["NAME"] + "_load")

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "Profile ramp" in out and "Profile sync" in out
    rows = {line.split("|")[0].strip(): line.split("|") for line in out.splitlines() if line.count("|") == 6}
    for page in ("sign in", "home", "course", "module done", "quiz start", "answer saved", "quiz submit"):
        assert int(rows[page][1].replace(",", "")) > 0, page
    for page in ("certificate PDF", "team dashboard", "team export CSV"):
        assert page in rows, out
    assert "knee: " in out and "shed (503" in out
    assert "gunicorn  CPU mean" in out
