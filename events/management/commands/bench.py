"""Benchmark the feeds, list page and API list against the current database; print one JSON line.

The library floor is what the icalendar library alone needs to build and
serialize the same events (parsed from the feed beforehand, so every value is
already a plain Python object in memory). Times are the best of a few runs.
Running this edits one session (to measure the warm feed after an edit).
"""

import json
import resource
import time
import tracemalloc

import icalendar
from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Meeting, Session

FEED = "/feeds/all.ics"
# A feed with a handful of events: its query count must equal the big feed's.
SMALL_FEED = "/feeds/all.ics?from=2000-01-01&to=2000-03-31"


def best_of(runs, action, prepare=None):
    """(fastest seconds, last result) over `runs` runs; `prepare` runs untimed before each."""
    best, result = float("inf"), None
    for _ in range(runs):
        if prepare:
            prepare()
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def plain_values(calendar_text):
    """The feed's events and time zones as plain Python values: [(name, value, params), ...] per event."""
    parsed = icalendar.Calendar.from_ical(calendar_text)
    events = []
    for event in parsed.walk("VEVENT"):
        props = []
        for name, value in event.property_items(recursive=False):
            if name in {"BEGIN", "END"}:
                continue
            if hasattr(value, "dt"):
                python = value.dt
            elif isinstance(value, icalendar.prop.vCategory):
                python = list(value.cats)
            elif isinstance(value, int):
                python = int(value)
            else:
                python = str(value)
            props.append((name, python, dict(value.params) if getattr(value, "params", None) else None))
        events.append(props)
    header = [(name, value) for name, value in parsed.property_items(recursive=False) if name not in {"BEGIN", "END"}]
    return header, list(parsed.walk("VTIMEZONE")), events


def library_feed(header, timezones, events):
    """Build and serialize the calendar with icalendar's own objects."""
    calendar = icalendar.Calendar()
    for name, value in header:
        calendar.add(name, value)
    for component in timezones:
        calendar.add_component(component)
    for props in events:
        event = icalendar.Event()
        for name, value, params in props:
            event.add(name, value, parameters=params)
        calendar.add_component(event)
    return calendar.to_ical()


class Command(BaseCommand):
    help = "Time the feeds (cold, warm, 304), the list page and the API list; print one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3, help="Runs per measurement; the best is reported.")

    def handle(self, *args, runs, **options):
        if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            raise CommandError("ALLOWED_HOSTS must include 'testserver' for the in-process client.")
        client = Client()

        def get(url, **headers):
            response = client.get(url, headers=headers)
            if response.status_code not in {200, 304}:
                raise CommandError(f"GET {url} answered {response.status_code}: {response.content[:200]!r}")
            return response

        def counted(url, **headers):
            with CaptureQueriesContext(connection) as queries:
                response = get(url, **headers)
            return response, len(queries)

        get(SMALL_FEED)  # imports, URL resolver, VTIMEZONE cache: not what we measure
        cache.clear()
        _small, small_queries = counted(SMALL_FEED)

        cold_s, (feed, feed_queries) = best_of(runs, lambda: counted(FEED), prepare=cache.clear)
        text = feed.content

        header, timezones, events = plain_values(text)
        library_s, library_text = best_of(runs, lambda: library_feed(header, timezones, events))

        cache.clear()
        tracemalloc.start()
        get(FEED)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        get(FEED)  # fill the cache again
        session = Session.objects.public().filter(start__isnull=False).order_by("id").first()
        if session is None:
            raise CommandError("No public session to edit: seed the database first (seed_scale).")
        session.title = f"{session.title} (edited)"
        session.save()
        warm_s, warm = best_of(1, lambda: get(FEED))
        if session.title.encode() not in warm.content.replace(b"\r\n ", b""):
            raise CommandError("The warm feed does not show the edit.")

        etag = warm["ETag"]
        not_modified_s, (not_modified, not_modified_queries) = best_of(
            max(runs, 5), lambda: counted(FEED, if_none_match=etag)
        )
        if not_modified.status_code != 304:
            raise CommandError(f"The conditional request answered {not_modified.status_code}, not 304.")

        list_s, _page = best_of(runs, lambda: get(reverse("events:meeting_list")))
        api_s, _api = best_of(runs, lambda: get("/api/v1/sessions/"))

        result = {
            "database": connection.vendor,
            "meetings": Meeting.objects.count(),
            "sessions": Session.objects.count(),
            "feed_events": len(events),
            "feed_bytes": len(text),
            "library_bytes": len(library_text),
            "cold_feed_s": round(cold_s, 4),
            "library_floor_s": round(library_s, 4),
            "cold_library_ratio": round(cold_s / library_s, 3),
            "warm_feed_s": round(warm_s, 4),
            "warm_library_ratio": round(warm_s / library_s, 3),
            "not_modified_s": round(not_modified_s, 4),
            "not_modified_queries": not_modified_queries,
            "queries_per_feed": feed_queries,
            "queries_per_small_feed": small_queries,
            "queries_constant": feed_queries == small_queries,
            "peak_memory_mb": round(peak / 2**20, 1),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "list_page_s": round(list_s, 4),
            "api_list_s": round(api_s, 4),
        }
        self.stdout.write(json.dumps(result))
