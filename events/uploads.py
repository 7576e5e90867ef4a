"""Limits on imported files, checked on the raw bytes before any parser sees them.

A spreadsheet or calendar from outside is hostile until measured: its size,
then (for XLSX, a zip archive) what it would decompress to and at what ratio,
then how many rows or events it holds. Each check costs a scan of the bytes
or of the zip directory, never a parse, so a refusal comes in milliseconds.
The limits are settings (see the README's Configuration).
"""

import csv
import io
import os
import re
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"
VEVENT = re.compile(rb"^BEGIN:VEVENT\s*$", re.IGNORECASE | re.MULTILINE)


def _size_error(size):
    return ValidationError(
        gettext("The file is %(size)s; the limit is %(limit)s. Nothing was imported.")
        % {"size": filesizeformat(size), "limit": filesizeformat(settings.MAX_IMPORT_UPLOAD_BYTES)},
        code="too_large",
    )


def _rows_error(count, what):
    return ValidationError(
        gettext("The file holds %(count)s %(what)s; the limit is %(limit)s. Split it and import the parts.")
        % {"count": f"{count:,}", "what": what, "limit": f"{settings.MAX_IMPORT_ROWS:,}"},
        code="too_many_rows",
    )


def read_upload(upload):
    """The bytes of an uploaded file, refusing one over the size limit before reading it."""
    if upload.size > settings.MAX_IMPORT_UPLOAD_BYTES:
        raise _size_error(upload.size)
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def check_zip(data):
    """Refuse an archive whose members would decompress beyond the limits (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        message = gettext("The file is not a readable XLSX (zip) file: %(error)s") % {"error": error}
        raise ValidationError(message) from None
    if len(members) > settings.MAX_IMPORT_ZIP_MEMBERS:
        raise ValidationError(
            gettext("The XLSX file has %(count)s parts; a spreadsheet has at most %(limit)s.")
            % {"count": len(members), "limit": settings.MAX_IMPORT_ZIP_MEMBERS},
            code="zip_bomb",
        )
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    if unpacked > settings.MAX_IMPORT_UNCOMPRESSED_BYTES:
        raise ValidationError(
            gettext("The XLSX file would unpack to %(size)s; the limit is %(limit)s. Nothing was imported.")
            % {"size": filesizeformat(unpacked), "limit": filesizeformat(settings.MAX_IMPORT_UNCOMPRESSED_BYTES)},
            code="zip_bomb",
        )
    if unpacked / packed > settings.MAX_IMPORT_COMPRESSION_RATIO:
        raise ValidationError(
            gettext("The XLSX file is compressed %(ratio)s to 1; more than %(limit)s to 1 is refused as a zip bomb.")
            % {"ratio": f"{unpacked / packed:,.0f}", "limit": settings.MAX_IMPORT_COMPRESSION_RATIO},
            code="zip_bomb",
        )


def count_csv_rows(data):
    """Data rows of a CSV file (the header excluded), read with the csv module's C reader, not parsed into rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(gettext("The CSV file is not UTF-8 text."), code="encoding") from None
    try:
        return max(0, sum(1 for _row in csv.reader(io.StringIO(text))) - 1)
    except csv.Error as error:
        raise ValidationError(gettext("The CSV file cannot be read: %(error)s") % {"error": error}) from None


def check_spreadsheet(data):
    """Size, zip-bomb and row limits of an uploaded CSV or XLSX, from its bytes.

    The rows of an XLSX are counted after it is opened (its decompressed size is bounded by then),
    by `check_row_count` on the dataset.
    """
    if len(data) > settings.MAX_IMPORT_UPLOAD_BYTES:
        raise _size_error(len(data))
    if data.startswith(ZIP_MAGIC):
        check_zip(data)
        return
    if data.startswith(GZIP_MAGIC):
        raise ValidationError(gettext("The file is compressed; upload the CSV or XLSX file itself."), code="compressed")
    rows = count_csv_rows(data)
    if rows > settings.MAX_IMPORT_ROWS:
        raise _rows_error(rows, gettext("rows"))


def check_row_count(count):
    if count > settings.MAX_IMPORT_ROWS:
        raise _rows_error(count, gettext("rows"))


def check_calendar(data):
    """Size and event-count limits of iCalendar bytes; a compressed file is refused rather than unpacked."""
    if len(data) > settings.MAX_IMPORT_UPLOAD_BYTES:
        raise _size_error(len(data))
    if data.startswith((ZIP_MAGIC, GZIP_MAGIC)):
        raise ValidationError(
            gettext("The file is compressed; upload the iCalendar (.ics) text itself."), code="compressed"
        )
    events = len(VEVENT.findall(data))
    if events > settings.MAX_IMPORT_ROWS:
        raise _rows_error(events, gettext("events"))


def read_upload_path(path):
    """The bytes of a file on disk, refusing one over the size limit before reading it."""
    size = os.path.getsize(path)
    if size > settings.MAX_IMPORT_UPLOAD_BYTES:
        raise _size_error(size)
    with open(path, "rb") as handle:
        return handle.read(settings.MAX_IMPORT_UPLOAD_BYTES + 1)
