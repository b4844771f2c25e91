"""WSGI entry point for gunicorn (`gunicorn lms.wsgi`).

A production entry point: without DJANGO_SETTINGS_MODULE it runs `lms.settings_production`, which
refuses to start with the development SECRET_KEY or with DEBUG on. Only `manage.py` (runserver,
commands, `make run`) defaults to the development settings.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings_production")

application = get_wsgi_application()
