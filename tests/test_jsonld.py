"""schema.org JSON-LD (events/jsonld.py)."""

import pytest

from events import jsonld
from events.models import Mode, Status

from .factories import (
    MeetingFactory,
)

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
