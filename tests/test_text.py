"""Text from outside (events/text.py): control characters refused at every entry and dropped from every
output that already holds them, and spreadsheet cells that are never formulas yet round-trip exactly."""

import csv
import importlib
import io
import json
import xml.etree.ElementTree as ET

import openpyxl
import pytest
import tablib
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from events.ics_import import IcsImportError
from events.ics_import import import_calendar
from events.models import Meeting
from events.models import Session
from events.resources import MeetingResource
from events.text import CONTROL_CHARACTERS
from events.text import from_spreadsheet_cell
from events.text import spreadsheet_cell

from .conftest import BELL
from .conftest import MEETING_IMPORT_HEADER
from .conftest import admin_meeting_change
from .conftest import ics_calendar
from .conftest import signed_in
from .conftest import vevent
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import StaffFactory

pytestmark = pytest.mark.django_db


CONTROL_MESSAGE = (
    "Control characters are not allowed (found U+0007 at position 7); only tab and line breaks may be used."
)


# --- Control characters: refused at every entry ----------------------------------------------------


def test_control_character_in_a_title_is_an_admin_form_error_on_that_field(unchanged):
    response = admin_meeting_change(unchanged, title=BELL)
    assert response.context["adminform"].form.errors["title"] == [CONTROL_MESSAGE]


def test_nul_character_in_a_title_is_a_form_error(unchanged):
    response = admin_meeting_change(unchanged, title="Steady\x00Summit")
    assert response.context["adminform"].form.errors["title"] == ["Null characters are not allowed."]


def test_tab_and_browser_line_breaks_are_allowed():
    meeting = MeetingFactory()
    meeting.description = "First line\r\nSecond\tline\nThird"
    meeting.full_clean()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("title", BELL, "U+0007"), ("description", "a\x1b[31mred", "U+001B"), ("room", "Hall\x85A", "U+0085")],
)
def test_control_character_through_the_api_is_a_400_naming_the_field(unchanged, field, value, code):
    session = Session.objects.get(meeting=unchanged)
    client = signed_in(StaffFactory(username="apistaff"))
    response = client.patch(
        f"/api/v1/sessions/{session.pk}/",
        json.dumps({field: value, "revision": session.revision}),
        content_type="application/json",
    )
    assert response.status_code == 400
    [message] = response.json()[field]
    assert message.startswith(f"Control characters are not allowed (found {code} at position ")


