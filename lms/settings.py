"""Settings for the compliance-training LMS.

Everything that differs between machines comes from the environment. With nothing set, the
project runs on a SQLite file in the project folder, sends mail to the console and runs Celery
tasks eagerly, so a first run needs no server. `lms.settings_production` hardens this for
deployment.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# The fallback key is only for a first run on a developer machine; production settings refuse it.
INSECURE_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = os.environ.get("SECRET_KEY") or INSECURE_DEV_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "Example Organisation")
# The address people open the site at, for links in emails and PDFs.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "axes",
    "csp",
    "lms",
    "courses",
    "courses.scorm",  # SCORM packages (issue 15)
    "courses.translations",  # translations of course texts (issue 16)
    "assignments",
    "assignments.course_reviews",  # learners' course reviews and their moderation (issue 17)
    "assignments.boosters",  # booster questions after a completion (issue 17)
    "assignments.scorm_runtime",  # the SCORM player's run-time data (issue 15)
    "assignments.cpd",  # CPD records and external learning (issue 17)
    "escalation",
    "escalation.recognition",  # badges and managers' "well done" (issue 17)
    "reports",
    # The REST API (top layer): Django REST framework with its OpenAPI schema (drf-spectacular).
    "rest_framework",
    "drf_spectacular",
    "api",
]

MIDDLEWARE = [
    # First: a request that waited too long in the queues is answered 503 before any other work.
    "lms.middleware.QueueTimeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "lms.middleware.RefuseNulInQueryMiddleware",
    "lms.middleware.UserTimezoneMiddleware",
    "lms.middleware.UserLanguageMiddleware",
    # Inside the language middleware: its page is in the person's language.
    "lms.middleware.MethodNotAllowedPageMiddleware",
    # Last, so that it sees failed logins after everything else has run.
    "axes.middleware.AxesMiddleware",
]

# Seconds a request may have waited in front of the application (X-Request-Start, set by the
# reverse proxy) before it is answered 503 instead of served (lms.middleware.QueueTimeMiddleware);
# 0 serves everything.
REQUEST_QUEUE_TIMEOUT = float(os.environ.get("REQUEST_QUEUE_TIMEOUT", "15"))

ROOT_URLCONF = "lms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lms.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "lms.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs more than it saves on the short set-based queries of pages and
    # nightly jobs. work_mem stays the server's: a larger one lets the planner hash the whole
    # assignment table in the big report aggregations instead of the far smaller completions.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# A read replica for the reports (lms.replica; README "Past one machine"): report pages and exports
# read from it, everything else and every write use the primary. Same options as the primary's;
# options in the replica's URL (e.g. ?sslmode=require) win.
if os.environ.get("DATABASE_REPLICA_URL"):
    _replica = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0"))
    )
    # A replica that does not answer within 2 s is left alone for a while (lms.replica_available).
    _replica["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "connect_timeout": 2,
        **_replica.get("OPTIONS", {}),
    }
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["lms.replica.ReplicaRouter"]
# Several test processes (or developers) can share one PostgreSQL server.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "lms.User"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "lms.backends.EmailBackend",
]

# Argon2id with OWASP's parameters (lms.hashers: about 20 ms of CPU a sign-in, where Django's default
# PBKDF2 takes about 230 ms); PBKDF2 and Django's Argon2 hashes still verify, and are re-hashed with
# the first hasher at the person's next sign-in (this one reads Django's own Argon2 hashes too: the
# parameters travel in each hash).
PASSWORD_HASHERS = [
    "lms.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock out after 5 failures for the same person (email trimmed and case-folded) from the same IP,
# for one hour. Re-entered passwords (attestation, password change) count too: see lms.lockout.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "lms.lockout.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "lms.lockout.lockout_response"
# Every failed password check is kept (identity, IP, page), not only the running counter.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Password-reset emails: at most 3 an hour per address (however spelt) and 20 an hour per IP
# (lms.accounts). The counters live in the default cache: set CACHE_URL (Redis) in production so
# that every web process shares them.
PASSWORD_RESET_LIMIT_PER_ADDRESS = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_ADDRESS", "3"))
PASSWORD_RESET_LIMIT_PER_IP = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_IP", "20"))
PASSWORD_RESET_LIMIT_WINDOW = 60 * 60

# Invitations (lms.invitations): the welcome email's link to set a first password works once and
# for this many seconds after it is sent (default 7 days; a password-reset link keeps Django's
# PASSWORD_RESET_TIMEOUT).
INVITATION_TIMEOUT = int(os.environ.get("INVITATION_TIMEOUT", str(7 * 24 * 60 * 60)))
# Email domains whose people sign in with single sign-on (comma-separated, for example
# "example.com,staff.example.org"; case-insensitive, exact domain). Their welcome email tells them
# to sign in with single sign-on and carries no password link, and an invitation link is not
# offered to them.
SSO_DOMAINS = [domain.lower() for domain in env_list("SSO_DOMAINS", [])]
# Webhooks (escalation.webhooks.addresses): plain http:// to a loopback address is allowed only
# when this is on. It follows DEBUG; the production settings default it to off. Turn it on only
# for a trial on one machine, never in a real deployment (README "Webhooks").
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", DEBUG)
# The shared cache in Redis through django-redis, which, while Redis cannot be reached (a second to
# give up), answers as an empty cache and logs it instead of raising: sessions are then read from
# the database (cached_db), and the rate limits count nothing until Redis is back, where Django's
# own Redis backend made every signed-in page answer 500 (issue 18).
if os.environ.get("CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Single sign-on (lms.sso; README "Connecting an identity provider"). OpenID Connect is on when
# OIDC_RP_CLIENT_ID is set, SAML 2.0 when SAML_IDP_METADATA_FILE or SAML_IDP_METADATA_URL is.
# SSO_PASSWORD_LOGIN off: people in SSO_DOMAINS cannot log in (nor reset) with a password.
SSO_PASSWORD_LOGIN = env_bool("SSO_PASSWORD_LOGIN", True)
# Create a person at their first single sign-on when no account has their email.
SSO_CREATE_USERS = env_bool("SSO_CREATE_USERS", False)
# Claim (OIDC) or attribute (SAML) names read for each field, comma-separated: the first one
# present is used. The defaults cover OIDC's standard claims and common SAML attribute names.
SSO_ATTRIBUTE_MAP = {
    field: env_list(f"SSO_ATTR_{field.upper()}", default)
    for field, default in {
        "email": ["email", "mail", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"],
        "first_name": ["given_name", "givenName", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"],
        "last_name": ["family_name", "sn", "surname", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"],
        "employee_id": ["employee_id", "employeeNumber"],
        "department": ["department"],
        "job_title": ["job_title", "title"],
        "manager_email": ["manager_email", "managerEmail"],
        # The person's language at just-in-time creation (a BCP 47 tag, lms.languages; issue 16).
        "locale": ["locale", "preferredLanguage"],
    }.items()
}
# An attestation signed by a single sign-on person without a password needs a sign-in at the
# identity provider at most this many seconds old (prompt=login / ForceAuthn).
SSO_REAUTH_MAX_AGE = int(os.environ.get("SSO_REAUTH_MAX_AGE", "300"))
SSO_PROVIDER_NAME = os.environ.get("SSO_PROVIDER_NAME", "single sign-on")

OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
# Or only this: each endpoint left empty is read from the provider's discovery document.
OIDC_OP_DISCOVERY_URL = os.environ.get("OIDC_OP_DISCOVERY_URL", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_CREATE_USER = True  # lms.sso decides (SSO_CREATE_USERS); the library must ask it
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_CALLBACK_CLASS = "lms.sso.SsoOIDCCallbackView"
OIDC_AUTHENTICATE_CLASS = "lms.sso.SsoOIDCAuthenticateView"

SAML_IDP_METADATA_FILE = os.environ.get("SAML_IDP_METADATA_FILE", "")
SAML_IDP_METADATA_URL = os.environ.get("SAML_IDP_METADATA_URL", "")
SAML_SP_ENTITY_ID = os.environ.get("SAML_SP_ENTITY_ID", f"{SITE_URL}/saml2/metadata/")
SAML_SP_CERT_FILE = os.environ.get("SAML_SP_CERT_FILE", "")
SAML_SP_KEY_FILE = os.environ.get("SAML_SP_KEY_FILE", "")
SAML_XMLSEC_BINARY = os.environ.get("SAML_XMLSEC_BINARY", "/usr/bin/xmlsec1")
SAML_SESSION_COOKIE_NAME = "saml_session"
# The IdP posts to the ACS from its own site: the cookie that holds the outstanding request must
# travel with that POST (SameSite=None, which browsers accept only on a secure cookie).
SAML_SESSION_COOKIE_SAMESITE = os.environ.get("SAML_SESSION_COOKIE_SAMESITE", "Lax")
SAML_CREATE_UNKNOWN_USER = True  # lms.sso decides (SSO_CREATE_USERS)
SAML_ACS_FAILURE_RESPONSE_FUNCTION = "lms.sso.saml_acs_failure"
SAML_CONFIG_LOADER = "lms.sso.saml_config"
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_IGNORE_LOGOUT_ERRORS = True
# The test suite runs an OpenID Connect provider (django-oauth-toolkit) at /test-op/
# (lms.settings_test); never on in a deployment.
TEST_IDENTITY_PROVIDERS = False
AUTHENTICATION_BACKENDS += ["lms.sso.SsoOIDCBackend", "lms.sso.SsoSaml2Backend"]
INSTALLED_APPS += ["mozilla_django_oidc", "djangosaml2"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
    "djangosaml2.middleware.SamlSessionMiddleware",
)

# A form refused by the CSRF check gets the site's own page saying what to do (lms/errors.py).
CSRF_FAILURE_VIEW = "lms.errors.csrf_failure"

LANGUAGE_CODE = "en-gb"
# The interface's languages (issue 16); each has a catalogue in locale/ (compiled by `make venv`).
# Arabic is laid out right to left (templates/base.html loads Bootstrap's RTL build).
LANGUAGES = [
    ("en-gb", _("English (UK)")),
    ("en", _("English (US)")),
    ("fr", _("French")),
    ("de", _("German")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True
# One date format per language, shown everywhere people read a date (lms/formats).
FORMAT_MODULE_PATH = ["lms.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
# Where `collectstatic` writes (production serves it with WhiteNoise).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads (CSV imports, course packages) are read in memory up to this size and refused above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# Files uploaded into courses (courses/files.py; README "Uploaded files and video"): the largest
# PDF or image, MP4 video and WebVTT captions file. Uploads above 10 MB stream to a temporary file.
COURSE_FILE_MAX_BYTES = int(os.environ.get("COURSE_FILE_MAX_BYTES", str(20 * 1024 * 1024)))
COURSE_VIDEO_MAX_BYTES = int(os.environ.get("COURSE_VIDEO_MAX_BYTES", str(500 * 1024 * 1024)))
COURSE_CAPTIONS_MAX_BYTES = int(os.environ.get("COURSE_CAPTIONS_MAX_BYTES", str(1024 * 1024)))
# A course package with files (a zip, docs/course-package-format.md) can be at most this large.
COURSE_PACKAGE_MAX_BYTES = int(os.environ.get("COURSE_PACKAGE_MAX_BYTES", str(2 * 1024 * 1024 * 1024)))
# CPD (assignments.cpd): the month a CPD year starts in (1 = calendar years; 4 = April to March,
# named by the year it starts in), and the largest evidence file a learner may attach.
CPD_YEAR_START_MONTH = int(os.environ.get("CPD_YEAR_START_MONTH", "1"))
CPD_EVIDENCE_MAX_BYTES = int(os.environ.get("CPD_EVIDENCE_MAX_BYTES", str(5 * 1024 * 1024)))
# SCORM packages (courses.scorm, issue 15): a zip over any of these limits is refused before
# anything is stored. Compressed size of the upload, total uncompressed size of its files (declared
# in the zip and counted again while extracting), the largest uncompressed/compressed ratio (a zip
# bomb expands hundreds of times; real packages stay well below 100) and the number of entries.
# Upload size through the browser is also bounded by the web server (e.g. nginx client_max_body_size).
SCORM_MAX_ZIP_BYTES = int(os.environ.get("SCORM_MAX_ZIP_BYTES", str(500 * 1024 * 1024)))
SCORM_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("SCORM_MAX_UNCOMPRESSED_BYTES", str(2 * 1024 * 1024 * 1024)))
SCORM_MAX_RATIO = int(os.environ.get("SCORM_MAX_RATIO", "100"))
SCORM_MAX_ENTRIES = int(os.environ.get("SCORM_MAX_ENTRIES", "20000"))
# Where package files go in the default storage (never a path the site serves as static or media).
SCORM_STORAGE_PREFIX = "scorm/"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "training@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: with no broker configured, tasks run eagerly in-process (first run, tests).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis re-delivers an unacknowledged task after this long; every countdown and ETA we use
# must stay below it, or a task would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 60 * 60}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Content-Security-Policy (django-csp 4): no inline scripts or styles, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# The REST API (api/, README "Pulling records into a BI tool (REST API)"): bearer API tokens only
# (never a session), scopes per view, a rate per token, errors as RFC 9457 problem details.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    # Requests per token, e.g. "120/minute" or "5000/hour"; counted in the default cache (CACHE_URL).
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("API_RATE_LIMIT", "120/minute")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Compliance-training LMS API",
    "DESCRIPTION": "People, courses, assignments, completions and compliance counts for integrations.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ArchiveReasonEnum": "assignments.models.Assignment.ArchiveReason",
    },
}
# The completions feed delivers a completion once it was recorded at least this long ago (and
# before the oldest transaction still writing, on PostgreSQL): see api/feed.py.
API_COMPLETIONS_SETTLE_SECONDS = int(os.environ.get("API_COMPLETIONS_SETTLE_SECONDS", "10"))

# The SCORM player (assignments.scorm_runtime, README "SCORM packages"): empty serves package files
# from the site itself; an origin (e.g. https://scorm.lms.example.com, another host name pointing at
# this application) serves them there, where they cannot read the LMS's cookies or pages. Launch
# tokens for that origin are valid this many seconds.
SCORM_CONTENT_ORIGIN = os.environ.get("SCORM_CONTENT_ORIGIN", "").rstrip("/")
SCORM_LAUNCH_TOKEN_MAX_AGE = int(os.environ.get("SCORM_LAUNCH_TOKEN_MAX_AGE", str(4 * 60 * 60)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Email is unique case-insensitively through the `user_email_unique_ci` constraint on Lower(email),
# which the auth check cannot see; the login backend looks users up with `email__iexact`.
# models.W040: SQLite (the development default) builds an index without its INCLUDE columns
# (completion_assignment_idx); only PostgreSQL's reports read them, and there they are built.
SILENCED_SYSTEM_CHECKS = ["auth.W004", "models.W040"]
