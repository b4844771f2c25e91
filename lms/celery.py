"""The Celery app (`celery -A lms worker`, `celery -A lms beat`).

A production entry point: without DJANGO_SETTINGS_MODULE the worker and beat run
`lms.settings_production`, which refuses to start with the development SECRET_KEY or with DEBUG
on. `make worker` and `make beat` choose the development settings explicitly. This module is
imported by the `lms` package itself, so its default is the package's: `manage.py` and pytest set
their settings module before `lms` is imported and are not affected.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings_production")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
