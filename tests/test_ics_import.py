"""Importing a partner's iCalendar file (events/ics_import.py): events become meetings and sessions,
re-imports update in place, bad input imports nothing, our own feed round-trips."""

import datetime as dt
import functools
import http.server
import threading
import zoneinfo

import pytest
from django.core.management import CommandError
from django.test import override_settings
from django.urls import reverse

from events.ics_import import import_calendar
from events.models import Access
from events.models import Meeting
from events.models import Mode
from events.models import Session
from events.models import Status
from events.models import Venue

from .conftest import PARTNER
from .conftest import ics_calendar
from .conftest import run_import_ics
from .conftest import vevent
from .conftest import write_ics
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory
from .factories import timed

pytestmark = pytest.mark.django_db

UTC = dt.UTC
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


def jakarta_vevent(uid, summary, start, end, *extra):
    """An event timed in Asia/Jakarta; `start` and `end` as 20300505T090000."""
    return vevent(uid, summary, f"DTSTART;TZID=Asia/Jakarta:{start}", f"DTEND;TZID=Asia/Jakarta:{end}", *extra)


def calendar_rows():
    """Sessions and meetings as the import writes them: uid, title, times and revision."""
    return sorted(
        Session.objects.values_list("external_uid", "title", "start", "end", "starts_on", "ends_on", "revision")
    ), sorted(Meeting.objects.values_list("external_uid", "title", "start_date", "end_date", "timezone", "revision"))


def test_partner_events_become_meetings_with_one_session_each(tmp_path, partner_series):
    out, _err = run_import_ics(write_ics(tmp_path, PARTNER))

    forum = Session.objects.get(external_uid="forum-1@partner.example")
    assert (forum.title, forum.status, forum.timezone) == ("Smart City Forum", Status.TENTATIVE, "Asia/Jakarta")
    assert forum.start == dt.datetime(2030, 5, 5, 2, 0, tzinfo=UTC)
    assert forum.local_start.isoformat() == "2030-05-05T09:00:00+07:00"
    assert forum.description == "Panels on mobility."
    assert (forum.meeting.title, forum.meeting.series, forum.meeting.external_uid) == (
        "Smart City Forum",
        partner_series,
        "forum-1@partner.example",
    )
    assert (forum.meeting.start_date, forum.meeting.end_date) == (dt.date(2030, 5, 5), dt.date(2030, 5, 5))
    assert out.strip() == f"Imported {tmp_path / 'partner.ics'}: 6 created, 0 updated, 0 unchanged."


def test_all_day_event_becomes_date_only_session(tmp_path, partner_series):
    run_import_ics(write_ics(tmp_path, PARTNER))

    expo = Session.objects.get(external_uid="expo-1@partner.example")
    assert (expo.start, expo.end) == (None, None)
    assert (expo.starts_on, expo.ends_on) == (dt.date(2030, 5, 10), dt.date(2030, 5, 11))
    assert (expo.meeting.start_date, expo.meeting.end_date, expo.meeting.timezone) == (
        dt.date(2030, 5, 10),
        dt.date(2030, 5, 11),
        "UTC",
    )


def test_event_without_tzid_is_in_utc(tmp_path, partner_series):
    run_import_ics(write_ics(tmp_path, PARTNER))

    call = Session.objects.get(external_uid="call-1@partner.example")
    assert (call.timezone, call.start) == ("UTC", dt.datetime(2030, 6, 1, 6, tzinfo=UTC))


