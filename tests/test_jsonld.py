"""schema.org JSON-LD (events/jsonld.py): built from a meeting, and as the meeting page embeds it."""

import json

import pytest

from events import jsonld
from events.models import Access
from events.models import Mode
from events.models import Status

from .conftest import embedded_json_ld
from .factories import MeetingFactory
from .factories import SessionFactory
from .factories import timed

pytestmark = pytest.mark.django_db


def test_event_json_ld_of_in_person_meeting_has_place_only():
    meeting = MeetingFactory(mode=Mode.IN_PERSON)
    data = jsonld.event_json_ld(
        meeting=meeting, parent=None, sessions=[], absolute=lambda path: "https://x.test" + path
    )
    assert data["location"] == {
        "@type": "Place",
        "name": meeting.venue.name,
        "address": {"@type": "PostalAddress", "addressLocality": "Singapore", "addressCountry": "SG"},
    }
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["url"] == f"https://x.test/meetings/{meeting.slug}/"
    assert "subEvent" not in data


def test_event_json_ld_without_announced_format_omits_attendance_mode():
    meeting = MeetingFactory(mode="", status=Status.TENTATIVE)
    data = jsonld.event_json_ld(meeting=meeting, parent=None, sessions=[], absolute=str)
    assert "eventAttendanceMode" not in data
    assert data["eventStatus"] == "https://schema.org/EventScheduled"


def test_meeting_json_ld_describes_event_sessions_and_parent(client):
    summit = MeetingFactory(title="The Summit")
    meeting = MeetingFactory(title="Hybrid Forum", parent=summit, mode=Mode.HYBRID, status=Status.RESCHEDULED)
    start, end = timed(meeting.start_date, 9)
    SessionFactory(meeting=meeting, title="Timed", start=start, end=end, mode=Mode.IN_PERSON)
    SessionFactory(meeting=meeting, title="Online", mode=Mode.VIRTUAL, join_url="https://meet.example.org/j")
    SessionFactory(meeting=meeting, title="Secret", access=Access.RESTRICTED)
    data = embedded_json_ld(client.get(meeting.get_absolute_url()).content.decode())
    assert data["@type"] == "Event"
    assert data["name"] == "Hybrid Forum"
    assert data["startDate"] == "2030-03-01"
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert data["eventStatus"] == "https://schema.org/EventRescheduled"
    assert [loc["@type"] for loc in data["location"]] == ["Place", "VirtualLocation"]
    assert data["location"][0]["address"]["addressCountry"] == "SG"
    assert data["superEvent"]["name"] == "The Summit"
    assert [e["name"] for e in data["subEvent"]] == ["Online", "Timed"]
    timed_event = data["subEvent"][1]
    assert timed_event["startDate"] == "2030-03-01T09:00:00+08:00"
    assert timed_event["location"]["@type"] == "Place"
    assert data["subEvent"][0]["location"]["@type"] == "VirtualLocation"
    assert "meet.example.org" not in json.dumps(data)


def test_cancelled_virtual_meeting_json_ld(client):
    meeting = MeetingFactory(mode=Mode.VIRTUAL, status=Status.CANCELLED, venue=None, timezone="Asia/Jakarta")
    data = embedded_json_ld(client.get(meeting.get_absolute_url()).content.decode())
    assert data["eventStatus"] == "https://schema.org/EventCancelled"
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"]["@type"] == "VirtualLocation"
    assert "superEvent" not in data
