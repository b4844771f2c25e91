from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lms.tests.deploy import PRODUCTION_SECRET_KEY, clean_env

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


# The production entry points: gunicorn (lms.wsgi), an ASGI server (lms.asgi), the Celery worker and
# beat (lms.celery). Each probe imports the entry point the way its server does, in a process with
# no DJANGO_SETTINGS_MODULE, then reports the settings it got.
ENTRY_POINT_PROBE = (
    "import importlib, json, sys; importlib.import_module(sys.argv[1]); "
    "import django; django.setup(); from django.conf import settings; "
    "print(json.dumps({'module': settings.SETTINGS_MODULE, 'debug': settings.DEBUG, "
    "'dev_key': settings.SECRET_KEY == settings.INSECURE_DEV_SECRET_KEY, 'ssl': settings.SECURE_SSL_REDIRECT}))"
)
ENTRY_POINTS = ["lms.wsgi", "lms.asgi", "lms.celery"]


def _run_entry_point(module: str, env: dict) -> subprocess.CompletedProcess:
    assert "DJANGO_SETTINGS_MODULE" not in env
    return subprocess.run(
        [sys.executable, "-c", ENTRY_POINT_PROBE, module], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_a_production_entry_point_without_settings_refuses_to_start_with_the_development_key(module):
    out = _run_entry_point(module, clean_env())
    assert out.returncode != 0, out.stdout
    assert "ImproperlyConfigured" in out.stderr and "set SECRET_KEY in the environment" in out.stderr
    assert "DJANGO_SETTINGS_MODULE=lms.settings" in out.stderr  # says what development uses instead


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_a_production_entry_point_without_settings_runs_the_production_settings(module):
    out = _run_entry_point(module, clean_env(SECRET_KEY=PRODUCTION_SECRET_KEY, ALLOWED_HOSTS="lms.example.com"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"module": "lms.settings_production", "debug": False, "dev_key": False, "ssl": True}


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_a_production_entry_point_refuses_debug_left_on_in_the_environment(module):
    out = _run_entry_point(module, clean_env(SECRET_KEY=PRODUCTION_SECRET_KEY, DEBUG="1"))
    assert out.returncode != 0, out.stdout
    assert "DEBUG is on in the environment; production never runs with DEBUG" in out.stderr


def test_production_settings_refuse_debug_even_when_named_explicitly():
    env = clean_env(DJANGO_SETTINGS_MODULE="lms.settings_production", SECRET_KEY=PRODUCTION_SECRET_KEY, DEBUG="true")
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode != 0 and "production never runs with DEBUG" in out.stderr
    # DEBUG=0 is what a deployment may well have set: accepted.
    ok = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DEBUG": "0"},
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr


def test_manage_py_and_its_runserver_keep_the_development_settings():
    # `make run` is `manage.py runserver`, which serves lms.wsgi's application: it must load under
    # the development settings (DEBUG on, no SECRET_KEY needed), unlike gunicorn.
    code = (
        "import json; from django.conf import settings; "
        "from django.core.servers.basehttp import get_internal_wsgi_application; get_internal_wsgi_application(); "
        "print(json.dumps({'module': settings.SETTINGS_MODULE, 'debug': settings.DEBUG}))"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"module": "lms.settings", "debug": True}


def test_make_worker_and_beat_name_the_development_settings_unless_set():
    out = subprocess.run(["make", "-n", "worker", "beat"], cwd=ROOT, env=clean_env(), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    celery_lines = [line for line in out.stdout.splitlines() if "celery -A lms" in line]
    assert len(celery_lines) == 2
    assert all(
        line.startswith("DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-lms.settings} ") for line in celery_lines
    )


def _loopback(env: dict) -> bool:
    code = "import django; django.setup(); from django.conf import settings; print(settings.WEBHOOK_ALLOW_LOOPBACK)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1] == "True"


def test_webhook_loopback_is_read_from_the_environment_and_off_in_production_unless_asked():
    """A loopback production trial can try webhooks (eyes 14, F1); a real deployment never allows it."""
    production = {"DJANGO_SETTINGS_MODULE": "lms.settings_production", "SECRET_KEY": PRODUCTION_SECRET_KEY}
    assert _loopback(clean_env(**production)) is False
    assert _loopback(clean_env(**production, WEBHOOK_ALLOW_LOOPBACK="1")) is True
    assert _loopback(clean_env(DJANGO_SETTINGS_MODULE="lms.settings")) is True
    assert _loopback(clean_env(DJANGO_SETTINGS_MODULE="lms.settings", WEBHOOK_ALLOW_LOOPBACK="0")) is False