def test_sessions_related_to_a_parent_event_share_one_meeting(tmp_path, partner_series):
    text = ics_calendar(
        vevent("summit@p.example", "Summit", "DTSTART;VALUE=DATE:20300701", "DTEND;VALUE=DATE:20300704"),
        jakarta_vevent(
            "opening@p.example", "Opening", "20300701T090000", "20300701T100000",
            "RELATED-TO;RELTYPE=PARENT:summit@p.example",
        ),
        jakarta_vevent(
            "retreat@p.example", "Retreat", "20300702T140000", "20300702T160000",
            "RELATED-TO:summit@p.example", "CLASS:PRIVATE",
        ),
    )  # fmt: skip

    run_import_ics(write_ics(tmp_path, text))

    summit = Meeting.objects.get(external_uid="summit@p.example")
    assert (summit.title, summit.start_date, summit.end_date) == ("Summit", dt.date(2030, 7, 1), dt.date(2030, 7, 3))
    assert list(summit.sessions.order_by("starts_on").values_list("title", "access")) == [
        ("Opening", Access.PUBLIC),
        ("Retreat", Access.RESTRICTED),
    ]
    assert Meeting.objects.count() == 1


def test_session_location_matching_a_venue_is_held_there_in_person(tmp_path, partner_series):
    VenueFactory(name="Jakarta Convention Center", city="Jakarta", country="ID", timezone="Asia/Jakarta")
    text = ics_calendar(
        jakarta_vevent(
            "x@p.example", "Plenary", "20300505T090000", "20300505T100000",
            "LOCATION:Hall A\\, Jakarta Convention Center\\, Jakarta",
        )
    )  # fmt: skip

    run_import_ics(write_ics(tmp_path, text))

    session = Session.objects.get(external_uid="x@p.example")
    assert (session.venue.name, session.mode) == ("Jakarta Convention Center", Mode.IN_PERSON)


def test_reimporting_the_same_file_changes_nothing(tmp_path, partner_series):
    path = write_ics(tmp_path, PARTNER)
    run_import_ics(path)
    before = calendar_rows()
    history = (Meeting.history.count(), Session.history.count())

    out, _err = run_import_ics(path)

    assert calendar_rows() == before
    assert (Meeting.history.count(), Session.history.count()) == history
    assert out.strip().endswith("0 created, 0 updated, 6 unchanged.")


def test_changed_file_updates_in_place(tmp_path, partner_series):
    run_import_ics(write_ics(tmp_path, PARTNER))
    forum = Session.objects.get(external_uid="forum-1@partner.example")
    changed = PARTNER.replace("20300505T090000", "20300505T100000").replace("STATUS:TENTATIVE", "STATUS:CANCELLED")

    out, _err = run_import_ics(write_ics(tmp_path, changed, "changed.ics"))

    forum.refresh_from_db()
    assert forum.local_start.isoformat() == "2030-05-05T10:00:00+07:00"
    assert (forum.status, forum.revision) == (Status.CANCELLED, 2)
    assert Session.objects.count() == 3
    # The stand-alone event is both the meeting (now cancelled) and its session (moved and cancelled).
    assert forum.meeting.status == Status.CANCELLED
    assert out.strip().endswith("0 created, 2 updated, 4 unchanged.")


def test_moved_event_extends_its_meeting(tmp_path, partner_series):
    run_import_ics(write_ics(tmp_path, PARTNER))
    moved = PARTNER.replace("20300505T090000", "20300506T090000").replace("20300505T120000", "20300506T120000")

    run_import_ics(write_ics(tmp_path, moved, "moved.ics"))

    meeting = Meeting.objects.get(external_uid="forum-1@partner.example")
    assert (meeting.start_date, meeting.end_date) == (dt.date(2030, 5, 6), dt.date(2030, 5, 6))
    assert meeting.sessions.get().starts_on == dt.date(2030, 5, 6)


# --- Bad input changes nothing --------------------------------------------------


def test_not_an_icalendar_file_is_a_clear_error(tmp_path, partner_series):
    with pytest.raises(CommandError, match="not a valid iCalendar file|not an iCalendar file"):
        run_import_ics(write_ics(tmp_path, "name,date\nSummit,2030-01-01\n"))
    assert Meeting.objects.count() == 0


def test_calendar_without_events_is_an_error(tmp_path, partner_series):
    with pytest.raises(CommandError, match=r"The file contains no events \(VEVENT\)\."):
        run_import_ics(write_ics(tmp_path, ics_calendar()))


