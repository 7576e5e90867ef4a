"""Spreadsheet import and export of meetings and sessions (events/resources.py): natural keys, local times,
row errors, all or nothing, and the admin's import and export pages."""

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Meeting
from events.models import Session
from events.models import Status
from events.resources import MeetingResource
from events.resources import SessionResource

from .conftest import dataset
from .factories import MeetingFactory
from .factories import SessionFactory
from .factories import timed

pytestmark = pytest.mark.django_db

MEETING_HEADER = "slug,title,series,start_date,end_date,venue,mode,status\n"


def import_meetings(text, dry_run=False):
    return MeetingResource().import_data(dataset(text), dry_run=dry_run, rollback_on_validation_errors=True)


def row_errors(result):
    """(row number, field, message) for every invalid row."""
    return [
        (row.number, field, message)
        for row in result.invalid_rows
        for field, messages in row.field_specific_errors.items()
        for message in messages
    ]


def test_meetings_import_with_natural_keys(import_references):
    result = import_meetings(
        MEETING_HEADER + "33rd-summit,33rd Summit,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,scheduled\n"
        'forum,Forum,summit,2030-12-01,2030-12-01,"Convention Centre, Bangkok",hybrid,tentative\n'
    )

    assert not result.has_errors()
    assert not result.has_validation_errors()
    summit, forum = Meeting.objects.order_by("start_date")
    assert (summit.series.slug, summit.venue.name, summit.timezone) == ("summit", "Marina Bay Sands", "Asia/Singapore")
    assert (forum.venue.city, forum.timezone, forum.status) == ("Bangkok", "Asia/Bangkok", Status.TENTATIVE)


def test_dry_run_previews_and_saves_nothing(import_references):
    result = import_meetings(
        MEETING_HEADER + "s,Summit,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,scheduled\n", dry_run=True
    )

    assert result.totals["new"] == 1
    assert Meeting.objects.count() == 0


def test_one_bad_row_imports_nothing_and_reports_row_field_reason(import_references):
    result = import_meetings(
        MEETING_HEADER + "good,Good,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,scheduled\n"
        "bad,Bad,summit,2030-11-10,2030-11-01,Marina Bay Sands,in_person,scheduled\n"
        "worse,Worse,nosuch,2030-11-10,2030-11-13,Convention Centre,in_person,maybe\n"
    )

    assert Meeting.objects.count() == 0
    assert row_errors(result) == [
        (2, "end_date", "The meeting cannot end before it starts."),
        (3, "series", "No series with slug “nosuch”."),
        (3, "venue", "More than one venue is called “Convention Centre”; write it as “name, city”."),
        (3, "status", "Value 'maybe' is not a valid choice."),
        # Without a venue the meeting has no zone either.
        (3, "timezone", "Choose a venue or give the time zone the schedule is set in."),
    ]


def test_reimporting_unchanged_rows_skips_them(import_references):
    text = MEETING_HEADER + "s,Summit,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,scheduled\n"
    import_meetings(text)

    result = import_meetings(text)

    assert result.totals["skip"] == 1
    assert Meeting.objects.get().revision == 1


def test_changed_row_updates_by_slug(import_references):
    import_meetings(MEETING_HEADER + "s,Summit,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,scheduled\n")

    import_meetings(MEETING_HEADER + "s,Summit,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,cancelled\n")

    meeting = Meeting.objects.get()
    assert (meeting.status, meeting.revision) == (Status.CANCELLED, 2)


SESSION_HEADER = "id,meeting,title,starts_on,start,end,venue,mode\n"


def test_session_times_are_local_in_the_zone_column(import_references):
    MeetingFactory(slug="summit-2030", venue=None, timezone="Asia/Singapore")

    result = SessionResource().import_data(
        dataset("meeting,title,start,end,timezone,venue,mode\n"
                "summit-2030,Panel,2030-03-01 14:00,2030-03-01 15:30,Asia/Jakarta,\"Convention Centre, Jakarta\","
                "in_person\n"
                "summit-2030,Dinner,2030-03-01 19:00,,Asia/Singapore,Marina Bay Sands,in_person\n"
                "summit-2030,Offset,2030-03-02 09:00+08:00,,,Marina Bay Sands,in_person\n"),
        rollback_on_validation_errors=True,
    )  # fmt: skip

    assert row_errors(result) == []
    panel, dinner, offset = Session.objects.order_by("start")
    assert (panel.timezone, panel.local_start.isoformat()) == ("Asia/Jakarta", "2030-03-01T14:00:00+07:00")
    assert panel.start == dt.datetime(2030, 3, 1, 7, 0, tzinfo=dt.UTC)
    assert (dinner.start, dinner.end) == (dt.datetime(2030, 3, 1, 11, 0, tzinfo=dt.UTC), None)  # no announced end
    assert offset.start == dt.datetime(2030, 3, 2, 1, 0, tzinfo=dt.UTC)


