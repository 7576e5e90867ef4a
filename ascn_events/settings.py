"""Settings for ASCN Events.

Everything that differs between a laptop and a deployment comes from the
environment; the defaults are safe for local development only.
"""

import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# Development only: settings_production refuses to start without a real key.
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-insecure-" + str(BASE_DIR)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The domain that iCalendar UIDs are minted in. It must never change once
# feeds are published, or every subscriber gets duplicate events.
SITE_DOMAIN = os.environ.get("SITE_DOMAIN", "events.ascn.example")
SITE_NAME = "ASCN Events"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "django_countries",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "django_htmx",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "events",
]

MIDDLEWARE = [
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
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "events.middleware.ViewerTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: the language, time zone, htmx flag and user it keys anonymous pages by are known by then.
    "events.caching.AnonymousPageCacheMiddleware",
    # Inside the page cache, so cached pages are stored clean.
    "events.middleware.PrintableHtmlMiddleware",
]

ROOT_URLCONF = "ascn_events.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "events.context_processors.viewer_timezone",
            ],
        },
    },
]

WSGI_APPLICATION = "ascn_events.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers (feeds) beside a writer (admin) need WAL and a wait.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 60 * 60 * 24 * 7,
            "OPTIONS": {
                # A cache outage must degrade to slower pages, never to errors.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": 60 * 60 * 24,
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Bahasa Indonesia"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Document files are never served from MEDIA_URL: a view asks the access policy, then hands the
# transfer to django-sendfile2 (here Django streams the file; production lets the web server do it).
SENDFILE_BACKEND = os.environ.get("SENDFILE_BACKEND", "django_sendfile.backends.simple")
SENDFILE_ROOT = str(MEDIA_ROOT)
SENDFILE_URL = os.environ.get("SENDFILE_URL", "/protected-media")

# Uploads: outcome documents are PDFs of a few MB; anything bigger is a mistake.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_DOCUMENT_UPLOAD_BYTES = 20 * 1024 * 1024
# Imports (spreadsheets and iCalendar files), checked on the bytes before parsing (events/uploads.py).
MAX_IMPORT_UPLOAD_BYTES = int(os.environ.get("MAX_IMPORT_UPLOAD_BYTES", 5 * 1024 * 1024))
MAX_IMPORT_ROWS = int(os.environ.get("MAX_IMPORT_ROWS", 20_000))
MAX_IMPORT_UNCOMPRESSED_BYTES = int(os.environ.get("MAX_IMPORT_UNCOMPRESSED_BYTES", 100 * 1024 * 1024))
MAX_IMPORT_COMPRESSION_RATIO = int(os.environ.get("MAX_IMPORT_COMPRESSION_RATIO", 100))
MAX_IMPORT_ZIP_MEMBERS = 200
# JSON request bodies of the API (events/api.py's parser): larger or deeper bodies get 400.
API_MAX_JSON_BYTES = int(os.environ.get("API_MAX_JSON_BYTES", 1024 * 1024))
API_MAX_JSON_DEPTH = int(os.environ.get("API_MAX_JSON_DEPTH", 20))

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "events:feed_tokens"
LOGOUT_REDIRECT_URL = "events:home"
FORMS_URLFIELD_ASSUME_HTTPS = True

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a wrong token is then a 401 with WWW-Authenticate, not a bare 403.
        "events.api.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # Size and depth limits on JSON bodies (400, never 500), on every endpoint.
    "DEFAULT_PARSER_CLASSES": [
        "events.api.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "events.api.Pagination",
    "PAGE_SIZE": 50,
}

# API tokens (django-rest-knox): only a SHA-512 digest is stored; the secret is shown once when issued
# (`manage.py issue_api_token` or the admin). No expiry unless one is given.
REST_KNOX = {"TOKEN_TTL": None, "TOKEN_PREFIX": "ascn_", "AUTH_HEADER_PREFIX": "Token"}

SPECTACULAR_SETTINGS = {
    "TITLE": "ASCN Events API",
    "DESCRIPTION": "The calendar of ASEAN meetings: series, meetings, sessions, outcome documents, delegations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per shared choice set, so `check --deploy` stays silent about enum naming.
    "ENUM_NAME_OVERRIDES": {
        "CountryEnum": "django_countries.countries",
        "StatusEnum": "events.models.Status",
        "DocumentStatusEnum": "events.models.OutcomeDocument.DocumentStatus",
    },
}

# Feeds: how often subscribers are told to poll, and how long HTTP caches keep a copy.
FEED_REFRESH_INTERVAL_HOURS = 6
FEED_CACHE_MAX_AGE = 15 * 60
# How long any HTTP cache may reuse an anonymous page or API list before revalidating it (ETag).
PAGE_CACHE_MAX_AGE = int(os.environ.get("PAGE_CACHE_MAX_AGE", "60"))
# Seconds a process may reuse its last read of the change stamp (0: read it on every request).
CHANGE_STAMP_MAX_AGE = float(os.environ.get("CHANGE_STAMP_MAX_AGE", "0"))
# Two sessions in different cities closer than this are flagged as a conflict.
DELEGATION_TRAVEL_GAP_HOURS = float(os.environ.get("DELEGATION_TRAVEL_GAP_HOURS", "4"))

# Change alerts (issue 16). Tasks are rows in the database (django-tasks' database backend):
# they commit or roll back with the change that made them, and survive any worker's restart.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# With `make run` (DEBUG) runserver also runs a worker thread, so alerts go out with no worker started.
ALERTS_EMBEDDED_WORKER = env_bool("ALERTS_EMBEDDED_WORKER", DEBUG)
# Local hour of the daily digest, in the follower's zone (else ALERT_DIGEST_ZONE).
ALERT_DIGEST_HOUR = int(os.environ.get("ALERT_DIGEST_HOUR", "7"))
ALERT_DIGEST_ZONE = os.environ.get("ALERT_DIGEST_ZONE", "Asia/Jakarta")
# Webhook endpoints must be public HTTPS hosts; tests and closed networks may allow local ones.
ALERT_WEBHOOKS_ALLOW_LOCAL = env_bool("ALERT_WEBHOOKS_ALLOW_LOCAL", False)
ALERT_WEBHOOK_TIMEOUT = 10
# Absolute links in emails and webhooks.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else f"https://{SITE_DOMAIN}").rstrip("/")

# Email: EMAIL_URL such as smtp://user:password@mail.example.org:587/?tls=True&timeout=10
# (dj-email-url); without it, messages are printed to the console (`make run`).
EMAIL_CONFIG = dj_email_url.parse(os.environ.get("EMAIL_URL", "console:"))
vars().update({key: value for key, value in EMAIL_CONFIG.items() if value not in (None, "")})
EMAIL_TIMEOUT = EMAIL_CONFIG.get("EMAIL_TIMEOUT") or 10
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", EMAIL_CONFIG.get("DEFAULT_FROM_EMAIL") or f"alerts@{SITE_DOMAIN}"
)

# django-axes: lock a username+IP pair after repeated failed logins.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Security headers. CSP allows only our own origin: htmx and the API docs are
# served from local static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# HTTPS switches (HSTS, secure cookies, SSL redirect) live in settings_production.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "django_redis": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
