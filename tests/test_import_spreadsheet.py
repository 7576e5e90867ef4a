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
