"""What lets several app servers, workers and a beat run on different machines (README "Past one
machine"): under the production settings nothing a request or a task needs is kept on the machine
that served it. Uploads go through the storage API (a bucket when one is named), sessions and the
cache's counters (lockouts, rate limits) are shared, logs go to the console, beat's schedule is in
the database, and the read replica is an alias of its own behind the router. The application code
itself writes no file outside the storage API but anonymous temporary files, which vanish when
closed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tokenize
from pathlib import Path

from lms.tests.deploy import PRODUCTION_SECRET_KEY, ROOT, clean_env

PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "storage": settings.STORAGES["default"],
    "session_engine": settings.SESSION_ENGINE,
    "caches": settings.CACHES,
    "session_cache": getattr(settings, "SESSION_CACHE_ALIAS", "default"),
    "databases": {alias: {k: str(v) if k == "NAME" else v for k, v in db.items() if k in ("ENGINE", "NAME", "HOST", "OPTIONS")}
                  for alias, db in settings.DATABASES.items()},
    "routers": settings.DATABASE_ROUTERS,
    "beat": settings.CELERY_BEAT_SCHEDULER,
    "email": settings.EMAIL_BACKEND,
    "log_handlers": [h["class"] for h in settings.LOGGING.get("handlers", {}).values()],
}))
"""
SHARED = {
    "SECRET_KEY": PRODUCTION_SECRET_KEY,
    "ALLOWED_HOSTS": "lms.example.com",
    "DATABASE_URL": "postgres://lms@db-primary.example:5432/lms",
    "CACHE_URL": "redis://redis.example:6379/1",
    "CELERY_BROKER_URL": "redis://redis.example:6379/0",
    "AWS_STORAGE_BUCKET_NAME": "lms-files",
}


def _probe(module: str, **env: str) -> dict:
    environment = clean_env(DJANGO_SETTINGS_MODULE=module, **env)
    for name in ("DATABASE_REPLICA_URL", "CACHE_URL", "AWS_STORAGE_BUCKET_NAME"):
        if name not in env:
            environment.pop(name, None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_keeps_files_sessions_counters_and_schedule_off_the_app_server():
    found = _probe("lms.settings_production", **SHARED)
    assert found["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert found["storage"]["OPTIONS"]["bucket_name"] == "lms-files"
    assert found["storage"]["OPTIONS"]["default_acl"] == "private"
    cache = found["caches"]["default"]
    assert (cache["BACKEND"], cache["LOCATION"]) == ("django_redis.cache.RedisCache", SHARED["CACHE_URL"])
    # Sessions in the database or in the shared cache, never in a file or a process's memory.
    engine = found["session_engine"]
    assert engine in {
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.cache",
    }, engine
    if engine.endswith(".cache"):
        assert found["caches"][found["session_cache"]]["BACKEND"] == "django_redis.cache.RedisCache"
    assert found["beat"] == "django_celery_beat.schedulers:DatabaseScheduler"
    assert found["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert found["log_handlers"] == ["logging.StreamHandler"]


def test_a_replica_url_adds_the_replica_alias_with_the_primarys_options():
    found = _probe(
        "lms.settings_production",
        **SHARED,
        DATABASE_REPLICA_URL="postgres://lms@db-replica.example:5432/lms?sslmode=require",
    )
    primary, replica = found["databases"]["default"], found["databases"]["replica"]
    assert replica["ENGINE"] == primary["ENGINE"] == "django.db.backends.postgresql"
    assert (replica["HOST"], replica["NAME"]) == ("db-replica.example", "lms")
    assert replica["OPTIONS"]["options"] == primary["OPTIONS"]["options"] == "-c jit=off"
    assert replica["OPTIONS"]["sslmode"] == "require"
    assert "lms.replica.ReplicaRouter" in found["routers"]


def test_without_a_replica_url_there_is_no_replica_alias():
    found = _probe("lms.settings", DATABASE_URL=SHARED["DATABASE_URL"])
    assert list(found["databases"]) == ["default"]


# Writing a file on the app server's own disk: what a second server would not see.
LOCAL_WRITES = re.compile(
    r"(?<![\w.])open\(|\.write_(text|bytes)\(|FileSystemStorage\(|MEDIA_ROOT|storage\.path\(|"
    r"mkstemp|mkdtemp|NamedTemporaryFile|shutil\.(copy|move)|os\.(makedirs|mkdir|rename|replace)\(|"
    r"\.mkdir\(|\.touch\("
)
APPS = ("lms", "courses", "assignments", "escalation", "reports", "api")


def _application_code() -> list[Path]:
    """The code requests and tasks run: not settings, tests, migrations or management commands
    (an operator's command reads and writes the files it is given)."""
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = set(path.relative_to(ROOT).parts)
            if parts & {"tests", "migrations", "management"} or path.name.startswith("settings"):
                continue
            files.append(path)
    return files


def _code_lines(path: Path) -> list[str]:
    """The file's lines with its strings and comments blanked out (a docstring may name MEDIA_ROOT)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    with path.open("rb") as handle:
        for token in tokenize.tokenize(handle.readline):
            if token.type not in (tokenize.STRING, tokenize.COMMENT):
                continue
            (first, start), (last, end) = token.start, token.end
            for number in range(first, last + 1):
                line = lines[number - 1]
                left = start if number == first else 0
                right = end if number == last else len(line)
                lines[number - 1] = line[:left] + " " * (right - left) + line[right:]
    return lines


def test_application_code_writes_no_local_file_outside_the_storage_api():
    files = _application_code()
    assert len(files) > 100
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(_code_lines(path), start=1)
        if LOCAL_WRITES.search(line)
    ]
    assert found == []


def test_the_scan_reads_code_not_docstrings_or_comments(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        '"""Files live in MEDIA_ROOT\nor a bucket."""\n# open(path, "w")\ndef save(path):\n    return open(path, "w")\n',
        encoding="utf-8",
    )
    assert [n for n, line in enumerate(_code_lines(module), start=1) if LOCAL_WRITES.search(line)] == [5]
