"""Benchmark feeds, pages and API lists against the current database; print one JSON line.

Floors, measured in the same run so the ratios hold on a busy machine:
- the f-string writer: one read of the feed's rows and one f-string per event,
  with the escaping and folding RFC 5545 requires (`fstring_same_text` says
  whether it wrote the very bytes the feed serves);
- the icalendar library building the same events from plain values (issue 6).

Sizes: everything is measured on the database as seeded, then the 304, the
cached pages and their queries again with the calendar cut to about 1,000
sessions inside a transaction that is rolled back. Times are the best of a few
runs. Running this edits one session (to measure the feed after an edit).
"""

import datetime as dt
import gzip
import json
import resource
import time
import tracemalloc

import brotli
import icalendar
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from events import feeds, ical
from events.models import Access, Meeting, Mode, OutcomeDocument, Session, SessionKind, Status

FEED = "/feeds/all.ics"
# A feed with a handful of events: its query count must equal the big feed's.
SMALL_FEED = "/feeds/all.ics?from=2000-01-01&to=2000-03-31"
LIST_PAGE = "/meetings/"
API_LIST = "/api/v1/sessions/"
# The calendar is cut to about this many sessions for the second size.
SMALL_SESSIONS = 1000
# --- The f-string floor ---------------------------------------------------------
#
# The least any writer of this feed must do: read the same rows once, then write
# each event with f-strings (escaping and folding its lines as RFC 5545 requires).
# No cache, no digests, no framework: `fstring_same_text` in the output says
# whether it wrote the very bytes the feed serves.

UTC = dt.UTC
STATUS_TO_ICAL = {str(key): value for key, value in ical.ICAL_STATUS.items()}


def _labels(choices):
    return {str(value): str(label) for value, label in choices.choices}


