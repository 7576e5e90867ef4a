"""Assembling whole feeds from cached pieces and month chunks (events/ical_assembly.py).

Only a changed month is read and rendered again, the chunks give the bytes of a build from full rows, and a
large feed is served from its cached pieces.
"""

import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.conf import settings

from events import feeds
from events import ical
from events import ical_assembly
from events.models import Access
from events.models import Session

from .conftest import ical_meeting_row
from .conftest import session_row
from .conftest import sessions_in_months
from .conftest import suid
from .conftest import uids
from .factories import MeetingFactory
from .factories import SessionFactory
from .factories import timed

pytestmark = pytest.mark.django_db
DAY = dt.date(2030, 3, 1)
DOMAIN = settings.SITE_DOMAIN
SGT = zoneinfo.ZoneInfo("Asia/Singapore")
CTX = ical.FeedContext(domain="events.test", base_url="https://events.test")
PUBLIC = ["public"]


def _record_month_reads(monkeypatch):
    read = []
    real = ical_assembly.render_chunked_feed

    def recording(*, rows, **kwargs):
        return real(rows=lambda months: read.append(months) or rows(months), **kwargs)

    monkeypatch.setattr(ical_assembly, "render_chunked_feed", recording)
    return read


def test_cold_feed_reads_all_rows_once(client, monkeypatch):
    read = _record_month_reads(monkeypatch)
    sessions = sessions_in_months([1, 2, 3, 4])
    text = client.get("/feeds/all.ics").content.decode()
    assert [text.count(suid(session)) for session in sessions] == [1, 1, 1, 1]
    assert read == [None]


def test_edit_reads_full_rows_of_the_edited_month_only(client, monkeypatch):
    sessions = sessions_in_months([1, 3, 5, 7])
    MeetingFactory(start_date=dt.date(2030, 9, 1), end_date=dt.date(2030, 9, 1))
    client.get("/feeds/all.ics")
    read = _record_month_reads(monkeypatch)
    sessions[1].title = "Edited"
    sessions[1].save()
    assert "Edited" in client.get("/feeds/all.ics").content.decode()
    assert read == [["2030-03"]]


def test_one_edit_renders_the_events_of_its_month_only(client, monkeypatch):
    sessions = sessions_in_months([1, 2, 2, 4, 6])
    client.get("/feeds/all.ics")
    rendered = []
    real = ical.session_event
    monkeypatch.setattr(ical, "session_event", lambda row, *a: rendered.append(row["id"]) or real(row, *a))
    sessions[2].title = "Edited"
    sessions[2].save()
    assert "Edited" in client.get("/feeds/all.ics").content.decode()
    assert sorted(rendered) == [sessions[1].pk, sessions[2].pk]


def test_feed_from_month_chunks_has_the_bytes_of_the_builder_on_full_rows(client):
    meeting = MeetingFactory(start_date=DAY, end_date=DAY + dt.timedelta(days=2))
    for day, hour, minute in [(2, 9, 0), (0, 14, 30), (0, 9, 0), (1, 22, 0), (0, 9, 30)]:
        start, end = timed(DAY + dt.timedelta(days=day), hour, minute, zone="Asia/Tokyo")
        SessionFactory(meeting=meeting, starts_on=start.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")).date(),
                       ends_on=start.date(), start=start, end=end)  # fmt: skip
    SessionFactory(meeting=meeting, starts_on=DAY + dt.timedelta(days=1))  # date-only
    MeetingFactory(start_date=DAY + dt.timedelta(days=1), end_date=DAY + dt.timedelta(days=1))  # sessionless
    served = client.get("/feeds/all.ics")
    options = feeds.feed_options(served.wsgi_request.GET)
    sessions, meetings = feeds.feed_querysets(viewer=None, private=False, options=options)
    built = ical_assembly.render_feed(
        meta=feeds.AllFeed().get_meta(),
        ctx=ical.FeedContext(domain=DOMAIN, base_url="http://testserver"),
        sessions=list(sessions.values(*ical.SESSION_FIELDS)),
        meetings=list(meetings.values(*ical.MEETING_FIELDS)),
        levels=[Access.PUBLIC],
        documents=feeds.documents_loader(sessions, meetings),
        use_cache=False,
    )
    assert served.content.decode() == built
    assert len(uids(served)) == 7


