"""Production settings: `DJANGO_SETTINGS_MODULE=lms.settings_production`.

Passes `python manage.py check --deploy --fail-level WARNING`. Requires SECRET_KEY and
ALLOWED_HOSTS from the environment; refuses to start with the development key or with DEBUG on.
The production entry points (`lms.wsgi`, `lms.asgi`, `lms.celery`) use these settings when
DJANGO_SETTINGS_MODULE is not set.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from lms.settings import *  # noqa: F403
from lms.settings import INSECURE_DEV_SECRET_KEY, SECRET_KEY, env_bool

_FOR_DEVELOPMENT = "For development use DJANGO_SETTINGS_MODULE=lms.settings (manage.py's default)."
if SECRET_KEY == INSECURE_DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "lms.settings_production: set SECRET_KEY in the environment to a long random value "
        f"(the development key is public). {_FOR_DEVELOPMENT}"
    )
# A DEBUG=1 left in the environment must not turn a production server into debug pages.
if env_bool("DEBUG", False):
    raise ImproperlyConfigured(
        "lms.settings_production: DEBUG is on in the environment; production never runs with DEBUG. "
        f"Unset DEBUG (or set DEBUG=0). {_FOR_DEVELOPMENT}"
    )
DEBUG = False
# Loopback webhook receivers only for a trial on one machine that asks for them (README "Webhooks").
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", False)

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
# SAML: the identity provider posts its answer to our ACS from its own site, so the cookie holding
# the sign-in we started must travel with that cross-site POST (SameSite=None, on a secure cookie).
SAML_SESSION_COOKIE_SAMESITE = os.environ.get("SAML_SESSION_COOKIE_SAMESITE", "None")
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, content-hashed static files served by WhiteNoise behind gunicorn.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded course files (and SCORM packages) in S3-compatible storage (django-storages) when a
# bucket is named; otherwise in MEDIA_ROOT on disk. The bucket stays private: learners get files
# through the permission-checked views, which read them from storage, never from a bucket URL.
# Credentials come from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables (or the
# machine's role), read by boto3 itself. README "Uploaded files and video".
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            # Another S3-compatible service (MinIO, Ceph, Scaleway, ...): its https:// address.
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "location": os.environ.get("AWS_STORAGE_LOCATION", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# Sessions read from the shared Redis cache (CACHE_URL) and written through to the database, so a
# Redis restart signs nobody out and, while Redis is down, sessions are read from the database (the
# cache answers as empty: lms.settings CACHES); without CACHE_URL each process would keep its own
# cache, so sessions stay in the database alone (issue 18: one query a page fewer).
if os.environ.get("CACHE_URL"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Django's connection pool (psycopg_pool) in each web process: a request borrows an open connection
# instead of opening one (a new PostgreSQL backend costs a few milliseconds of both cores' time).
# DATABASE_POOL_MAX_SIZE bounds each process's connections: gunicorn's threads per worker is enough
# (gunicorn.conf.py); workers x that must stay under PostgreSQL's max_connections with the Celery
# workers' on top. DATABASE_POOL=0 turns it off (then CONN_MAX_AGE applies), e.g. behind PgBouncer
# in transaction mode, which pools for every server at once.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DATABASE_POOL", True):  # noqa: F405
    for _alias in DATABASES:  # noqa: F405
        DATABASES[_alias]["CONN_MAX_AGE"] = 0  # noqa: F405  (Django refuses persistent connections with a pool)
        DATABASES[_alias].setdefault("OPTIONS", {})["pool"] = {  # noqa: F405
            "min_size": 1,
            "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "4")),
            # The replica's reports go to the primary when it does not answer (lms.replica): wait 2 s.
            "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")) if _alias == "default" else 2.0,
        }
