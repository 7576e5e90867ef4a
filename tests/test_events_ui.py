"""Template tags of the planner pages (events/templatetags/events_ui.py): feed links and session times."""

import re

import pytest

from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import timed

pytestmark = pytest.mark.django_db


# --- feed_url and webcal: subscribing to what the page shows ------------------------------------------


def test_meeting_list_offers_subscription_matching_the_filters(client):
    SeriesFactory(slug="summit")
    body = client.get("/meetings/?series=summit&mode=hybrid&tz=Asia/Tokyo&page=1").content.decode()
    webcal = re.search(r'id="subscribe-webcal" href="([^"]+)"|href="([^"]+)" id="subscribe-webcal"', body)
    https = re.search(r'href="([^"]+)" id="subscribe-https"', body)
    assert webcal.group(2) == "webcal://testserver/feeds/all.ics?series=summit&amp;mode=hybrid"
    assert https.group(1) == "http://testserver/feeds/all.ics?series=summit&amp;mode=hybrid"


# --- session_time: the venue's time, and the viewer's beside it -------------------------------------


def test_timed_session_shows_venue_and_viewer_time_side_by_side(client):
    meeting = MeetingFactory()
    start, end = timed(meeting.start_date, 9, hours=2)  # 09:00–11:00 in Singapore
    SessionFactory(meeting=meeting, start=start, end=end)
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "09:00–11:00" in body
    assert "your time" not in body
    body = client.get(meeting.get_absolute_url() + "?tz=Europe/Brussels").content.decode()
    assert "09:00–11:00" in body
    assert "02:00–04:00" in body
    assert "your time (Europe/Brussels)" in body


def test_viewer_time_on_another_day_shows_that_day(client):
    meeting = MeetingFactory()
    start, end = timed(meeting.start_date, 8)  # 08:00 Fri 1 March in Singapore = 19:00 Thu 28 Feb in New York
    SessionFactory(meeting=meeting, start=start, end=end)
    body = client.get(meeting.get_absolute_url() + "?tz=America/New_York").content.decode()
    assert "Thu 28 Feb 19:00–20:00" in body
