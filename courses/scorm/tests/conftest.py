import pytest


@pytest.fixture
def scorm_storage(settings, tmp_path):
    """The default storage in a fresh folder: tests can check that nothing was left in it."""
    root = tmp_path / "storage"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def stored_files(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
