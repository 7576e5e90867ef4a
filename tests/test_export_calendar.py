"""The export_calendar command (events/management/commands/export_calendar.py): JSON, CSV and iCalendar
backups of everything, written to a file or stdout, in a constant number of queries."""

import csv
import datetime as dt
import io
import json
from io import StringIO

import icalendar
import pytest
from django.core.management import CommandError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Access
from events.models import Meeting
from events.models import Mode
from events.models import Session
from events.models import Status

from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory
from .factories import timed

pytestmark = pytest.mark.django_db


def export(file_format, **kwargs):
    out = StringIO()
    call_command("export_calendar", format=file_format, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


@pytest.fixture
def schedule():
    venue = VenueFactory(name="Marina Bay Sands", city="Singapore", timezone="Asia/Singapore")
    summit = MeetingFactory(slug="summit", title="Summit", venue=venue, series=SeriesFactory(slug="asean"))
    start, end = timed(dt.date(2030, 3, 1), 9, zone="Asia/Singapore")
    SessionFactory(meeting=summit, title="Opening", venue=venue, start=start, end=end)
    SessionFactory(
        meeting=summit,
        title="Retreat",
        venue=None,
        mode=Mode.VIRTUAL,
        join_url="https://meet.example.org/r",
        join_passcode="999",
        access=Access.RESTRICTED,
        starts_on=dt.date(2030, 3, 2),
    )
    DocumentFactory(meeting=summit, title="Declaration")
    DelegationMemberFactory(delegation=DelegationFactory(meeting=summit, country="ID"), person__name="Minister")
    MeetingFactory(
        slug="empty", title="Secret talks", access=Access.CONFIDENTIAL, status=Status.TENTATIVE,
        start_date=dt.date(2030, 4, 1), end_date=dt.date(2030, 4, 1),
    )  # fmt: skip
    return summit


def test_json_export_has_everything_with_offsets_and_zones(schedule):
    data = json.loads(export("json"))

    assert (data["format"], data["version"]) == ("ascn-events", 1)
    assert [m["slug"] for m in data["meetings"]] == ["summit", "empty"]
    summit = data["meetings"][0]
    opening, retreat = summit["sessions"]
    assert (opening["title"], opening["start"], opening["local_start"], opening["timezone"]) == (
        "Opening",
        "2030-03-01T01:00:00+00:00",
        "2030-03-01T09:00:00+08:00",
        "Asia/Singapore",
    )
    assert (retreat["access"], retreat["join_url"], retreat["start"]) == (
        "restricted",
        "https://meet.example.org/r",
        None,
    )
    assert summit["documents"][0]["title"] == "Declaration"
    assert summit["delegations"][0]["members"][0]["name"] == "Minister"
    assert data["meetings"][1]["access"] == "confidential"
    assert {"name": "Marina Bay Sands", "city": "Singapore", "country": "SG", "timezone": "Asia/Singapore",
            "address": ""} in data["venues"]  # fmt: skip


def test_csv_export_has_a_row_per_session_and_per_sessionless_meeting(schedule):
    rows = list(csv.DictReader(io.StringIO(export("csv"))))

    assert [(r["meeting_slug"], r["session_title"]) for r in rows] == [
        ("summit", "Opening"),
        ("summit", "Retreat"),
        ("empty", ""),
    ]
    assert (rows[0]["local_start"], rows[0]["timezone"], rows[0]["venue"]) == (
        "2030-03-01T09:00:00+08:00",
        "Asia/Singapore",
        "Marina Bay Sands, Singapore",
    )
    assert rows[1]["join_passcode"] == "999"
    assert (rows[2]["meeting_status"], rows[2]["meeting_access"]) == ("tentative", "confidential")


def test_ics_export_is_a_valid_calendar_of_everything(schedule):
    calendar = icalendar.Calendar.from_ical(export("ics"))

    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    opening = next(e for e in events.values() if str(e["SUMMARY"]).startswith("Opening"))
    assert opening["DTSTART"].params["TZID"] == "Asia/Singapore"
    assert opening["DTSTART"].dt.isoformat() == "2030-03-01T09:00:00+08:00"
    retreat = next(e for e in events.values() if str(e["SUMMARY"]).startswith("Retreat"))
    assert str(retreat["CLASS"]) == "PRIVATE"
    assert "https://meet.example.org/r" in str(retreat["CONFERENCE"])
    secret = events[f"meeting-{Meeting.objects.get(slug='empty').pk}@events.ascn.example"]
    assert (str(secret["SUMMARY"]), str(secret["CLASS"])) == ("Secret talks", "CONFIDENTIAL")


def test_ics_export_imports_back_into_an_empty_database(schedule, tmp_path):
    path = tmp_path / "backup.ics"
    call_command("export_calendar", format="ics", output=str(path), stderr=StringIO())
    before = sorted(Session.objects.values_list("title", "start", "starts_on", "access"))
    Session.objects.all().delete()
    Meeting.objects.all().delete()

    call_command("import_ics", str(path), series="asean", stdout=StringIO())

    assert sorted(Session.objects.values_list("title", "start", "starts_on", "access")) == before
    assert Meeting.objects.get(title="Secret talks").access == Access.CONFIDENTIAL


def test_output_file_is_written(schedule, tmp_path):
    path = tmp_path / "backup.json"
    err = StringIO()

    call_command("export_calendar", format="json", output=str(path), stderr=err)

    assert json.loads(path.read_text())["meetings"][0]["slug"] == "summit"
    assert err.getvalue().startswith(f"Wrote {path.stat().st_size:,} bytes to {path}.")
    assert list(tmp_path.iterdir()) == [path]


def test_unwritable_output_is_a_clear_error(schedule, tmp_path):
    with pytest.raises(CommandError, match="Cannot write .*/missing/backup.json"):
        call_command("export_calendar", format="json", output=str(tmp_path / "missing" / "backup.json"))


def test_unknown_format_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'xml'"):
        call_command("export_calendar", format="xml")


@pytest.mark.parametrize("file_format", ["json", "csv", "ics"])
def test_export_query_count_does_not_grow_with_meetings(file_format):
    def build():
        meeting = MeetingFactory()
        SessionFactory(meeting=meeting)
        DocumentFactory(meeting=meeting)
        DelegationMemberFactory(delegation=DelegationFactory(meeting=meeting))

    build()
    with CaptureQueriesContext(connection) as one:
        export(file_format)
    for _ in range(19):
        build()
    with CaptureQueriesContext(connection) as many:
        export(file_format)

    assert len(one) == len(many)


@pytest.fixture
def levels_to_export():
    """A public summit whose restricted meeting hangs under a confidential parent, and a confidential meeting."""
    summit = MeetingFactory(slug="open-summit", title="Open summit", start_date=dt.date(2030, 3, 1))
    SessionFactory(
        meeting=summit, title="Closed retreat", access=Access.RESTRICTED, starts_on=dt.date(2030, 3, 1),
        join_url="https://meet.example.org/retreat", join_passcode="4242",
    )  # fmt: skip
    SessionFactory(meeting=summit, title="Private dinner", access=Access.CONFIDENTIAL, starts_on=dt.date(2030, 3, 1))
    secret = MeetingFactory(slug="secret-talks", title="Secret talks", access=Access.CONFIDENTIAL)
    MeetingFactory(slug="side-meeting", title="Side meeting", access=Access.RESTRICTED, parent=secret)
    return summit


def test_export_as_viewer_holds_only_the_levels_a_viewer_sees(levels_to_export, viewer_user):
    data = json.loads(export("json", user="viewer"))
    meetings = {meeting["slug"]: meeting for meeting in data["meetings"]}
    assert sorted(meetings) == ["open-summit", "side-meeting"]
    assert [s["title"] for s in meetings["open-summit"]["sessions"]] == ["Closed retreat"]
    assert meetings["open-summit"]["sessions"][0]["join_url"] == "https://meet.example.org/retreat"
    assert meetings["side-meeting"]["parent"] is None  # the confidential parent is not named


def test_export_as_editor_holds_every_level(levels_to_export, editor_user):
    data = json.loads(export("json", user="editor"))
    assert sorted(m["slug"] for m in data["meetings"]) == ["open-summit", "secret-talks", "side-meeting"]
    assert {m["slug"]: m["parent"] for m in data["meetings"]}["side-meeting"] == "secret-talks"


def test_export_as_viewer_csv_and_ics_leave_out_what_a_viewer_may_not_see(levels_to_export, viewer_user):
    rows = list(csv.DictReader(io.StringIO(export("csv", user="viewer"))))
    assert sorted({row["session_title"] for row in rows}) == ["", "Closed retreat"]
    calendar = icalendar.Calendar.from_ical(export("ics", user="viewer"))
    summaries = sorted(str(event["SUMMARY"]) for event in calendar.walk("VEVENT"))
    assert not any("Private dinner" in s or "Secret talks" in s for s in summaries)
    assert any("Closed retreat" in s for s in summaries)
    assert any("Side meeting" in s for s in summaries)


def test_export_as_user_without_a_role_is_refused_and_writes_no_file(levels_to_export, user, tmp_path):
    target = tmp_path / "backup.json"
    with pytest.raises(CommandError, match="may not export meetings"):
        export("json", user=user.username, output=str(target))
    assert list(tmp_path.iterdir()) == []


def test_export_as_unknown_user_is_refused(levels_to_export):
    with pytest.raises(CommandError, match="No active user “nobody”"):
        export("json", user="nobody")