def test_one_bad_event_imports_nothing(tmp_path, partner_series):
    bad = vevent("bad@p.example", "Backwards", "DTSTART:20300601T100000Z", "DTEND:20300601T090000Z")
    text = PARTNER.replace("END:VCALENDAR", bad + "END:VCALENDAR")

    with pytest.raises(CommandError) as error:
        run_import_ics(write_ics(tmp_path, text))

    assert "event 4 (bad@p.example): it ends (2030-06-01T09:00:00+00:00) before it starts" in str(error.value)
    assert (Meeting.objects.count(), Session.objects.count()) == (0, 0)


def test_event_without_uid_is_refused(tmp_path, partner_series):
    text = ics_calendar(
        "BEGIN:VEVENT\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300601T100000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
    )

    with pytest.raises(CommandError, match="event 1 \\(no UID\\): it has no UID"):
        run_import_ics(write_ics(tmp_path, text))


def test_event_failing_model_validation_rolls_back_the_others(tmp_path, partner_series):
    # A title too long for the model passes parsing but fails full_clean after other meetings were saved.
    text = PARTNER.replace("UID:call-1@partner.example", "UID:" + "u" * 300 + "@partner.example")

    with pytest.raises(CommandError) as error:
        run_import_ics(write_ics(tmp_path, text))

    assert "cannot be imported, so nothing was" in str(error.value)
    assert "Ensure this value has at most 255 characters" in str(error.value)
    assert (Meeting.objects.count(), Session.objects.count()) == (0, 0)


def test_missing_file_is_a_clear_error(tmp_path, partner_series):
    with pytest.raises(CommandError, match="Cannot read .*missing.ics"):
        run_import_ics(str(tmp_path / "missing.ics"))


@override_settings(MAX_IMPORT_UPLOAD_BYTES=100)
def test_file_over_the_size_limit_is_refused(tmp_path, partner_series):
    with pytest.raises(CommandError, match="partner.ics is larger than the limit of 100 bytes; nothing was imported."):
        run_import_ics(write_ics(tmp_path, PARTNER))


def test_other_url_schemes_are_refused(partner_series):
    with pytest.raises(CommandError, match="Only http and https addresses can be fetched, not “ftp:”."):
        run_import_ics("ftp://example.org/calendar.ics")


# --- URL, progress, direct use ------------------------------------------------------