def test_lone_surrogate_in_json_is_a_400_not_a_500(unchanged):
    session = Session.objects.get(meeting=unchanged)
    client = signed_in(StaffFactory(username="apistaff"))
    response = client.patch(
        f"/api/v1/sessions/{session.pk}/",
        '{"title": "half \\ud800 a pair", "revision": 1}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["title"][0].startswith("Control characters are not allowed (found U+D800 at position 6)")


def test_control_character_in_a_spreadsheet_row_is_a_row_error(summit_series, unchanged):
    text = MEETING_IMPORT_HEADER + f"new,{BELL},summit,2030-11-10,2030-11-13,,hybrid,scheduled\n"
    result = MeetingResource().import_data(
        tablib.Dataset().load(text, format="csv"), rollback_on_validation_errors=True
    )
    [row] = result.invalid_rows
    assert row.field_specific_errors["title"] == [CONTROL_MESSAGE]


def test_control_character_in_an_icalendar_event_is_refused(summit_series, unchanged):
    series = summit_series
    data = ics_calendar(vevent("x@partner.example", BELL, "DTSTART:20300601T060000Z", "DTEND:20300601T070000Z"))
    with pytest.raises(IcsImportError, match="title: Control characters are not allowed \\(found U\\+0007"):
        import_calendar(data=data.encode(), series=series)


# --- ... and every output stays valid for rows that already hold them --------------------------------


@pytest.fixture
def legacy_bell():
    """A meeting and session whose titles got a BEL before the rule (written around validation, history too)."""
    meeting = MeetingFactory(title="Legacy Summit", slug="legacy")
    session = SessionFactory(meeting=meeting, title="Legacy Plenary")
    session.title = "Legacy Plenary moved"
    session.save()
    Meeting.objects.filter(pk=meeting.pk).update(title="Legacy\x07Summit", theme="\x1b[1m")
    Session.objects.filter(pk=session.pk).update(title="Legacy\x07Plenary")
    Session.history.filter(id=session.pk).update(title="Legacy\x0bPlenary\x7f")
    return meeting


def test_atom_changes_feed_stays_valid_xml_with_control_characters_in_history(client, legacy_bell):
    response = client.get("/changes/feed/?since=2000-01-01")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    titles = [entry.findtext("{http://www.w3.org/2005/Atom}title") for entry in root]
    assert any("LegacyPlenary" in (title or "") for title in titles)


def test_json_html_and_icalendar_stay_valid_with_control_characters(client, legacy_bell):
    api = client.get("/api/v1/meetings/legacy/")
    assert api.json()["title"] == "Legacy\x07Summit"  # JSON escapes it as \u0007: valid, and the data as it is
    page = client.get("/meetings/legacy/").content.decode()
    assert "LegacySummit" in page
    assert not CONTROL_CHARACTERS.search(page)
    feed = client.get("/feeds/meetings/legacy.ics").content.decode()
    assert "\x07" not in feed
    assert "X-WR-CALNAME:ASCN Events: LegacySummit\r\n" in feed
    assert "SUMMARY:LegacyPlenary" in feed


@pytest.mark.parametrize(
    "title",
    ["Summit\r\nATTENDEE:mailto:evil@example.org", "Summit\nEND:VEVENT\nBEGIN:VEVENT", "Summit\x1b[31m\x7f\x0b\x08"],
)
def test_control_characters_and_crlf_in_titles_cannot_inject_icalendar_lines(db, title):
    meeting = MeetingFactory(slug="injected", title=title)
    SessionFactory(meeting=meeting, title=title)
    body = Client().get("/feeds/all.ics").content.decode()
    lines = body.split("\r\n")
    assert not any(line.startswith(("ATTENDEE", "BEGIN:VEVENT\\", "END:VEVENT\\")) for line in lines)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 1
    assert not any(ord(char) < 32 and char not in "\t" for line in lines for char in line)


def test_xlsx_and_csv_exports_drop_control_characters(administrator_client, legacy_bell):
    fields = {f"meetingresource_{f}": "on" for f in MeetingResource._meta.fields}
    xlsx = administrator_client.post("/admin/events/meeting/export/", {"format": "1", "resource": "0", **fields})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    header, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert dict(zip(header, row, strict=True))["title"] == "LegacySummit"
    out = io.StringIO()
    call_command("export_calendar", "--format", "csv", stdout=out)
    [exported] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (exported["meeting_title"], exported["session_title"]) == ("LegacySummit", "LegacyPlenary")


def test_data_migration_cleans_rows_and_history(legacy_bell):
    migration = importlib.import_module("events.migrations.0007_clean_control_characters")
    migration.clean_rows(apps, None)
    meeting = Meeting.objects.get(pk=legacy_bell.pk)
    assert (meeting.title, meeting.theme) == ("LegacySummit", "[1m")
    assert Session.objects.get(meeting=meeting).title == "LegacyPlenary"
    assert list(Session.history.values_list("title", flat=True)) == ["LegacyPlenary", "LegacyPlenary"]


# --- Formula-safe exports, exact round trip ----------------------------------------------------------


TRICKY = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTabbed", "'=quoted", "'plain", "Plain", "''=two"]


@pytest.mark.parametrize("text", TRICKY)
def test_spreadsheet_cell_round_trips_exactly(text):
    cell = spreadsheet_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert from_spreadsheet_cell(cell) == text


def test_export_neutralises_formulas_and_import_restores_the_text(administrator_client):
    series = SeriesFactory(slug="summit")
    for number, title in enumerate(TRICKY):
        MeetingFactory(series=series, title=title, slug=f"m{number}", venue=None, timezone="Asia/Jakarta", mode="")
    fields = {f"meetingresource_{f}": "on" for f in MeetingResource._meta.fields}
    exported = administrator_client.post("/admin/events/meeting/export/", {"format": "0", "resource": "0", **fields})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [row["title"] for row in rows if row["slug"] == "m0"] == ['\'=HYPERLINK("http://x")']
    xlsx = administrator_client.post("/admin/events/meeting/export/", {"format": "1", "resource": "0", **fields})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert {cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None} <= {"s", "n", "d"}

    Meeting.objects.update(title="overwritten")
    result = MeetingResource().import_data(
        tablib.Dataset().load(exported.content.decode(), format="csv"), rollback_on_validation_errors=True
    )
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert sorted(Meeting.objects.values_list("title", flat=True)) == sorted(TRICKY)


def test_export_calendar_csv_is_formula_safe():
    SessionFactory(meeting=MeetingFactory(title="=cmd|' /C calc'!A0"), title="@SUM(1)")
    out = io.StringIO()
    call_command("export_calendar", "--format", "csv", stdout=out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["meeting_title"], row["session_title"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1)")
