"""HTTP caching shared by feeds, pages and API lists: one change stamp, stored compressed bodies.

- `site_stamp` reads the change stamp (one primary-key row the database moves in
  the same transaction as every write, see `events.triggers`) plus any scalar
  subqueries a caller adds, in ONE query whatever the size of the calendar.
- `stored_body` keeps a response body under its ETag in every content coding a
  client asked for (identity, gzip, brotli), so neither a full answer nor a 304
  compresses anything twice; the ETag names the uncompressed bytes, which are
  the same whatever the coding (`Vary: Accept-Encoding` tells caches apart).
- `AnonymousPageCacheMiddleware` answers anonymous GETs of the public pages and
  API lists from the cache, validated by the same stamp, with ETag / 304.

Only anonymous answers are shared: a signed-in user, staff or an API token
never reads or fills these entries (their answers are `Cache-Control: private`),
and personal feeds are keyed by their token (see `events.feeds`).
"""

import datetime as dt
import gzip
import hashlib
import pathlib
import re
import time

import brotli
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import parse_etags

from .triggers import STAMP_TABLE

# Brotli's quality 5 compresses a 13 MB feed in a fraction of a second and smaller than gzip -9;
# 11 would take a minute. gzip's mtime is fixed so equal text gives equal bytes.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
CODINGS = ("br", "gzip")
# Below this, compressing costs more than it saves (and a 304 has no body at all).
MIN_COMPRESS_BYTES = 200
BODY_TIMEOUT = 60 * 60 * 24
_CODING = re.compile(r"^\s*([a-z*]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$", re.IGNORECASE)


def _code_version():
    """A digest of the app's code, templates and translations: a deployment never serves older pages."""
    root = pathlib.Path(__file__).resolve().parent
    digest = hashlib.sha256()
    files = [*root.glob("*.py"), *root.glob("templates/**/*.html")]
    for locale_dir in settings.LOCALE_PATHS:
        files += pathlib.Path(locale_dir).glob("*/LC_MESSAGES/django.mo")
    for path in sorted(files):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


CODE_VERSION = _code_version()


# --- The change stamp -----------------------------------------------------------


def _moment(value):
    if isinstance(value, str):  # SQLite: text in UTC
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


# With CHANGE_STAMP_MAX_AGE > 0 (production), each process reuses a stamp read for that many seconds,
# and the answers of the extra subqueries for as long as the stamp stays the same (any write moves it):
# under load most conditional requests then cost no database round trip at all, and an edit reaches
# conditional requests that much later (feeds and pages may be cached for minutes anyway).
_recent_stamp = [None]  # (monotonic time of the read, (stamp, changed))
_extra_answers = {}  # (stamp, extra) -> values


def site_stamp(extra=()):
    """((counter, salt), last change, extra values) from one query at most: the stamp row plus `extra`.

    `extra` is a list of (sql, params) scalar subqueries (e.g. "does this slug exist")
    that ride along in the same query; they must be index lookups for the answer
    to stay O(1).
    """
    max_age = settings.CHANGE_STAMP_MAX_AGE
    key = tuple((sql, tuple(params)) for sql, params in extra)
    recent = _recent_stamp[0]
    if max_age and recent is not None and time.monotonic() - recent[0] < max_age:
        stamp, changed = recent[1]
        if not extra:
            return stamp, changed, []
        values = _extra_answers.get((stamp, key))
        if values is None:
            values = _query(None, extra)
            _remember_extra((stamp, key), values)
        return stamp, changed, values
    row = _query(["counter", "salt", "changed"], extra)
    if row is None:  # only before the first migrate
        return (0, 0), None, [None] * len(extra)
    stamp, changed, values = (row[0], row[1]), _moment(row[2]), list(row[3:])
    if max_age:
        _recent_stamp[0] = (time.monotonic(), (stamp, changed))
        if extra:
            _remember_extra((stamp, key), values)
    return stamp, changed, values


def _query(stamp_columns, extra):
    columns, params = list(stamp_columns or []), []
    for sql, extra_params in extra:
        columns.append(sql)
        params.extend(extra_params)
    source = f" FROM {STAMP_TABLE} WHERE id = 1" if stamp_columns else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}{source}", params)
        row = cursor.fetchone()
    return row if stamp_columns else list(row)


def _remember_extra(key, values):
    if len(_extra_answers) > 10_000:
        _extra_answers.clear()
    _extra_answers[key] = values


def make_etag(*parts):
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:40] + '"'


