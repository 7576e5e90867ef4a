"""Production settings: the base settings with every deployment switch forced on.

Use with `DJANGO_SETTINGS_MODULE=ascn_events.settings_production`. Nothing secret
lives in this file: the secret key, database and cache addresses come from the
environment, and a missing secret key stops the process instead of falling back
to a development key. `python manage.py check --deploy` reports nothing here.

The site is expected behind a TLS-terminating proxy that sets
`X-Forwarded-Proto: https`; plain-HTTP requests are redirected to HTTPS.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403
from .settings import env_bool, env_list

DEBUG = False

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment (at least 50 random characters).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts this site answers for.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# The web server sends document files (X-Accel-Redirect to an `internal` location; see the README).
SENDFILE_BACKEND = os.environ.get("SENDFILE_BACKEND", "django_sendfile.backends.nginx")

# Conditional requests reuse a process's read of the change stamp for a quarter second: under load
# most then cost no database round trip, and an edit reaches them at most that much later.
CHANGE_STAMP_MAX_AGE = float(os.environ.get("CHANGE_STAMP_MAX_AGE", "0.25"))

# Hashed, compressed static files served by WhiteNoise: run `collectstatic` on deploy.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
