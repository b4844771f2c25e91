from __future__ import annotations

from pathlib import Path

import pytest

from lms.tests.deploy import manage, production_env


@pytest.fixture(scope="session")
def production_static_root(tmp_path_factory) -> Path:
    """`manage.py collectstatic --noinput` with the production settings (WhiteNoise's compressed
    manifest storage) into a fresh STATIC_ROOT, once per test run."""
    root = tmp_path_factory.mktemp("staticfiles")
    manage(production_env(STATIC_ROOT=str(root)), "collectstatic", "--noinput")
    return root