def etag_matches(request, etag):
    """Whether If-None-Match names `etag` (or is *): the client's copy is current."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in tags or f"W/{etag}" in tags


# --- Stored, compressed bodies --------------------------------------------------


def accepted_coding(request):
    """The best coding the client accepts: "br", "gzip" or "identity"."""
    header = request.META.get("HTTP_ACCEPT_ENCODING", "")
    weights = {}
    for item in header.split(",")[:20]:
        match = _CODING.match(item)
        if match:
            try:
                weights[match.group(1).lower()] = float(match.group(2) or 1)
            except ValueError:
                continue
    for coding in CODINGS:
        if weights.get(coding, weights.get("*", 0)) > 0:
            return coding
    return "identity"


def compress(raw, coding):
    if coding == "br":
        return brotli.compress(raw, quality=BROTLI_QUALITY)
    if coding == "gzip":
        return gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0)
    return raw


def stored_body(key, coding, build, timeout=BODY_TIMEOUT):
    """(body, coding) for the cache `key` in `coding`; `build()` makes the raw bytes only when neither is kept.

    Each coding is compressed once and kept beside the raw bytes, so later
    answers in that coding copy bytes and compress nothing.
    """
    wanted = [f"{key}:{coding}"] if coding != "identity" else []
    found = cache.get_many([*wanted, f"{key}:identity"])
    if wanted and wanted[0] in found:
        return found[wanted[0]], coding
    raw = found.get(f"{key}:identity")
    if raw is None:
        raw = build()
        if raw is None:
            return None, None
        cache.set(f"{key}:identity", raw, timeout=timeout)
    if coding == "identity" or len(raw) < MIN_COMPRESS_BYTES:
        return raw, "identity"
    body = compress(raw, coding)
    cache.set(f"{key}:{coding}", body, timeout=timeout)
    return body, coding


def set_body(response, body, coding):
    response.content = body
    if coding != "identity":
        response["Content-Encoding"] = coding
    response["Content-Length"] = str(len(body))
    patch_vary_headers(response, ["Accept-Encoding"])


# --- Anonymous pages and API lists ---------------------------------------------

# The public pages and API lists whose anonymous answers are shared.
CACHED_VIEWS = frozenset(
    {
        "events:home", "events:meeting_list", "events:meeting_detail", "events:series_list",
        "events:series_detail", "events:document_list", "events:calendar_month", "events:delegation_list",
        "events:delegation_detail", "events:changes", "events:changes_feed",
        "events:series-list", "events:meeting-list", "events:session-list", "events:document-list",
        "events:delegation-list",
    }
)  # fmt: skip
# Headers of a page kept with its body (the rest are per request: cookies, CSP nonces are not used).
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary", "Allow")


def is_anonymous(request):
    user = getattr(request, "user", None)
    return (
        not (user is not None and user.is_authenticated)
        and "HTTP_AUTHORIZATION" not in request.META
        # A pending message is for this visitor only.
        and "messages" not in request.COOKIES
    )


class AnonymousPageCacheMiddleware:
    """Serve anonymous GETs of CACHED_VIEWS from the cache, keyed and validated by the change stamp.

    Placed after the authentication, language, htmx and time-zone middleware: what
    they decide (language, the viewer's zone, an htmx partial) is part of the key.
    A conditional request costs the stamp query and nothing else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        entry = getattr(request, "_page_cache", None)
        if entry is None:
            match = getattr(request, "resolver_match", None)
            if match is not None and match.view_name in CACHED_VIEWS and request.method in ("GET", "HEAD"):
                # Signed-in answers show what only that user may see: never kept by any cache.
                patch_cache_private(response)
            return response
        key, etag = entry
        # A page that set a cookie or holds a CSRF token belongs to this visitor only.
        if response.status_code != 200 or response.streaming or response.cookies:
            return response
        if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            return response
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        raw = response.content
        cache.set(f"{key}:headers", headers, timeout=BODY_TIMEOUT)
        body, coding = stored_body(key, accepted_coding(request), lambda: raw)
        set_body(response, body, coding)
        self._validators(response, etag)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match.view_name not in CACHED_VIEWS or request.method not in ("GET", "HEAD") or not is_anonymous(request):
            return None
        stamp, _changed, _extra = site_stamp()
        etag = make_etag(
            "page", CODE_VERSION, stamp, request.get_full_path(), request.build_absolute_uri("/"),
            translation.get_language(), getattr(request, "viewer_timezone", None),
            request.META.get("HTTP_HX_REQUEST", ""), request.META.get("HTTP_ACCEPT", ""),
            timezone.now().date().isoformat(),  # "upcoming", "today" and default date ranges move daily
        )  # fmt: skip
        key = "page:" + etag.strip('"')
        if etag_matches(request, etag):
            response = HttpResponseNotModified()
            self._validators(response, etag)
            patch_vary_headers(response, ["Accept-Encoding"])
            return response
        headers = cache.get(f"{key}:headers")
        if headers is not None:
            body, coding = stored_body(key, accepted_coding(request), lambda: None)
            if body is not None:
                response = HttpResponse()
                for name, value in headers.items():
                    response[name] = value
                set_body(response, body, coding)
                self._validators(response, etag)
                return response
        request._page_cache = (key, etag)
        return None

    @staticmethod
    def _validators(response, etag):
        response["ETag"] = etag
        response["Cache-Control"] = f"public, max-age={settings.PAGE_CACHE_MAX_AGE}"


def patch_cache_private(response):
    if not response.has_header("Cache-Control"):
        response["Cache-Control"] = "private"

