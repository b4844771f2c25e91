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
