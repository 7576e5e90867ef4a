"""The import_spreadsheet command: a progress bar, nothing imported when a row is bad, the upload limits."""

import io

import pytest
from django.core.management import CommandError
from django.core.management import call_command
from django.test import override_settings

from events.models import Meeting

from .conftest import BELL

pytestmark = pytest.mark.django_db


def test_import_spreadsheet_command_imports_with_a_progress_bar(tmp_path, summit_series):
    rows = "".join(f"m{n},Meeting {n},summit,2030-11-10,2030-11-13,Asia/Jakarta,hybrid\n" for n in range(60))
    path = tmp_path / "meetings.csv"
    path.write_text("slug,title,series,start_date,end_date,timezone,mode\n" + rows)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_spreadsheet", str(path), "--resource", "meetings", stdout=out, stderr=err)
    assert Meeting.objects.count() == 60
    assert "60/60" in err.getvalue()
    assert out.getvalue().strip() == f"Imported {path}: 60 new."


def test_import_spreadsheet_command_refuses_bad_rows_and_large_files(tmp_path, summit_series, unchanged):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "slug,title,series,start_date,end_date,timezone,mode\n"
        "ok,OK,summit,2030-11-10,2030-11-13,Asia/Jakarta,hybrid\n"
        f"bad,{BELL},summit,2030-11-10,2030-11-13,Asia/Jakarta,hybrid\n"
    )
    with pytest.raises(CommandError, match=r"Nothing was imported: row 2: title: Control characters are not allowed"):
        call_command("import_spreadsheet", str(bad), "--resource", "meetings", stderr=io.StringIO())
    with (
        override_settings(MAX_IMPORT_UPLOAD_BYTES=100),
        pytest.raises(CommandError, match="The file is 175\xa0bytes; the limit is 100\xa0bytes. Nothing was imported."),
    ):
        call_command("import_spreadsheet", str(bad), "--resource", "meetings")


def write_meetings_csv(tmp_path, access):
    path = tmp_path / "meetings.csv"
    path.write_text(
        "slug,title,series,start_date,end_date,timezone,mode,access\n"
        f"side,Side meeting,summit,2030-11-10,2030-11-13,Asia/Jakarta,hybrid,{access}\n"
    )
    return str(path)


def test_import_spreadsheet_as_a_clerk_saves_restricted_rows_and_refuses_public_ones(
    tmp_path, summit_series, data_entry_user
):
    public = write_meetings_csv(tmp_path, "public")
    with pytest.raises(CommandError, match=r"Nothing was imported: row 1: access: Only an editor may publish"):
        call_command("import_spreadsheet", public, "--resource", "meetings", "--user", "clerk", stderr=io.StringIO())
    assert Meeting.objects.count() == 0

    restricted = write_meetings_csv(tmp_path, "restricted")
    call_command("import_spreadsheet", restricted, "--resource", "meetings", "--user", "clerk", stdout=io.StringIO())
    assert list(Meeting.objects.values_list("slug", "access")) == [("side", "restricted")]


def test_import_spreadsheet_refuses_an_unknown_user_or_a_role_that_may_not_import(
    tmp_path, summit_series, viewer_user, unchanged
):
    path = write_meetings_csv(tmp_path, "restricted")
    with pytest.raises(CommandError, match="No active user “nobody”."):
        call_command("import_spreadsheet", path, "--resource", "meetings", "--user", "nobody")
    with pytest.raises(CommandError, match="User “viewer” may not import sessions: their role cannot add and change"):
        call_command("import_spreadsheet", path, "--resource", "sessions", "--user", "viewer")