def fstring_feed(*, sessions, meetings, documents, header, vtimezones, domain, base_url, meeting_path, levels):
    """The feed's text from full rows (public, English, not per day)."""
    esc, fold = ical.escape_text, ical.fold
    mode, status_label, kind = _labels(Mode), _labels(Status), _labels(SessionKind)
    doc_kind, doc_status = _labels(OutcomeDocument.Kind), _labels(OutcomeDocument.DocumentStatus)
    by_meeting, by_session = {}, {}
    for doc in documents:
        (by_session.setdefault(doc["session_id"], []) if doc["session_id"] else by_meeting.setdefault(
            doc["meeting_id"], [])).append(doc)  # fmt: skip

    def docs_text(docs):
        lines, attach = [], []
        for doc in docs:
            line = f"- {doc['title'] or ''} ({doc_kind[doc['kind']]}, {doc_status[doc['status']]})"
            link = ""
            if doc["status"] == "published":
                link = doc["url"] or (base_url + default_storage.url(doc["file"]) if doc["file"] else "")
            if link:
                line += f": {link}"
                attach.append(fold(f"ATTACH:{link}"))
            lines.append(line)
        return (["", "Documents:", *lines] if lines else []), "".join(attach)

    def stamp(moment):
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    def color(value):
        return f"COLOR:{value.lower()}\r\n" if value and value.isalpha() and 3 <= len(value) <= 30 else ""

    def times(r):
        if r["start"] is None:
            first, last = r["starts_on"], (r["ends_on"] or r["starts_on"]) + dt.timedelta(days=1)
            return f"DTSTART;VALUE=DATE:{first:%Y%m%d}\r\nDTEND;VALUE=DATE:{last:%Y%m%d}\r\n"
        tz = r["venue__timezone"] or r["meeting__timezone"]
        if tz == "UTC":
            return f"DTSTART:{stamp(r['start'])}\r\nDTEND:{stamp(r['end'])}\r\n"
        zone = ical.zone_info(tz)
        return (f"DTSTART;TZID={tz}:{r['start'].astimezone(zone):%Y%m%dT%H%M%S}\r\n"
                f"DTEND;TZID={tz}:{r['end'].astimezone(zone):%Y%m%dT%H%M%S}\r\n")  # fmt: skip

    def status_of(r):
        meeting, own = STATUS_TO_ICAL[r["meeting__status"]], STATUS_TO_ICAL[r["status"]]
        if meeting == "CANCELLED":
            return "CANCELLED"
        return "TENTATIVE" if own == "CONFIRMED" and r["meeting__status"] == "tentative" else own

    def session(r):
        changed = stamp(max(r["updated"], r["meeting__updated"]))
        sequence = r["revision"] + r["meeting__revision"] - 1
        if r["access"] not in levels:
            return (
                f"BEGIN:VEVENT\r\nUID:session-{r['id']}@{domain}\r\nDTSTAMP:{changed}\r\n{times(r)}"
                f"SUMMARY:Closed session\r\nSEQUENCE:{sequence}\r\nSTATUS:{status_of(r)}\r\nEND:VEVENT\r\n"
            )
        meeting_title, title = r["meeting__title"] or "", r["title"] or ""
        lines = [f"Meeting: {meeting_title}", f"Format: {mode[r['mode']]}"]
        if r["status"] != "scheduled":
            lines.append(f"Status: {status_label[r['status']]}")
        if r["description"]:
            lines += ["", r["description"]]
        more, attach = docs_text(by_session.get(r["id"], []) + by_meeting.get(r["meeting_id"], []))
        venue, city = r["venue__name"], r["venue__city"]
        if not venue:
            venue, city = r["meeting__venue__name"], r["meeting__venue__city"]
        location = ", ".join(p for p in (r["room"], venue, city if city != venue else "") if p)
        if not location and r["mode"] == "virtual":
            location = "Online"
        summary = f"{title} – {meeting_title}" if meeting_title else title
        categories = ",".join(esc(v) for v in (r["meeting__series__name"], kind[r["kind"]], mode[r["mode"]]) if v)
        return (
            f"BEGIN:VEVENT\r\nUID:session-{r['id']}@{domain}\r\nDTSTAMP:{changed}\r\n{times(r)}"
            + fold(f"SUMMARY:{esc(summary)}")
            + (fold(f"LOCATION:{esc(location)}") if location else "")
            + fold(f"DESCRIPTION:{esc(chr(10).join(lines + more))}")
            + fold(f"URL:{base_url}{meeting_path.replace('SLUG', r['meeting__slug'])}#session-{r['id']}")
            + fold(f"CATEGORIES:{categories}")
            + f"RELATED-TO;RELTYPE=PARENT:meeting-{r['meeting_id']}@{domain}\r\nSEQUENCE:{sequence}\r\n"
            f"STATUS:{status_of(r)}\r\nLAST-MODIFIED:{changed}\r\n"
            + ("TRANSP:TRANSPARENT\r\n" if r["start"] is None else "")
            + color(r["meeting__series__color"]) + attach + "END:VEVENT\r\n"
        )  # fmt: skip

    def meeting(r):
        changed = stamp(r["updated"])
        format_label = mode[r["mode"]] if r["mode"] else "Format not announced"
        lines = [f"Format: {format_label}"]
        if r["status"] != "scheduled":
            lines.append(f"Status: {status_label[r['status']]}")
        if r["theme"]:
            lines.append(f"Theme: {r['theme']}")
        if r["description"]:
            lines += ["", r["description"]]
        if r["official_url"]:
            lines += ["", f"Official site: {r['official_url']}"]
        more, attach = docs_text(by_meeting.get(r["id"], []))
        city = r["venue__city"] if r["venue__city"] != r["venue__name"] else ""
        location = ", ".join(p for p in (r["venue__name"], city) if p)
        categories = ",".join(
            esc(v) for v in (r["series__name"], "Meeting", mode[r["mode"]] if r["mode"] else "") if v
        )
        end = r["end_date"] + dt.timedelta(days=1)
        return (
            f"BEGIN:VEVENT\r\nUID:meeting-{r['id']}@{domain}\r\nDTSTAMP:{changed}\r\n"
            f"DTSTART;VALUE=DATE:{r['start_date']:%Y%m%d}\r\nDTEND;VALUE=DATE:{end:%Y%m%d}\r\n"
            + fold(f"SUMMARY:{esc(r['title'] or '')}")
            + (fold(f"LOCATION:{esc(location)}") if location else "")
            + fold(f"DESCRIPTION:{esc(chr(10).join(lines + more))}")
            + fold(f"URL:{base_url}{meeting_path.replace('SLUG', r['slug'])}")
            + fold(f"CATEGORIES:{categories}")
            + (f"RELATED-TO;RELTYPE=PARENT:meeting-{r['parent_id']}@{domain}\r\n" if r["parent_id"] else "")
            + f"SEQUENCE:{r['revision']}\r\nSTATUS:{STATUS_TO_ICAL[r['status']]}\r\nLAST-MODIFIED:{changed}\r\n"
            "TRANSP:TRANSPARENT\r\n" + color(r["series__color"]) + attach + "END:VEVENT\r\n"
        )  # fmt: skip

    items = [
        ((r["starts_on"], 1 if r["start"] else 0, stamp(r["start"]) if r["start"] else "", 1, r["id"]), session, r)
        for r in sessions
    ]
    items += [((r["start_date"], 0, "", 0, r["id"]), meeting, r) for r in meetings]
    items.sort(key=lambda item: item[0])
    return "".join([header, *vtimezones, *(write(row) for _key, write, row in items), "END:VCALENDAR\r\n"])


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


