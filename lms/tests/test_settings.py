from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': settings.CELERY_BROKER_URL, 'email': settings.EMAIL_BACKEND, 'debug': settings.DEBUG}))"
)
SETTINGS_VARS = [
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "EMAIL_BACKEND",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "TIME_ZONE",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
]


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.update(extra)
    return env


def _probe(env: dict, module: str = "lms.settings") -> dict:
    env = {**env, "DJANGO_SETTINGS_MODULE": module}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_default_is_sqlite_eager_celery_and_console_email():
    result = _probe(_clean_env())
    assert result["engine"] == "django.db.backends.sqlite3"
    assert result["name"].endswith("db.sqlite3")
    assert result["eager"] is True
    assert result["broker"] == "memory://"
    assert result["email"] == "django.core.mail.backends.console.EmailBackend"


def test_environment_selects_postgres_and_redis():
    result = _probe(_clean_env(DATABASE_URL="postgres://u@db.example:5432/lms", CELERY_BROKER_URL="redis://r:6379/0"))
    assert result["engine"] == "django.db.backends.postgresql"
    assert result["eager"] is False
    assert result["broker"] == "redis://r:6379/0"


def test_production_settings_pass_check_deploy_without_warnings():
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="lms.settings_production",
        SECRET_KEY="x" * 20 + "-a-long-random-production-secret-for-the-check-0123456789",
        ALLOWED_HOSTS="lms.example.com",
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    assert "no issues" in out.stdout


def test_production_settings_refuse_the_development_secret_key():
    env = _clean_env(DJANGO_SETTINGS_MODULE="lms.settings_production")
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr
