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
def _media_in_a_temporary_directory(settings, tmp_path):
    """Stored files (certificates rendered once, uploads) go to the test's own directory, never
    to the project's media/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a page a test fetched leaves the language
    its middleware activated for that request active in the thread (Django does not deactivate it),
    and a later test rendering an email or subject outside a request read it in Spanish."""
    from django.utils import translation

    yield
    translation.deactivate()


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
def _compiled_catalogues():
    """A bare ``pytest`` compiles the translation catalogues that are missing or older than their
    .po file (``make test`` has done it already: the Makefile's ``compilemessages``), as
    ``compilemessages`` does: ``msgfmt --check-format``. Each is written to a temporary file and
    moved into place, so that two test runs in one checkout never read a half-written catalogue.
    A catalogue msgfmt refuses is left as it was, with a warning: lms/tests/test_catalogues.py
    says what is wrong with it."""
    import gettext as gettext_module
    import subprocess
    import tempfile
    import warnings
    from pathlib import Path

    from django.conf import settings
    from django.utils.translation import trans_real

    stale = [
        po
        for locale_dir in settings.LOCALE_PATHS
        for po in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po"))
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale and not shutil.which("msgfmt"):
        pytest.fail("gettext's msgfmt is needed to compile the translations: run `make system-deps`.")
    for po in stale:
        with tempfile.NamedTemporaryFile(dir=po.parent, suffix=".mo.tmp", delete=False) as handle:
            tmp = Path(handle.name)
        result = subprocess.run(
            ["msgfmt", "--check-format", "-o", str(tmp), str(po)], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            tmp.replace(po.with_suffix(".mo"))
        else:
            tmp.unlink(missing_ok=True)
            warnings.warn(f"{po} does not compile: {result.stderr.strip()}", stacklevel=1)
    if stale:
        # Catalogues read before this point are dropped, so that every test reads the new ones
        # (what django.utils.translation.reloader does when a .mo file changes).
        gettext_module._translations = {}
        trans_real._translations = {}
        trans_real._default = None
        trans_real._active = trans_real.Local()


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_tasks_in_process():
    """Tests run Celery tasks in-process even when CELERY_BROKER_URL points at Redis (as in CI);
    the one test of a real worker and beat starts its own processes."""
    from lms.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