def test_session_time_without_a_zone_is_an_invalid_row(import_references):
    MeetingFactory(slug="summit-2030", venue=None, timezone="Asia/Singapore")

    result = SessionResource().import_data(
        dataset("meeting,title,start,end,timezone,venue,mode\n"
                "summit-2030,Panel,2030-03-01 14:00,2030-03-01 15:30,,Marina Bay Sands,in_person\n"
                "summit-2030,Dinner,2030-03-01 19:00,,Mars/Olympus,Marina Bay Sands,in_person\n"),
        rollback_on_validation_errors=True,
    )  # fmt: skip

    hint = "has no time zone: fill the “timezone” column (e.g. Asia/Makassar) or write the time with its UTC offset "
    assert row_errors(result) == [
        (1, "start", f"“2030-03-01 14:00” {hint}(e.g. 2023-05-10 09:00+08:00)."),
        (1, "end", f"“2030-03-01 15:30” {hint}(e.g. 2023-05-10 09:00+08:00)."),
        (2, "timezone", "“Mars/Olympus” is not a known IANA time zone."),
    ]
    assert Session.objects.count() == 0


def test_session_outside_the_meeting_is_an_invalid_row(import_references):
    MeetingFactory(slug="m", venue=None, timezone="Asia/Singapore")

    result = SessionResource().import_data(
        dataset(SESSION_HEADER + ",m,Early,2030-02-01,,,Marina Bay Sands,in_person\n"),
        rollback_on_validation_errors=True,
    )

    assert Session.objects.count() == 0
    assert row_errors(result) == [
        (
            1,
            "starts_on",
            "The session (2030-02-01 to 2030-02-01, Asia/Singapore) lies outside the meeting's dates "
            "(2030-03-01 to 2030-03-03).",
        )
    ]


def test_bad_time_is_an_invalid_row_with_a_hint(import_references):
    MeetingFactory(slug="m")

    result = SessionResource().import_data(
        dataset(SESSION_HEADER + ",m,Panel,,tomorrow,,Marina Bay Sands,in_person\n"), rollback_on_validation_errors=True
    )

    assert row_errors(result)[0] == (
        1,
        "start",
        "“tomorrow” is not a date and time; write it as YYYY-MM-DD HH:MM, local time at the venue.",
    )


def test_session_export_then_import_changes_nothing(import_references):
    start, end = timed(dt.date(2030, 3, 1), 9, 30, zone="Asia/Singapore")
    session = SessionFactory(title="Plenary", start=start, end=end)
    exported = SessionResource().export()

    assert exported.dict[0]["start"] == "2030-03-01 09:30"
    assert exported.dict[0]["timezone"] == "Asia/Singapore"
    result = SessionResource().import_data(tablib.Dataset().load(exported.csv, format="csv"))

    assert result.totals["skip"] == 1
    session.refresh_from_db()
    assert (session.start, session.revision) == (start, 1)


def test_export_query_count_does_not_grow_with_rows(import_references):
    def count():
        with CaptureQueriesContext(connection) as queries:
            SessionResource().export()
        return len(queries)

    SessionFactory()
    one = count()
    for _ in range(19):
        SessionFactory()

    assert count() == one


# --- Through the admin -----------------------------------------------------------------


def upload(client, url, name, content, file_format):
    return client.post(url, {"format": file_format, "import_file": SimpleUploadedFile(name, content)})


def test_admin_import_preview_then_confirm(administrator_client, import_references):
    text = (MEETING_HEADER + "s,Summit,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,scheduled\n").encode()

    preview = upload(administrator_client, "/admin/events/meeting/import/", "m.csv", text, "0")

    assert preview.status_code == 200
    assert "confirm_form" in preview.context
    assert preview.context["confirm_form"] is not None
    assert Meeting.objects.count() == 0
    confirm = preview.context["confirm_form"].initial
    done = administrator_client.post("/admin/events/meeting/process_import/", confirm)
    assert done.status_code == 302
    assert Meeting.objects.get().slug == "s"


