from __future__ import annotations

import pytest


@pytest.fixture
def scorm_storage(settings, tmp_path):
    """The default storage in a fresh folder, so that packages built by a test stay in it."""
    root = tmp_path / "storage"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture(autouse=True)
def _player_quiet_before_flush(request):
    """A browser test's page leaves the player before the database is flushed: closing the page
    sends the player's keep-alive commit, and a live-server thread still writing it while the flush
    truncates the tables made the next test's setup fail ("couldn't be flushed") in full runs.
    Set up after the database fixtures, so torn down before them."""
    if "page" not in request.fixturenames or "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    page = request.getfixturevalue("page")
    yield
    import time

    try:
        page.goto("about:blank")
    except Exception:  # noqa: BLE001 - a page already closed needs no leaving
        pass
    time.sleep(1.0)  # the keep-alive commit reaches the server and finishes
