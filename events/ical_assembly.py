"""Assembling a whole iCalendar feed from the event texts of events/ical.py: pieces cached per
event, or month chunks filed under digests of their rows."""

import functools
import hashlib

from django.core.cache import cache

from . import ical
from .ical import (
    CODE_VERSION,
    CRLF,
    KEY_DAY,
    KEY_START,
    KEY_VERSION,
    PIECE_TIMEOUT,
    _writing,
    calendar_header,
    is_closed_stub,
    session_tzid,
    shows_parent,
    utc_stamp,
    vtimezone,
)

# --- Assembling a feed ------------------------------------------------------


def _stamp_key(value):
    return value.timestamp() if value else "-"


def _session_stamps(row):
    # Key rows carry the change times as one text column (see KEY_VERSION):
    # converting 60,000 timestamps to datetimes was most of a warm feed's time.
    if KEY_VERSION in row:
        return row[KEY_VERSION].replace(" ", "T")  # cache keys hold no spaces
    return "|".join(str(_stamp_key(row[name])) for name in ("updated", "meeting__updated", "meeting__series__updated"))


def _meeting_stamps(row):
    if KEY_VERSION in row:
        return row[KEY_VERSION].replace(" ", "T")
    return "|".join(str(_stamp_key(row[name])) for name in ("updated", "series__updated"))


def session_piece_key(row, ctx, variant):
    parts = ("s", row["id"], row["revision"], row["meeting__revision"], _session_stamps(row), variant)
    return _piece_key(parts, ctx)


def meeting_piece_key(row, ctx, variant):
    return _piece_key(("m", row["id"], row["revision"], _meeting_stamps(row), variant), ctx)


def _piece_key(parts, ctx):
    """(kind, id, revisions, change times, variant) plus language, per_day and the base URL."""
    tail = (ctx.language, int(ctx.per_day), _base_hash(ctx.base_url, ctx.domain))
    return ":".join(map(str, ("ical", CODE_VERSION, *parts, *tail)))


@functools.cache
def _base_hash(base_url, domain):
    return hashlib.sha256(f"{base_url}|{domain}".encode()).hexdigest()[:12]


def _revisions(row):
    return row["revision"], row.get("meeting__revision")


def _start(row):
    """The session's start (a datetime, or in key rows its UTC text), None for a date-only session."""
    return row[KEY_START] if KEY_START in row else row["start"]


def _sort_key(item):
    kind, row = item
    if KEY_DAY in row:  # key rows: day and start as sortable text
        if kind == "m":
            return (row[KEY_DAY], 0, "", 0, row["id"])
        start = row[KEY_START]
        return (row[KEY_DAY], 1 if start else 0, start or "", 1, row["id"])
    if kind == "m":
        return (row["start_date"], 0, "", 0, row["id"])
    start = row["start"]
    return (row["starts_on"], 1 if start else 0, utc_stamp(start) if start else "", 1, row["id"])


# Pieces travel to and from the cache in batches: one round trip of 20,000
# pieces (~15 MB) would outlast a short cache socket timeout.
CACHE_BATCH = 2000


def _get_many(keys):
    found = {}
    for start in range(0, len(keys), CACHE_BATCH):
        found.update(cache.get_many(keys[start : start + CACHE_BATCH]))
    return found


def _set_many(pieces):
    items = list(pieces.items())
    for start in range(0, len(items), CACHE_BATCH):
        cache.set_many(dict(items[start : start + CACHE_BATCH]), timeout=PIECE_TIMEOUT)


def _piece_entry(kind, row, ctx, levels):
    """(cache key, kind, variant) of one event row (full or key fields only)."""
    if kind == "s":
        variant = "closed" if is_closed_stub(row, levels) else ("private" if ctx.private else "public")
        return session_piece_key(row, ctx, variant), kind, variant
    variant = ("private" if ctx.private else "public") + ("+parent" if shows_parent(row, levels) else "")
    return meeting_piece_key(row, ctx, variant), kind, variant


# --- Assembling a feed from month chunks ------------------------------------------
#
# A feed is kept as one cached chunk of text per month of events, filed under
# a digest of that month's rows (counts, id and revision sums, latest change
# times) that the database computes in grouped queries once per change. After
# an edit only the edited month is read and written again; the rest travel
# from the cache in a few large blocks.