def test_admin_import_of_bad_xlsx_shows_row_errors_and_imports_nothing(administrator_client, import_references):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["slug", "title", "series", "start_date", "end_date", "venue", "mode", "status"])
    sheet.append(["ok", "OK", "summit", dt.date(2030, 11, 10), dt.date(2030, 11, 13), "Marina Bay Sands", "in_person",
                  "scheduled"])  # fmt: skip
    sheet.append(["bad", "Bad", "summit", dt.date(2030, 11, 10), dt.date(2030, 11, 1), "Marina Bay Sands", "in_person",
                  "scheduled"])  # fmt: skip
    content = io.BytesIO()
    book.save(content)

    response = upload(administrator_client, "/admin/events/meeting/import/", "m.xlsx", content.getvalue(), "1")

    html = re.sub(r"\s+", " ", response.content.decode())
    assert response.context.get("confirm_form") is None
    assert "<td>2 </td>" in html
    assert "end_date" in html
    assert "The meeting cannot end before it starts." in html
    assert Meeting.objects.count() == 0


def test_admin_export_of_filtered_list_to_csv(administrator_client, import_references):
    MeetingFactory(title="Kept", status=Status.CANCELLED)
    MeetingFactory(title="Filtered out")

    response = administrator_client.post(
        "/admin/events/meeting/export/?status__exact=cancelled",
        {"format": "0", "resource": "0", **{f"meetingresource_{f}": "on" for f in MeetingResource._meta.fields}},
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert [row["title"] for row in rows] == ["Kept"]
    assert rows[0]["status"] == "cancelled"


def test_admin_export_sessions_to_xlsx(administrator_client, import_references):
    SessionFactory(title="Opening")

    response = administrator_client.post(
        "/admin/events/session/export/",
        {"format": "1", "resource": "0", **{f"sessionresource_{f}": "on" for f in SessionResource._meta.fields}},
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, first = [cell.value for cell in sheet[1]], [cell.value for cell in sheet[2]]
    assert dict(zip(header, first, strict=True))["title"] == "Opening"
    assert header[:4] == ["id", "meeting", "title", "title_id"]


def test_data_entry_cannot_publish_meetings_by_import(import_references):
    from django.contrib.auth.models import Group

    from .factories import UserFactory

    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.groups.add(Group.objects.get(name="Data entry"))
    header = "slug,title,series,start_date,end_date,venue,mode,status,access\n"
    result = MeetingResource().import_data(
        dataset(
            header + "quiet,Quiet,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,scheduled,restricted\n"
            "loud,Loud,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,scheduled,public\n"
        ),
        rollback_on_validation_errors=True,
        user=clerk,
    )

    assert row_errors(result) == [
        (2, "access", "Only an editor may publish or lower an access level. Save it as restricted and ask an editor "
         "to publish it.")
    ]
    assert Meeting.objects.count() == 0


def test_import_cannot_move_a_meeting_away_from_its_sessions(import_references):
    meeting = MeetingFactory(slug="summit-2030", start_date=dt.date(2030, 11, 10), end_date=dt.date(2030, 11, 13))
    SessionFactory(meeting=meeting, starts_on=dt.date(2030, 11, 10), ends_on=dt.date(2030, 11, 10))

    result = import_meetings(
        MEETING_HEADER + "summit-2030,Summit,summit,2030-12-10,2030-12-13,Marina Bay Sands,in_person,scheduled\n"
    )

    assert [(row.number, row.non_field_specific_errors) for row in result.invalid_rows] == [
        (1, ["The session (2030-11-10 to 2030-11-10, Asia/Singapore) lies outside the meeting's dates "
             "(2030-12-10 to 2030-12-13)."])
    ]  # fmt: skip
    meeting.refresh_from_db()
    assert meeting.start_date == dt.date(2030, 11, 10)


def test_session_time_at_the_end_of_the_calendar_is_a_row_error(import_references):
    MeetingFactory(slug="summit-2030", start_date=dt.date(2030, 11, 10), end_date=dt.date(2030, 11, 13))
    result = SessionResource().import_data(
        dataset(
            "meeting,title,start,end,venue,mode\n"
            "summit-2030,Edge,9999-12-31 23:00,9999-12-31 23:30,Marina Bay Sands,in_person\n"
        ),
        rollback_on_validation_errors=True,
    )

    assert row_errors(result) == [
        (1, "start", "Give a time between the years 2 and 9998."),
        (1, "end", "Give a time between the years 2 and 9998."),
        (1, "starts_on", "Give the date, or a start time."),
    ]
    assert Session.objects.count() == 0


# --- Revisions: a sheet exported before someone else saved is refused ---------------------


def export_csv(resource):
    return resource().export().csv


def edited(sheet, old, new):
    assert old in sheet
    return sheet.replace(old, new)


def non_field_errors(result):
    return [(row.number, message) for row in result.invalid_rows for message in row.non_field_specific_errors]


def renamed_by_someone_else(meeting, by=None):
    """Someone else saves the meeting after the sheet was exported (revision 1 -> 2)."""
    meeting.title = "Summit (renamed)"
    if by is not None:
        meeting._history_user = by
    meeting.save()


@pytest.fixture
def exported_summit(import_references):
    """A meeting exported to a sheet while at revision 1: (meeting, the sheet's CSV text)."""
    meeting = MeetingFactory(slug="s", title="Summit", status=Status.SCHEDULED)
    return meeting, export_csv(MeetingResource)


def test_meeting_and_session_exports_carry_each_rows_revision(import_references):
    meeting = MeetingFactory(slug="s")
    meeting.title = "Renamed"
    meeting.save()
    SessionFactory(meeting=meeting)
    assert [row["revision"] for row in MeetingResource().export().dict] == ["2"]
    assert [row["revision"] for row in SessionResource().export().dict] == ["1"]


def test_sheet_exported_before_someone_else_saved_is_refused_with_what_changed(exported_summit, editor_user):
    meeting, sheet = exported_summit
    renamed_by_someone_else(meeting, by=editor_user)

    result = import_meetings(edited(sheet, ",scheduled,", ",cancelled,"))

    [(number, message)] = non_field_errors(result)
    assert number == 1
    assert message.startswith(
        "This meeting was saved by someone else after the sheet was exported (the sheet has revision 1, it is now at "
        "2); the file was not applied. Export again and redo this row's changes. title ('Summit' → 'Summit "
        "(renamed)') changed by editor at "
    )
    meeting.refresh_from_db()
    assert (meeting.title, meeting.status, meeting.revision) == ("Summit (renamed)", Status.SCHEDULED, 2)


def test_sheet_exported_again_after_the_other_save_is_applied(exported_summit):
    meeting, _old_sheet = exported_summit
    renamed_by_someone_else(meeting)

    result = import_meetings(edited(export_csv(MeetingResource), ",scheduled,", ",cancelled,"))

    assert non_field_errors(result) == []
    meeting.refresh_from_db()
    assert (meeting.title, meeting.status, meeting.revision) == ("Summit (renamed)", Status.CANCELLED, 3)


def test_sheet_without_a_revision_column_updates_as_it_says(exported_summit):
    meeting, _sheet = exported_summit
    renamed_by_someone_else(meeting)

    import_meetings(MEETING_HEADER + "s,Summit,summit,2030-11-10,2030-11-13,Marina Bay Sands,in_person,cancelled\n")

    meeting.refresh_from_db()
    assert (meeting.title, meeting.status) == ("Summit", Status.CANCELLED)


def test_sheet_with_a_revision_that_is_not_a_number_is_refused(exported_summit, unchanged):
    meeting, sheet = exported_summit
    result = import_meetings(edited(sheet, ",1\r\n", ",first\r\n"))

    assert non_field_errors(result) == [(1, "“first” is not a revision number; keep the column as it was exported.")]
    meeting.refresh_from_db()
    assert meeting.revision == 1


def test_session_sheet_exported_before_its_time_moved_is_refused(import_references):
    start, end = timed(dt.date(2030, 3, 1), 9, zone="Asia/Singapore")
    session = SessionFactory(title="Plenary", start=start, end=end)
    sheet = export_csv(SessionResource)
    session.start, session.end = timed(dt.date(2030, 3, 1), 14, zone="Asia/Singapore")
    session.save()

    result = SessionResource().import_data(dataset(edited(sheet, "Plenary", "Opening plenary")))

    [(number, message)] = non_field_errors(result)
    assert (number, message.split(";")[0]) == (
        1,
        "This session was saved by someone else after the sheet was exported (the sheet has revision 1, it is now "
        "at 2)",
    )
    session.refresh_from_db()
    assert (session.title, session.start) == ("Plenary", timed(dt.date(2030, 3, 1), 14, zone="Asia/Singapore")[0])


def test_admin_import_of_a_stale_sheet_shows_the_row_error_and_applies_nothing(administrator_client, exported_summit):
    meeting, sheet = exported_summit
    renamed_by_someone_else(meeting)

    stale = edited(sheet, ",scheduled,", ",cancelled,").encode()
    response = upload(administrator_client, "/admin/events/meeting/import/", "m.csv", stale, "0")

    html = re.sub(r"\s+", " ", response.content.decode())
    assert response.context.get("confirm_form") is None
    assert "the sheet has revision 1, it is now at 2" in html
    meeting.refresh_from_db()
    assert meeting.status == Status.SCHEDULED