@pytest.fixture
def http_dir(tmp_path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_import_from_url(http_dir, partner_series):
    directory, base = http_dir
    write_ics(directory, PARTNER)

    out, _err = run_import_ics(f"{base}/partner.ics")

    assert "6 created" in out
    assert Session.objects.count() == 3


def test_url_that_fails_is_a_clear_error(http_dir, partner_series):
    _directory, base = http_dir

    with pytest.raises(CommandError, match="Cannot read .*/absent.ics: HTTP Error 404"):
        run_import_ics(f"{base}/absent.ics")


def test_import_calendar_function_reports_counts(partner_series):
    result = import_calendar(data=PARTNER.encode(), series=partner_series)

    assert (result.created, result.updated, result.unchanged) == (6, 0, 0)


# --- Our own feed --------------------------------------------------------------------


def test_own_feed_reimported_into_the_same_database_changes_nothing(client, seed, tmp_path):
    path = write_ics(tmp_path, client.get(reverse("events:feed_all")).content.decode(), "all.ics")
    before = calendar_rows()

    out, _err = run_import_ics(path, series="cpr")

    assert calendar_rows() == before
    assert "0 created, 0 updated" in out


def make_schedule():
    singapore = VenueFactory(name="Marina Bay Sands", city="Singapore", country="SG", timezone="Asia/Singapore")
    bangkok = VenueFactory(name="QSNCC", city="Bangkok", country="TH", timezone="Asia/Bangkok")
    summit = MeetingFactory(title="33rd Summit", venue=singapore, start_date=dt.date(2030, 3, 1))
    forum = MeetingFactory(title="Forum", venue=bangkok, start_date=dt.date(2030, 3, 1), status=Status.TENTATIVE)
    SessionFactory(meeting=summit, title="Opening", venue=singapore, start=timed(dt.date(2030, 3, 1), 9)[0],
                   end=timed(dt.date(2030, 3, 1), 9)[1])  # fmt: skip
    start, end = timed(dt.date(2030, 3, 2), 23, zone="Asia/Singapore", hours=2)
    SessionFactory(meeting=summit, title="Gala dinner", venue=singapore, start=start, end=end, status=Status.CANCELLED)
    SessionFactory(meeting=summit, title="Field visit", venue=singapore, starts_on=dt.date(2030, 3, 3))
    start, end = timed(dt.date(2030, 3, 1), 14, zone="Asia/Bangkok", hours=3)
    SessionFactory(meeting=forum, title="Panel", venue=bangkok, start=start, end=end, status=Status.TENTATIVE)


def session_facts():
    return sorted(
        (s.title, s.start, s.end, s.starts_on, s.ends_on, s.timezone, s.status)
        for s in Session.objects.select_related("meeting", "venue")
    )


def test_round_trip_of_all_ics_into_an_empty_database(client, tmp_path):
    make_schedule()
    feed = client.get(reverse("events:feed_all"))
    assert feed.status_code == 200
    original = session_facts()
    series = SeriesFactory(slug="imported")
    Session.objects.all().delete()
    Meeting.objects.all().delete()
    Venue.objects.all().delete()

    run_import_ics(write_ics(tmp_path, feed.content.decode(), "all.ics"), series="imported")

    assert session_facts() == original
    assert sorted(Meeting.objects.values_list("title", "timezone", "series")) == [
        ("33rd Summit", "Asia/Singapore", series.pk),
        ("Forum", "Asia/Bangkok", series.pk),
    ]
    # And the feed of the imported data is the same feed, event for event.
    again = client.get(reverse("events:feed_all")).content.decode()
    assert count_lines(again, "SUMMARY:") == count_lines(feed.content.decode(), "SUMMARY:")
    assert count_lines(again, "DTSTART") == count_lines(feed.content.decode(), "DTSTART")


def count_lines(text, prefix):
    return sorted(line for line in text.split("\r\n") if line.startswith(prefix))


def test_round_trip_keeps_rescheduled_as_scheduled_and_postponed_as_cancelled(client, tmp_path):
    # iCalendar has only CONFIRMED / TENTATIVE / CANCELLED: the finer statuses are lost on the way, by design.
    meeting = MeetingFactory(title="Summit")
    SessionFactory(meeting=meeting, title="Moved", status=Status.RESCHEDULED)
    SessionFactory(meeting=meeting, title="Later", status=Status.POSTPONED)
    feed = client.get(reverse("events:feed_all")).content.decode()
    SeriesFactory(slug="imported")
    Session.objects.all().delete()
    Meeting.objects.all().delete()

    run_import_ics(write_ics(tmp_path, feed, "all.ics"), series="imported")

    assert dict(Session.objects.values_list("title", "status")) == {
        "Moved": Status.SCHEDULED,
        "Later": Status.CANCELLED,
    }


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("DTSTART;VALUE=DATE:99991231", "DTEND;VALUE=DATE:99991231", "it starts in the year 9999, outside 2 to 9998"),
        ("DTSTART:99981231T230000Z", "DTEND:99991231T230000Z", "it ends in the year 9999, outside 2 to 9998"),
    ],
)
def test_event_at_the_end_of_the_calendar_is_refused_not_a_crash(tmp_path, partner_series, start, end, message):
    text = PARTNER.replace("END:VCALENDAR", vevent("edge@p.example", "Edge", start, end) + "END:VCALENDAR")

    with pytest.raises(CommandError) as error:
        run_import_ics(write_ics(tmp_path, text))

    assert f"event 4 (edge@p.example): {message}" in str(error.value)
    assert (Meeting.objects.count(), Session.objects.count()) == (0, 0)
