"""A database error in the middle of an iCalendar import (events/ics_import.py) leaves nothing of it behind."""

import pytest
from django.core.management import CommandError
from django.core.management import call_command
from django.db import DatabaseError

from events.models import Meeting
from events.models import Session

pytestmark = pytest.mark.django_db


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:import-one@example.org\r
DTSTAMP:20300101T000000Z\r
DTSTART:20300301T010000Z\r
DTEND:20300301T020000Z\r
SUMMARY:Imported One\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:import-two@example.org\r
DTSTAMP:20300101T000000Z\r
DTSTART:20300302T010000Z\r
DTEND:20300302T020000Z\r
SUMMARY:Imported Two\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:import-three@example.org\r
DTSTAMP:20300101T000000Z\r
DTSTART:20300303T010000Z\r
DTEND:20300303T020000Z\r
SUMMARY:Imported Three\r
END:VEVENT\r
END:VCALENDAR\r
"""


def fail_on_second_save(monkeypatch, model):
    original = model.save
    calls = {"n": 0}

    def save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise DatabaseError("disk I/O error (simulated)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(model, "save", save)
    return calls


def test_database_error_mid_import_rolls_back_the_whole_ics_import(tmp_path, monkeypatch, calendar_meeting):
    pytest.importorskip("events.management.commands.import_ics", reason="import_ics has not landed yet")

    path = tmp_path / "calendar.ics"
    path.write_text(ICS)
    before = (Meeting.objects.count(), Session.objects.count())
    calls_meeting = fail_on_second_save(monkeypatch, Meeting)
    calls_session = fail_on_second_save(monkeypatch, Session)
    with pytest.raises((CommandError, DatabaseError)):
        call_command("import_ics", str(path), series=calendar_meeting.series.slug)
    assert calls_meeting["n"] + calls_session["n"] >= 2, "the import never reached its second save"
    assert (Meeting.objects.count(), Session.objects.count()) == before
    assert not Meeting.objects.filter(title__startswith="Imported").exists()
