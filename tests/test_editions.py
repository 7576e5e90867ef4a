"""Numbered editions (events/editions.py): copying a meeting as its series' next edition, ordinals in titles."""

import datetime as dt

import pytest

from events.editions import replace_ordinal
from events.models import Status

from .factories import MeetingFactory
from .factories import SessionFactory
from .factories import timed

pytestmark = pytest.mark.django_db


def test_duplicate_as_next_edition_copies_with_ordinal_and_shifted_sessions():
    meeting = MeetingFactory(
        title="32nd ASEAN Summit",
        title_id="KTT ASEAN ke-32",
        ordinal=32,
        start_date=dt.date(2030, 3, 1),
        end_date=dt.date(2030, 3, 3),
    )
    start, end = timed(dt.date(2030, 3, 2), 9)
    SessionFactory(meeting=meeting, title="Plenary", start=start, end=end)
    SessionFactory(meeting=meeting, title="Retreat", starts_on=dt.date(2030, 3, 3))

    copy = meeting.duplicate_as_next_edition(shift_days=182)

    assert (copy.ordinal, copy.title, copy.title_id) == (33, "33rd ASEAN Summit", "KTT ASEAN ke-33")
    assert (copy.start_date, copy.end_date) == (dt.date(2030, 8, 30), dt.date(2030, 9, 1))
    assert copy.status == Status.TENTATIVE
    sessions = list(copy.sessions.order_by("title"))
    assert [(s.title, s.starts_on) for s in sessions] == [
        ("Plenary", dt.date(2030, 8, 31)),
        ("Retreat", dt.date(2030, 9, 1)),
    ]
    assert sessions[0].local_start.time() == dt.time(9, 0)
    assert meeting.sessions.count() == 2


def test_duplicate_as_next_edition_does_not_copy_imported_uids():
    meeting = MeetingFactory(ordinal=3, external_uid="hlm-3@partner.example")
    SessionFactory(meeting=meeting, external_uid="forum@partner.example")
    copy = meeting.duplicate_as_next_edition(shift_days=365)
    assert copy.external_uid == ""
    assert list(copy.sessions.values_list("external_uid", flat=True)) == [""]


def test_replace_ordinal_handles_english_and_indonesian():
    assert replace_ordinal("3rd ASEAN-Japan HLM", 3, 4) == "4th ASEAN-Japan HLM"
    assert replace_ordinal("KTT ASEAN ke-32", 32, 33) == "KTT ASEAN ke-33"
    assert replace_ordinal("11th Meeting", 11, 12) == "12th Meeting"
