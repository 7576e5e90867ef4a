"""The pure iCalendar builder (events.ical): rows in, one event or a calendar header out, no database."""

import datetime as dt
import zoneinfo

import icalendar
import pytest

from events import ical

from .conftest import ical_meeting_row
from .conftest import session_row

UTC = dt.UTC
SGT = zoneinfo.ZoneInfo("Asia/Singapore")
CTX = ical.FeedContext(domain="events.test", base_url="https://events.test")
PUBLIC = ["public"]


def parse_event(text):
    return icalendar.Event.from_ical(text)


def content_lines(text):
    return text.replace("\r\n ", "").split("\r\n")


def test_escape_text_escapes_specials_and_drops_control_characters():
    assert ical.escape_text("a,b;c\\d\r\ne\x07f") == r"a\,b\;c\\d\nef"


def test_fold_keeps_lines_within_75_octets_without_splitting_characters():
    line = "DESCRIPTION:" + "ภาษาไทย日本語" * 40
    folded = ical.fold(line)
    physical = folded.split("\r\n")[:-1]
    assert all(len(part.encode()) <= 75 for part in physical)
    assert folded.replace("\r\n ", "") == line + "\r\n"


def test_session_event_timed_uses_tzid_stable_uid_and_row_times():
    text = ical.session_event(session_row(), CTX)
    event = parse_event(text)
    lines = content_lines(text)
    assert "UID:session-7@events.test" in lines
    assert "DTSTART;TZID=Asia/Singapore:20300301T090000" in lines
    assert "DTEND;TZID=Asia/Singapore:20300301T103000" in lines
    assert event.start == dt.datetime(2030, 3, 1, 1, tzinfo=UTC)
    assert "DTSTAMP:20300102T030405Z" in lines
    assert "LAST-MODIFIED:20300102T030405Z" in lines
    assert event["SEQUENCE"] == 4  # session revision 3 plus the meeting's changes since its first revision
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Plenary – 32nd Summit"
    assert str(event["LOCATION"]) == "Hall 1, Shangri-La, Singapore"
    assert str(event["URL"]) == "https://events.test/meetings/summit-32/#session-7"
    assert "RELATED-TO;RELTYPE=PARENT:meeting-5@events.test" in lines
    assert [str(c) for c in event["CATEGORIES"].cats] == ["ASEAN Summit", "Plenary", "Hybrid"]
    assert "COLOR:steelblue" in lines
    assert str(event["DESCRIPTION"]) == "Meeting: 32nd Summit\nFormat: Hybrid\n\nOpening remarks."


def test_public_session_event_has_no_join_link_or_passcode():
    text = ical.session_event(session_row(), CTX)
    assert "meet.example" not in text
    assert "9911" not in text
    assert "CONFERENCE" not in text


def test_private_session_event_has_conference_and_passcode():
    text = ical.session_event(
        session_row(access="restricted"), ical.FeedContext("events.test", "https://e", private=True)
    )
    lines = content_lines(text)
    assert 'CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL="Join online – Passcode: 9911":https://meet.example/j/42' in lines
    assert "CLASS:PRIVATE" in lines
    assert "Join: https://meet.example/j/42\nPasscode: 9911" in str(parse_event(text)["DESCRIPTION"])


def test_date_only_session_is_all_day_with_exclusive_end():
    row = session_row(start=None, end=None, starts_on=dt.date(2030, 3, 1), ends_on=dt.date(2030, 3, 2))
    lines = content_lines(ical.session_event(row, CTX))
    assert "DTSTART;VALUE=DATE:20300301" in lines
    assert "DTEND;VALUE=DATE:20300303" in lines


def test_utc_session_is_written_in_utc_without_tzid():
    row = session_row(venue__timezone="UTC", start=dt.datetime(2030, 3, 1, 9, tzinfo=UTC))
    row["end"] = row["start"] + dt.timedelta(hours=1)
    lines = content_lines(ical.session_event(row, CTX))
    assert "DTSTART:20300301T090000Z" in lines


@pytest.mark.parametrize(
    ("session_status", "meeting_status", "expected"),
    [
        ("scheduled", "scheduled", "CONFIRMED"),
        ("rescheduled", "scheduled", "CONFIRMED"),
        ("tentative", "scheduled", "TENTATIVE"),
        ("scheduled", "tentative", "TENTATIVE"),
        ("postponed", "scheduled", "CANCELLED"),
        ("cancelled", "scheduled", "CANCELLED"),
        ("scheduled", "cancelled", "CANCELLED"),
        ("scheduled", "postponed", "CANCELLED"),
    ],
)
def test_session_status_maps_to_ical_status(session_status, meeting_status, expected):
    row = session_row(status=session_status, meeting__status=meeting_status)
    assert str(parse_event(ical.session_event(row, CTX))["STATUS"]) == expected


def test_indonesian_feed_uses_indonesian_titles_with_english_fallback():
    ctx = ical.FeedContext("events.test", "https://e", language="id")
    assert str(parse_event(ical.session_event(session_row(), ctx))["SUMMARY"]) == "Sesi Pleno – KTT ke-32"
    assert str(parse_event(ical.session_event(session_row(title_id=""), ctx))["SUMMARY"]) == "Plenary – KTT ke-32"


