"""What a web process would otherwise do on its first requests, done once in gunicorn's master
before it forks the workers (gunicorn.conf.py ``when_ready``, with ``preload_app``), so every worker,
and every worker that replaces one, starts with it in memory (issue 18: a fresh worker's first
certificate took 1.35 s of CPU, 60 ms afterwards; its first pages several hundred milliseconds).

- the URLconf and every view module imported;
- every language's catalogue loaded;
- every template of the project compiled into the cached template loader;
- WeasyPrint imported and its fonts found (fontconfig), by rendering a one-line PDF.

Touches no database (a connection opened before the fork would be shared by every worker)."""

from __future__ import annotations

import time
from pathlib import Path


def warm_up() -> dict[str, float]:
    """Seconds each step took, by name."""
    from django.conf import settings
    from django.template import TemplateDoesNotExist, TemplateSyntaxError
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    took: dict[str, float] = {}
    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018  (imports every urls module and the views they name)
    took["urls"] = time.perf_counter() - started

    started = time.perf_counter()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Home")
    took["catalogues"] = time.perf_counter() - started

    started = time.perf_counter()
    for directory in _template_directories():
        for path in sorted(directory.rglob("*.html")) + sorted(directory.rglob("*.txt")):
            try:
                get_template(path.relative_to(directory).as_posix())
            except (TemplateDoesNotExist, TemplateSyntaxError):
                continue  # another engine's (the admin's overrides), or a fragment for include only
    took["templates"] = time.perf_counter() - started

    started = time.perf_counter()
    from weasyprint import HTML

    HTML(string="<p style=\"font-family: 'DejaVu Sans', sans-serif\">.</p>").write_pdf()
    took["weasyprint"] = time.perf_counter() - started
    return took


def _template_directories() -> list[Path]:
    from django.apps import apps
    from django.conf import settings

    directories = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    for app in apps.get_app_configs():
        if Path(app.path).is_relative_to(settings.BASE_DIR):
            directories.append(Path(app.path) / "templates")
    return [d for d in directories if d.is_dir()]
