"""Times as readers see them (events/times.py)."""

import datetime as dt

import pytest

from events import times
from events.models import Session

from .conftest import session_at
from .factories import MeetingFactory
from .factories import SessionFactory

DAY = dt.date(2030, 3, 1)

pytestmark = pytest.mark.django_db


def test_session_interval_of_timed_session_is_its_start_and_end():
    session = Session(start=dt.datetime(2030, 3, 1, 1, tzinfo=dt.UTC), end=dt.datetime(2030, 3, 1, 2, tzinfo=dt.UTC))
    assert times.session_interval(session) == (session.start, session.end)


def test_session_interval_of_date_only_session_is_its_whole_local_days(cities):
    session = SessionFactory(
        meeting=MeetingFactory(venue=cities["Jakarta"]), venue=cities["Jakarta"], starts_on=DAY, ends_on=DAY
    )
    # Jakarta is UTC+7: 1 March 00:00 local is 28 February 17:00 UTC.
    assert times.session_interval(session) == (
        dt.datetime(2030, 2, 28, 17, tzinfo=dt.UTC),
        dt.datetime(2030, 3, 1, 17, tzinfo=dt.UTC),
    )


def test_shown_time_converts_to_viewer_zone_and_marks_another_day(cities):
    session = session_at(cities["Singapore"], 8, hours=2)
    local = times.shown_time(session, "Asia/Singapore")
    assert (local.text, local.offset, local.differs_in_day) == ("08:00–10:00", "UTC+8", False)
    theirs = times.shown_time(session, "America/New_York")
    assert (theirs.text, theirs.offset, theirs.differs_in_day) == ("Thu 28 Feb 19:00–21:00", "UTC−5", True)
    assert times.shown_time(session, "Asia/Kolkata").offset == "UTC+5:30"


def test_shown_time_of_date_only_session_is_none(cities):
    session = SessionFactory(meeting=MeetingFactory(venue=cities["Singapore"]), starts_on=DAY)
    assert times.shown_time(session, "America/New_York") is None
