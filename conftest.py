"""Project-wide test fixtures: fast hashing, Playwright on Debian's Chromium, PostgreSQL markers."""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the
# test body (set-up through factories) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_caches():
    """Each test starts with empty caches: rate-limit counters (password reset) must not leak."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make system-deps` (installs Debian's chromium).")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _patient_browser(request):
    """Two cores shared with a live server and a database: give the browser time before failing."""
    if "page" in request.fixturenames:
        from playwright.sync_api import expect

        expect.set_options(timeout=15_000)
        request.getfixturevalue("page").set_default_timeout(20_000)
    yield


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_tasks_in_process():
    """Tests run Celery tasks in-process even when CELERY_BROKER_URL points at Redis (as in CI);
    the one test of a real worker and beat starts its own processes."""
    from lms.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
