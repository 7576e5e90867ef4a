"""The sourced record of ASEAN meetings: every row says where its facts come from."""

import datetime as dt

import pytest

from .factories import DocumentFactory, MeetingFactory

pytestmark = pytest.mark.django_db


def test_meeting_page_shows_source_link_checked_date_and_note(client):
    meeting = MeetingFactory(
        slug="summit",
        source_url="https://asean.org/example-statement/",
        source_checked=dt.date(2026, 11, 30),
        source_note="The sources give no times.",
    )
    DocumentFactory(meeting=meeting, title="Vision", source_url="https://asean.org/vision/")
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert (
        'Source: <a href="https://asean.org/example-statement/" rel="external">https://asean.org/example-statement/</a>'
        " (checked Nov. 30, 2026)."
    ) in body
    assert "The sources give no times." in body
    assert '<a href="https://asean.org/vision/" rel="external">Source</a>' in body


def test_api_meeting_carries_source_fields(client):
    meeting = MeetingFactory(
        slug="summit", source_url="https://asean.org/a/", source_checked=dt.date(2026, 11, 30), source_note="Silent."
    )
    DocumentFactory(meeting=meeting, source_url="https://asean.org/doc/", source_note="Date unclear.")
    data = client.get("/api/v1/meetings/summit/").json()
    assert (data["source_url"], data["source_checked"], data["source_note"]) == (
        "https://asean.org/a/",
        "2026-11-30",
        "Silent.",
    )
    assert [(d["source_url"], d["source_note"]) for d in data["documents"]] == [
        ("https://asean.org/doc/", "Date unclear.")
    ]
