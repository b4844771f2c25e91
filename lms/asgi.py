"""ASGI entry point (`uvicorn lms.asgi:application` or similar).

A production entry point: without DJANGO_SETTINGS_MODULE it runs `lms.settings_production`, which
refuses to start with the development SECRET_KEY or with DEBUG on. Only `manage.py` defaults to the
development settings.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings_production")

application = get_asgi_application()
