"""Record spreadsheets that load_seed refuses (events/record.py): the file, row and field named, nothing loaded."""

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from .conftest import meeting_row
from .conftest import write_record

pytestmark = pytest.mark.django_db


def test_record_file_with_a_bad_row_is_refused_naming_the_row(unchanged, tmp_path):

    write_record(tmp_path, meetings=[meeting_row(series="no-such-series")])
    with pytest.raises(CommandError) as error:
        call_command("load_seed", "--record", str(tmp_path), verbosity=0)
    assert str(error.value) == (
        "Record not loaded, nothing changed: meetings.csv row 1: series: No series with slug “no-such-series”."
    )


def test_record_file_that_is_not_utf8_is_refused(unchanged, tmp_path):

    write_record(tmp_path)
    latin1 = "name,city,country,timezone\nCaf\xe9,Hanoi,VN,Asia/Ho_Chi_Minh\n".encode("latin-1")
    (tmp_path / "venues.csv").write_bytes(latin1)
    with pytest.raises(CommandError) as error:
        call_command("load_seed", "--record", str(tmp_path), verbosity=0)
    assert str(error.value) == (
        "Record not loaded, nothing changed: venues.csv: not UTF-8 text (invalid continuation byte at byte 30)."
    )