def test_large_feed_renders_from_cache_quickly(client):
    import time

    meeting = MeetingFactory(start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31))
    zone = zoneinfo.ZoneInfo("Asia/Singapore")
    rows = []
    for n in range(2000):
        start = dt.datetime(2030, 1, 1, 8, tzinfo=zone) + dt.timedelta(days=n % 365, hours=n % 9)
        rows.append(Session(
            meeting=meeting, title=f"Session {n}", venue=meeting.venue, starts_on=start.date(), ends_on=start.date(),
            start=start, end=start + dt.timedelta(hours=1),
        ))  # fmt: skip
    Session.objects.bulk_create(rows)
    cold_started = time.perf_counter()
    first = client.get("/feeds/all.ics")
    cold = time.perf_counter() - cold_started
    warm_started = time.perf_counter()
    second = client.get("/feeds/all.ics?x=1")
    warm = time.perf_counter() - warm_started
    assert second.content == first.content
    assert first.content.decode().count("BEGIN:VEVENT") == 2000
    assert cold < 10
    assert warm < 2


# Built from rows, no database: one VTIMEZONE per zone used, a changed event rendered alone, events in order.


def test_render_feed_adds_one_vtimezone_per_tzid_used():
    rows = [
        session_row(id=1),
        session_row(id=2),
        session_row(id=3, venue__timezone="Europe/Brussels"),
        session_row(id=4, venue__timezone="UTC"),
        session_row(id=5, start=None, end=None, venue__timezone="Asia/Tokyo"),
    ]
    text = ical_assembly.render_feed(
        meta=ical.CalendarMeta(name="x"), ctx=CTX, sessions=rows, meetings=[], levels=PUBLIC, use_cache=False
    )
    calendar = icalendar.Calendar.from_ical(text)
    assert [tz.tz_name for tz in calendar.timezones] == ["Asia/Singapore", "Europe/Brussels"]
    assert calendar.get_missing_tzids() == set()
    assert all(component.errors == [] for component in calendar.walk())


def test_render_feed_renders_a_changed_event_only(monkeypatch):
    calls = []
    real = ical.session_event
    monkeypatch.setattr(
        ical, "session_event", lambda row, ctx, docs=(): calls.append(row["id"]) or real(row, ctx, docs)
    )
    meta = ical.CalendarMeta(name="x")
    rows = [session_row(id=n) for n in range(1, 6)]
    first = ical_assembly.render_feed(meta=meta, ctx=CTX, sessions=rows, meetings=[], levels=PUBLIC)
    again = ical_assembly.render_feed(meta=meta, ctx=CTX, sessions=rows, meetings=[], levels=PUBLIC)
    assert calls == [1, 2, 3, 4, 5]
    assert again == first
    rows[2] = session_row(id=3, revision=4, title="Renamed")
    changed = ical_assembly.render_feed(meta=meta, ctx=CTX, sessions=rows, meetings=[], levels=PUBLIC)
    assert calls == [1, 2, 3, 4, 5, 3]
    assert "Renamed" in changed


def test_render_feed_orders_events_by_start():
    rows = [
        session_row(id=1, start=dt.datetime(2030, 3, 1, 14, tzinfo=SGT), end=dt.datetime(2030, 3, 1, 15, tzinfo=SGT)),
        session_row(id=2),
    ]
    meetings = [ical_meeting_row(id=9, start_date=dt.date(2030, 2, 1), end_date=dt.date(2030, 2, 1))]
    text = ical_assembly.render_feed(
        meta=ical.CalendarMeta(name="x"), ctx=CTX, sessions=rows, meetings=meetings, levels=PUBLIC, use_cache=False
    )
    event_uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(text).events]
    assert event_uids == ["meeting-9@events.test", "session-2@events.test", "session-1@events.test"]