# Chunks travel in blocks of this many keys (a month is ~50 kB at 20,000 sessions):
# one 13 MB round trip could outlast a short cache socket timeout.
CHUNK_BLOCK = 48


def chunk_key(ctx, levels, feed, month, digest):
    """A month's chunk: the feed (address, filters, scope), its reader, the month and the month's digest."""
    variant = repr((feed, ctx.language, ctx.per_day, ctx.private, ctx.base_url, ctx.domain, sorted(levels)))
    return f"ical:chunk:{CODE_VERSION}:{hashlib.sha256(variant.encode()).hexdigest()[:24]}:{month}:{digest}"


def _row_month(kind, row):
    day = row["starts_on"] if kind == "s" else row["start_date"]
    return f"{day.year:04d}-{day.month:02d}"


def render_chunked_feed(*, meta, ctx, levels, digests, feed, rows):
    """The whole feed as UTF-8 bytes, from cached month chunks; only months whose digest moved are read and rendered.

    digests: {month ("yyyy-mm"): digest} of every month with events anywhere (see feeds.month_digests).
    feed: text naming the feed (address, filters, scope): chunks of different feeds never mix.
    rows: a callable taking a list of months (or None for all) and returning the full rows
        (sessions, meetings) of those months and a documents loader; called at most once.
    A chunk is kept as (UTF-8 text, the time zones its timed sessions use).
    """
    months = sorted(digests)
    keys = {month: chunk_key(ctx, levels, feed, month, digests[month]) for month in months}
    ordered = [keys[month] for month in months]
    found = {}
    for start in range(0, len(ordered), CHUNK_BLOCK):
        found.update(cache.get_many(ordered[start : start + CHUNK_BLOCK]))
    missing = [month for month in months if keys[month] not in found]
    if missing:
        wanted = set(missing)
        session_rows, meeting_rows, documents = rows(None if len(missing) == len(months) else missing)
        by_month = {}
        for kind, row_list in (("s", session_rows), ("m", meeting_rows)):
            for row in row_list:
                month = _row_month(kind, row)
                if month in wanted:
                    by_month.setdefault(month, []).append((kind, row))
        texts = _render_items([item for items in by_month.values() for item in items], ctx, levels, documents)
        fresh = {}
        for month in missing:
            items = sorted(by_month.get(month, []), key=_sort_key)
            zones = frozenset(session_tzid(row) for kind, row in items if kind == "s" and row["start"] is not None)
            text = "".join(texts[(kind, row["id"])] for kind, row in items).encode()
            found[keys[month]] = fresh[keys[month]] = (text, zones)
        block = {}
        for key, chunk in fresh.items():
            block[key] = chunk
            if len(block) == CHUNK_BLOCK:
                cache.set_many(block, timeout=PIECE_TIMEOUT)
                block = {}
        if block:
            cache.set_many(block, timeout=PIECE_TIMEOUT)
    chunks = [found[key] for key in ordered]
    zones = sorted(set().union(*(chunk[1] for chunk in chunks)) - {"UTC"}) if chunks else []
    head = calendar_header(meta) + "".join(vtimezone(tzid) for tzid in zones)
    # Chunks are kept encoded: encoding a 13 MB feed again on every rebuild was a tenth of it.
    return b"".join([head.encode(), *(chunk[0] for chunk in chunks), b"END:VCALENDAR" + CRLF.encode()])


def _documents_of(items, levels, documents):
    """({meeting id: documents}, {session id: documents}) of the (kind, row) items, in one call of `documents`.

    A closed session's stub shows no documents, so its meeting's are not asked for on its account.
    """
    docs_by_meeting, docs_by_session = {}, {}
    wanted = {row["meeting_id"] if kind == "s" else row["id"] for kind, row in items
              if kind == "m" or not is_closed_stub(row, levels)}  # fmt: skip
    for doc in documents(wanted) if documents and wanted else ():
        if doc["session_id"]:
            docs_by_session.setdefault(doc["session_id"], []).append(doc)
        else:
            docs_by_meeting.setdefault(doc["meeting_id"], []).append(doc)
    return docs_by_meeting, docs_by_session


