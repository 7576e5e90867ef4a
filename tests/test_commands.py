"""The small management commands, each test named `test_<command>_<condition>`: import_ics's own part
(series and user, progress bar); the import itself is tests/test_ics_import.py's."""

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from events.models import Session

from .conftest import PARTNER
from .conftest import ics_calendar
from .conftest import run_import_ics
from .conftest import vevent
from .conftest import write_ics

pytestmark = pytest.mark.django_db


def test_import_ics_unknown_series_is_a_clear_error(tmp_path, partner_series):
    with pytest.raises(CommandError, match="No series with slug “nope”. Known series: partner."):
        run_import_ics(write_ics(tmp_path, PARTNER), series="nope")


def test_import_ics_large_file_shows_a_progress_bar(tmp_path, partner_series):
    events = [
        vevent(
            f"e{n}@p.example", f"Event {n}", f"DTSTART;VALUE=DATE:203001{n % 28 + 1:02}", "DTEND;VALUE=DATE:20300201"
        )
        for n in range(60)
    ]
    _out, err = run_import_ics(write_ics(tmp_path, ics_calendar(*events)))

    assert "60/60" in err
    assert Session.objects.count() == 60


def test_import_ics_small_file_or_no_progress_shows_no_bar(tmp_path, partner_series):
    _out, err = run_import_ics(write_ics(tmp_path, PARTNER), no_progress=True)

    assert err == ""


def test_import_ics_command_refuses_an_unknown_user(db, tmp_path):
    with pytest.raises(CommandError, match="No active user “nobody”."):
        call_command("import_ics", str(tmp_path / "p.ics"), series="x", user="nobody")


def test_import_ics_command_refuses_a_user_whose_role_may_not_import(tmp_path, partner_series, viewer_user):
    with pytest.raises(CommandError, match="User “viewer” may not import meetings: their role cannot add and change"):
        run_import_ics(write_ics(tmp_path, PARTNER), user="viewer")
    assert Session.objects.count() == 0
