"""Running the project the way the README's Production section deploys it: `manage.py` commands in
subprocesses with the production settings and a clean environment, so nothing of the test run
(development settings, DEBUG, Celery in-process, a weakening SECURE_* override) leaks into them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC_DIR = ROOT / "static"

# One random key per test run: never the development key, which production settings refuse.
PRODUCTION_SECRET_KEY = secrets.token_urlsafe(50)

# Set by the test run or a developer's shell; a production process gets them only from `extra`.
_NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "TEST_DATABASE_NAME",
    "REDIS_URL",
    "EMAIL_BACKEND",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "SITE_URL",
}


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any settings variable, plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _NOT_INHERITED and not name.startswith(("CELERY_", "SECURE_"))
    }
    env.update(extra)
    return env


def production_env(**extra: str) -> dict[str, str]:
    """Production settings with what the README says to set; mail stays in memory, Celery tasks
    run in the process (no broker is named), so a smoke run sends nothing anywhere."""
    return clean_env(
        DJANGO_SETTINGS_MODULE="lms.settings_production",
        SECRET_KEY=PRODUCTION_SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        **extra,
    )


def manage(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """`python manage.py ARGS` in ``env``; fails the test with the command's output when it fails."""
    out = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, (
        f"manage.py {' '.join(args)} exited {out.returncode}:\n{out.stderr[-6000:]}\n{out.stdout[-2000:]}"
    )
    return out