def floor_feed(base_url):
    """The f-string floor for /feeds/all.ics: one read of the rows (and documents), then f-strings."""
    options = feeds.feed_options(QueryDict())
    sessions, meetings = feeds.feed_querysets(viewer=None, private=False, options=options)
    session_rows = list(sessions.values(*ical.SESSION_FIELDS))
    meeting_rows = list(meetings.values(*ical.MEETING_FIELDS))
    meeting_ids = {row["meeting_id"] for row in session_rows} | {row["id"] for row in meeting_rows}
    documents = feeds.documents_loader(sessions, meetings)(meeting_ids)
    with translation.override("en"):
        header = ical.calendar_header(feeds.AllFeed().get_meta())
    zones = {row["venue__timezone"] or row["meeting__timezone"] for row in session_rows if row["start"]}
    return fstring_feed(
        sessions=session_rows, meetings=meeting_rows, documents=documents, header=header,
        vtimezones=[ical.vtimezone(zone) for zone in sorted(zones - {"UTC"})], domain=settings.SITE_DOMAIN,
        base_url=base_url,
        meeting_path=reverse("events:meeting_detail", kwargs={"slug": "SLUG"}), levels={Access.PUBLIC},
    )  # fmt: skip


def cut_to(sessions):
    """Delete all but the first meetings holding about `sessions` sessions (call inside a transaction)."""
    ids = list(Meeting.objects.order_by("id").values_list("id", flat=True))
    per_meeting = max(1, Session.objects.count() // max(1, len(ids)))
    keep = ids[: max(1, sessions // per_meeting)]
    cutoff = keep[-1]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM events_outcomedocument WHERE meeting_id > %s", [cutoff])
        cursor.execute("DELETE FROM events_session WHERE meeting_id > %s", [cutoff])
        cursor.execute("UPDATE events_meeting SET parent_id = NULL WHERE parent_id > %s", [cutoff])
        cursor.execute("DELETE FROM events_meeting WHERE id > %s", [cutoff])


class Command(BaseCommand):
    help = "Time feeds (cold, warm, cached, 304, compressed), pages and API lists at two sizes; print one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3, help="Runs per measurement; the best is reported.")

    def handle(self, *args, runs, **options):
        if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            raise CommandError("ALLOWED_HOSTS must include 'testserver' for the in-process client.")
        client = Client()
        many = max(runs, 5) * 4  # sub-millisecond answers: more runs, the best counts

        def get(url, **headers):
            response = client.get(url, headers=headers)
            if response.status_code not in {200, 304}:
                raise CommandError(f"GET {url} answered {response.status_code}: {response.content[:200]!r}")
            return response

        def counted(url, **headers):
            with CaptureQueriesContext(connection) as queries:
                response = get(url, **headers)
            return response, len(queries)

        def conditional(url):
            etag = get(url)["ETag"]
            seconds, (response, queries) = best_of(many, lambda: counted(url, if_none_match=etag))
            if response.status_code != 304:
                raise CommandError(f"The conditional request for {url} answered {response.status_code}, not 304.")
            return seconds, queries

        def pages():
            """Uncached and cached times and queries of the list page and API list, and their 304s."""
            figures = {}
            for name, url in (("list_page", LIST_PAGE), ("api_list", API_LIST)):
                seconds, (_page, queries) = best_of(runs, lambda url=url: counted(url), prepare=cache.clear)
                cached_s, (_page, cached_queries) = best_of(many, lambda url=url: counted(url))
                not_modified_s, _queries = conditional(url)
                figures.update({
                    f"{name}_s": round(seconds, 4), f"{name}_queries": queries,
                    f"{name}_cached_s": round(cached_s, 5), f"{name}_cached_queries": cached_queries,
                    f"{name}_304_s": round(not_modified_s, 5),
                })  # fmt: skip
            return figures

        get(SMALL_FEED)  # imports, URL resolver, VTIMEZONE cache: not what we measure
        cache.clear()
        _small, small_queries = counted(SMALL_FEED)

        cold_s, (feed, feed_queries) = best_of(runs, lambda: counted(FEED), prepare=cache.clear)
        text = feed.content
        base_url = feed.wsgi_request.build_absolute_uri("/").rstrip("/")
        floor_s, floor_text = best_of(runs, lambda: floor_feed(base_url))

        header, timezones, events = plain_values(text)
        library_s, library_text = best_of(1, lambda: library_feed(header, timezones, events))

        cache.clear()
        tracemalloc.start()
        get(FEED)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        session = Session.objects.public().filter(start__isnull=False).order_by("id").first()
        if session is None:
            raise CommandError("No public session to edit: seed the database first (seed_scale).")
        edits = iter(range(1, 1000))

        def edit():
            get(FEED)  # the feed as subscribers last saw it is cached
            session.title = f"{session.title.split(' (edited')[0]} (edited {next(edits)})"
            session.save()

        warm_s, warm = best_of(runs, lambda: get(FEED), prepare=edit)
        if session.title.encode() not in warm.content.replace(b"\r\n ", b""):
            raise CommandError("The warm feed does not show the edit.")
        cached_s, _cached = best_of(runs, lambda: get(FEED))

        codings = {}
        for coding, decompress in (("gzip", gzip.decompress), ("br", brotli.decompress)):
            first_s, first = best_of(1, lambda coding=coding: get(FEED, accept_encoding=coding))
            again_s, again = best_of(runs, lambda coding=coding: get(FEED, accept_encoding=coding))
            if decompress(again.content) != warm.content or again["ETag"] != warm["ETag"]:
                raise CommandError(f"The {coding} feed is not the feed.")
            codings[coding] = (first_s, again_s, len(again.content))

        not_modified_s, not_modified_queries = conditional(FEED)
        page_figures = pages()
        big = {"sessions": Session.objects.count(), "meetings": Meeting.objects.count()}

        with transaction.atomic():
            cut_to(SMALL_SESSIONS)
            small_sessions = Session.objects.count()
            small_not_modified_s, _queries = conditional(FEED)
            small_pages = pages()
            transaction.set_rollback(True)

        raw = len(text)
        result = {
            "database": connection.vendor,
            **big,
            "feed_events": len(events),
            "feed_bytes": raw,
            "cold_feed_s": round(cold_s, 4),
            "fstring_floor_s": round(floor_s, 4),
            "fstring_same_text": floor_text.encode() == text,
            "cold_fstring_ratio": round(cold_s / floor_s, 3),
            "library_floor_s": round(library_s, 4),
            "library_bytes": len(library_text),
            "cold_library_ratio": round(cold_s / library_s, 3),
            "warm_feed_s": round(warm_s, 4),
            "warm_fstring_ratio": round(warm_s / floor_s, 3),
            "cached_feed_s": round(cached_s, 4),
            "gzip_first_s": round(codings["gzip"][0], 4),
            "gzip_cached_s": round(codings["gzip"][1], 4),
            "gzip_bytes": codings["gzip"][2],
            "gzip_wire_ratio": round(codings["gzip"][2] / raw, 4),
            "brotli_first_s": round(codings["br"][0], 4),
            "brotli_cached_s": round(codings["br"][1], 4),
            "brotli_bytes": codings["br"][2],
            "brotli_wire_ratio": round(codings["br"][2] / raw, 4),
            "not_modified_s": round(not_modified_s, 5),
            "not_modified_queries": not_modified_queries,
            "small_sessions": small_sessions,
            "small_not_modified_s": round(small_not_modified_s, 5),
            "not_modified_size_ratio": round(not_modified_s / small_not_modified_s, 3),
            "queries_per_feed": feed_queries,
            "queries_per_small_feed": small_queries,
            "queries_constant": feed_queries == small_queries,
            "peak_memory_mb": round(peak / 2**20, 1),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **page_figures,
            **{f"small_{key}": value for key, value in small_pages.items()},
            **{
                f"{name}_cached_size_ratio": round(big_s / small_pages[f"{name}_cached_s"], 3)
                for name, big_s in (("list_page", page_figures["list_page_cached_s"]),
                                    ("api_list", page_figures["api_list_cached_s"]))  # fmt: skip
            },
        }
        self.stdout.write(json.dumps(result))