def _render_items(items, ctx, levels, documents):
    """{(kind, id): text} for full rows, with their documents loaded in one call."""
    docs_by_meeting, docs_by_session = _documents_of(items, levels, documents)
    texts = {}
    with _writing(ctx.language):
        for kind, row in items:
            if kind == "m":
                text = ical.meeting_events(
                    row, ctx, docs_by_meeting.get(row["id"], ()), show_parent=shows_parent(row, levels)
                )
            elif is_closed_stub(row, levels):
                text = ical.closed_session_event(row, ctx)
            else:
                docs = docs_by_session.get(row["id"], []) + docs_by_meeting.get(row["meeting_id"], [])
                text = ical.session_event(row, ctx, docs)
            texts[(kind, row["id"])] = text
    return texts


def render_feed(*, meta, ctx, sessions, meetings, levels, documents=None, rows=None, use_cache=True):
    """The whole feed as text.

    meta: CalendarMeta (name, description, colour, refresh interval).
    ctx: FeedContext (UID domain, absolute base URL, language, private?, per_day?).
    sessions: rows with SESSION_FIELDS (or only SESSION_KEY_FIELDS when `rows`
        is given); those whose access is not in `levels` are rendered as
        closed-session stubs.
    meetings: rows with MEETING_FIELDS (or MEETING_KEY_FIELDS), for meetings
        without sessions in the feed.
    levels: the access levels of the feed's viewer (`visible_levels`).
    documents: a callable taking a set of meeting ids and returning rows with
        DOCUMENT_FIELDS; called once, only for the meetings of events not in the cache.
    rows: a callable taking (session ids, meeting ids) of the events not in the
        cache and returning their full rows as (sessions, meetings); called at
        most once. Without it, `sessions` and `meetings` must be full rows.
    """
    items = sorted([("s", row) for row in sessions] + [("m", row) for row in meetings], key=_sort_key)
    keyed = [(*_piece_entry(kind, row, ctx, levels), row) for kind, row in items]

    cached = _get_many([entry[0] for entry in keyed]) if use_cache else {}
    missing = [entry for entry in keyed if entry[0] not in cached]
    if missing:
        if rows is not None:
            session_rows, meeting_rows = rows(
                [row["id"] for _key, kind, _variant, row in missing if kind == "s"],
                [row["id"] for _key, kind, _variant, row in missing if kind == "m"],
            )
            full = {("s", row["id"]): row for row in session_rows} | {("m", row["id"]): row for row in meeting_rows}
        else:
            full = {(kind, row["id"]): row for _key, kind, _variant, row in missing}
        docs_by_meeting, docs_by_session = _documents_of(
            [(kind, row) for (kind, _id), row in full.items()], levels, documents
        )
        fresh, texts = {}, {}
        with _writing(ctx.language):
            for key, kind, variant, key_row in missing:
                row = full.get((kind, key_row["id"]))
                if row is None:
                    continue  # deleted since its key was read: it leaves the feed
                if kind == "s" and is_closed_stub(row, levels) != (variant == "closed"):
                    continue  # its access changed since its key was read: the next request has it
                if kind == "m" and shows_parent(row, levels) != variant.endswith("+parent"):
                    continue  # so did its parent's
                if variant == "closed":
                    text = ical.closed_session_event(row, ctx)
                elif kind == "s":
                    docs = docs_by_session.get(row["id"], []) + docs_by_meeting.get(row["meeting_id"], [])
                    text = ical.session_event(row, ctx, docs)
                else:
                    text = ical.meeting_events(
                        row, ctx, docs_by_meeting.get(row["id"], []), show_parent=variant.endswith("+parent")
                    )
                texts[key] = text
                # A row edited since its key was read is shown but not filed under the old key.
                if _revisions(row) == _revisions(key_row):
                    fresh[key] = text
        if use_cache:
            _set_many(fresh)
        cached.update(texts)

    tzids = sorted({session_tzid(row) for kind, row in items if kind == "s" and _start(row) is not None} - {"UTC"})
    parts = [calendar_header(meta)]
    parts.extend(vtimezone(tzid) for tzid in tzids)
    parts.extend(cached.get(entry[0], "") for entry in keyed)
    parts.append("END:VCALENDAR" + CRLF)
    return "".join(parts)
