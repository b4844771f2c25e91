"""gunicorn's master warms up before forking (lms.warmup, gunicorn.conf.py when_ready): without a
database query, since a connection opened before the fork would be shared by every worker."""

from __future__ import annotations

import pytest
from django.template import engines

from lms.warmup import warm_up


@pytest.mark.django_db
def test_warming_up_compiles_the_templates_and_loads_weasyprint_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        took = warm_up()

    assert set(took) == {"urls", "catalogues", "templates", "weasyprint"}
    loader = engines["django"].engine.template_loaders[0]
    assert type(loader).__name__ == "Loader" and "cached" in type(loader).__module__
    assert "reports/certificate.html" in loader.get_template_cache


def test_gunicorn_warms_up_in_the_master_with_the_application_preloaded():
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert config["preload_app"] is True
    assert callable(config["when_ready"])
    assert config["worker_class"] == "gthread"