def test_closed_session_event_shows_only_time_and_closed_summary():
    row = session_row(access="restricted")
    event = parse_event(ical.closed_session_event(row, CTX))
    assert sorted(event.keys()) == ["DTEND", "DTSTAMP", "DTSTART", "SEQUENCE", "STATUS", "SUMMARY", "UID"]
    assert str(event["SUMMARY"]) == "Closed session"


def test_meeting_without_sessions_is_one_all_day_event():
    text = ical.meeting_events(ical_meeting_row(), CTX)
    lines = content_lines(text)
    assert text.count("BEGIN:VEVENT") == 1
    assert {"UID:meeting-5@events.test", "DTSTART;VALUE=DATE:20300501", "DTEND;VALUE=DATE:20300504", "STATUS:TENTATIVE",
            "SEQUENCE:4", "SUMMARY:Smart Cities\\, Annual\\; Meeting"} - set(lines) == set()  # fmt: skip


def test_meeting_per_day_splits_into_days_with_distinct_stable_uids():
    ctx = ical.FeedContext("events.test", "https://e", per_day=True)
    calendar = icalendar.Calendar.from_ical(
        "BEGIN:VCALENDAR\r\n" + ical.meeting_events(ical_meeting_row(), ctx) + "END:VCALENDAR\r\n"
    )
    events = calendar.events
    assert [str(e["UID"]) for e in events] == [
        "meeting-5-20300501@events.test",
        "meeting-5-20300502@events.test",
        "meeting-5-20300503@events.test",
    ]
    assert [e.start for e in events] == [dt.date(2030, 5, 1), dt.date(2030, 5, 2), dt.date(2030, 5, 3)]
    assert [e.end for e in events] == [dt.date(2030, 5, 2), dt.date(2030, 5, 3), dt.date(2030, 5, 4)]
    assert str(events[1]["SUMMARY"]) == "Smart Cities, Annual; Meeting (day 2 of 3)"


def test_published_documents_become_attachments_and_description_lines():
    docs = [
        {"id": 1, "meeting_id": 5, "session_id": None, "title": "Vision", "title_id": "", "kind": "vision",
         "status": "published", "url": "https://asean.example/vision.pdf", "file": ""},
        {"id": 2, "meeting_id": 5, "session_id": None, "title": "Draft", "title_id": "", "kind": "statement",
         "status": "draft", "url": "https://asean.example/draft.pdf", "file": ""},
        {"id": 3, "meeting_id": 5, "session_id": None, "title": "Upload", "title_id": "", "kind": "report",
         "status": "published", "url": "", "file": "documents/2030/report.pdf"},
    ]  # fmt: skip
    text = ical.meeting_events(ical_meeting_row(), CTX, docs)
    lines = content_lines(text)
    assert [line for line in lines if line.startswith("ATTACH")] == [
        "ATTACH:https://asean.example/vision.pdf",
        "ATTACH:https://events.test/documents/3/file/",  # the view that asks the access policy
    ]
    description = str(parse_event(text)["DESCRIPTION"])
    assert "- Vision (Vision, Published): https://asean.example/vision.pdf" in description
    assert "- Draft (Statement, Draft)\n" in description  # a draft's link is not published


def test_calendar_header_escapes_names_and_sets_rfc7986_properties():
    meta = ical.CalendarMeta(name="ASCN, Events; all", description="Line one\nline two", color="SteelBlue")
    text = ical.calendar_header(meta) + "END:VCALENDAR\r\n"
    lines = content_lines(text)
    assert {"NAME:ASCN\\, Events\\; all", "X-WR-CALNAME:ASCN\\, Events\\; all", "X-WR-CALDESC:Line one\\nline two",
            "REFRESH-INTERVAL;VALUE=DURATION:PT6H", "X-PUBLISHED-TTL:PT6H",
            "COLOR:steelblue"} - set(lines) == set()  # fmt: skip
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar.errors == []
    assert str(calendar["DESCRIPTION"]) == "Line one\nline two"


def test_code_version_changes_when_feed_assembly_changes_not_only_this_module(monkeypatch):
    """Feeds, chunks and ETags carry CODE_VERSION: a deployment changing how feeds are assembled (ical_assembly.py,
    feeds.py) must not serve text from before it."""
    import pathlib

    from events import caching

    assert f"{ical.FORMAT_VERSION}.{caching.CODE_VERSION}" == ical.CODE_VERSION
    real = pathlib.Path.read_bytes
    for changed in ("ical_assembly.py", "feeds.py"):
        monkeypatch.setattr(pathlib.Path, "read_bytes", lambda path, real=real, changed=changed: real(path) + (
            b"# changed" if path.name == changed else b""))  # fmt: skip
        assert caching._code_version() != caching.CODE_VERSION
    monkeypatch.setattr(pathlib.Path, "read_bytes", real)
    assert caching._code_version() == caching.CODE_VERSION
