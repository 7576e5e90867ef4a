"""Import limits (events/uploads.py): size, zip-bomb and row or event limits of spreadsheets and calendars,
checked on the bytes before any parser sees them, in the admin and the import commands."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from .conftest import MEETING_IMPORT_HEADER
from .conftest import ics_calendar
from .conftest import vevent

pytestmark = pytest.mark.django_db


def admin_upload(client, name, content, file_format="0"):
    return client.post(
        "/admin/events/meeting/import/", {"format": file_format, "import_file": SimpleUploadedFile(name, content)}
    )


def test_csv_over_the_size_limit_is_refused_before_parsing(administrator_client, unchanged):
    row = b"x,Title,summit,2030-11-10,2030-11-13,,hybrid,scheduled\n"
    content = MEETING_IMPORT_HEADER.encode() + row * (12 * 1024 * 1024 // len(row))
    response = admin_upload(administrator_client, "big.csv", content)
    assert response.context["form"].errors["import_file"] == [
        "The file is 12.0\xa0MB; the limit is 5.0\xa0MB. Nothing was imported."
    ]


@override_settings(MAX_IMPORT_ROWS=2)
def test_csv_over_the_row_limit_is_refused(administrator_client, unchanged):
    content = (MEETING_IMPORT_HEADER + "a,A,s,2030-11-10,2030-11-13,,hybrid,scheduled\n" * 3).encode()
    response = admin_upload(administrator_client, "rows.csv", content)
    assert response.context["form"].errors["import_file"] == [
        "The file holds 3 rows; the limit is 2. Split it and import the parts."
    ]


def zip_bomb(size):
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * size)
    return content.getvalue()


def test_xlsx_zip_bomb_is_refused_by_its_ratio_before_opening(administrator_client, unchanged):
    response = admin_upload(administrator_client, "bomb.xlsx", zip_bomb(20 * 1024 * 1024), "1")
    [error] = response.context["form"].errors["import_file"]
    assert error.startswith("The XLSX file is compressed ")
    assert error.endswith(" to 1; more than 100 to 1 is refused as a zip bomb.")


@override_settings(MAX_IMPORT_UNCOMPRESSED_BYTES=1000)
def test_xlsx_that_unpacks_beyond_the_limit_is_refused(administrator_client, unchanged):
    book = openpyxl.Workbook()
    book.active.append(["slug", "title"])
    content = io.BytesIO()
    book.save(content)
    response = admin_upload(administrator_client, "big.xlsx", content.getvalue(), "1")
    [error] = response.context["form"].errors["import_file"]
    assert error.startswith("The XLSX file would unpack to ")
    assert error.endswith("; the limit is 1000\xa0bytes. Nothing was imported.")


def test_file_that_is_not_a_zip_but_says_so_is_refused(administrator_client, unchanged):
    response = admin_upload(administrator_client, "fake.xlsx", b"PK\x03\x04 not really a zip", "1")
    [error] = response.context["form"].errors["import_file"]
    assert error.startswith("The file is not a readable XLSX (zip) file: ")


@override_settings(MAX_IMPORT_ROWS=1)
def test_xlsx_over_the_row_limit_is_refused_and_imports_nothing(administrator_client, summit_series, unchanged):
    book = openpyxl.Workbook()
    book.active.append(["slug", "title", "series", "start_date", "end_date", "mode", "status", "timezone"])
    for slug in ("a", "b"):
        book.active.append([slug, slug, "summit", "2030-11-10", "2030-11-13", "hybrid", "scheduled", "Asia/Jakarta"])
    content = io.BytesIO()
    book.save(content)
    response = admin_upload(administrator_client, "rows.xlsx", content.getvalue(), "1")
    assert "The file holds 2 rows; the limit is 1. Split it and import the parts." in response.content.decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x1f\x8b\x08\x00compressed", "The file is compressed; upload the iCalendar (.ics) text itself."),
        (
            ics_calendar(
                *(vevent(f"e{n}@x", "E", "DTSTART:20300601T060000Z", "DTEND:20300601T070000Z") for n in range(3))
            ).encode(),
            "The file holds 3 events; the limit is 2. Split it and import the parts.",
        ),
    ],
)
@override_settings(MAX_IMPORT_ROWS=2)
def test_admin_icalendar_upload_over_the_limits_is_refused(
    administrator_client, summit_series, unchanged, content, message
):
    response = administrator_client.post(
        reverse("admin:events_meeting_import_ics"),
        {"file": SimpleUploadedFile("p.ics", content), "series": summit_series.pk},
    )
    assert response.context["form"].errors["file"] == [message]


@override_settings(MAX_IMPORT_ROWS=2)
def test_import_ics_command_refuses_too_many_events(tmp_path, summit_series, unchanged):
    path = tmp_path / "many.ics"
    path.write_text(
        ics_calendar(*(vevent(f"e{n}@x", "E", "DTSTART:20300601T060000Z", "DTEND:20300601T070000Z") for n in range(3)))
    )
    with pytest.raises(CommandError, match="The file holds 3 events; the limit is 2."):
        call_command("import_ics", str(path), "--series", "summit")
