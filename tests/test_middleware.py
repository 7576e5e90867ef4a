"""The viewer's time zone (`?tz=`, remembered in the session) and printable HTML (events/middleware.py)."""

import pytest
from django.http import HttpResponse
from django.http import JsonResponse
from django.test import RequestFactory
from django.utils import timezone

from events.middleware import PrintableHtmlMiddleware
from events.middleware import ViewerTimezoneMiddleware

from .factories import MeetingFactory
from .factories import SessionFactory
from .factories import timed

pytestmark = pytest.mark.django_db


def test_viewer_time_zone_is_remembered_in_the_session(client):
    meeting = MeetingFactory()
    start, end = timed(meeting.start_date, 9)
    SessionFactory(meeting=meeting, start=start, end=end)
    client.get("/?tz=Asia/Tokyo")
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "10:00–11:00" in body
    assert '<option value="Asia/Tokyo" selected>' in body
    client.get("/?tz=")
    assert "10:00–11:00" not in client.get(meeting.get_absolute_url()).content.decode()


def test_unknown_time_zone_is_refused_with_a_message(client):
    response = client.get("/?tz=Mars/Olympus")
    assert (response.status_code, response.content.decode()) == (
        400,
        "“Mars/Olympus” is not a known IANA time zone, e.g. Asia/Jakarta.",
    )
    assert "viewer_tz" not in client.session


def zone_seen_by_view(path, *, remembered):
    """The time zone a view at `path` runs in, for a visitor who chose `remembered` earlier."""
    request = RequestFactory().get(path)
    request.session = {"viewer_tz": remembered}
    return ViewerTimezoneMiddleware(lambda request: timezone.get_current_timezone_name())(request)


def test_viewer_time_zone_is_used_on_pages_but_not_in_the_admin():
    assert zone_seen_by_view("/meetings/", remembered="Asia/Tokyo") == "Asia/Tokyo"
    # Staff type and read times in the venue's zone; a zone picked on the public pages must not shift them.
    assert zone_seen_by_view("/admin/events/meeting/", remembered="Asia/Tokyo") == "UTC"


def printable_html(response):
    return PrintableHtmlMiddleware(lambda request: response)(RequestFactory().get("/"))


def test_printable_html_drops_control_characters_from_html_and_fixes_the_length():
    response = HttpResponse("<p>Summit\x07 \x1bweek</p>", content_type="text/html; charset=utf-8")
    response["Content-Length"] = str(len(response.content))
    cleaned = printable_html(response)
    assert (cleaned.content, cleaned["Content-Length"]) == (b"<p>Summit week</p>", "18")


def test_printable_html_leaves_other_content_types_alone():
    assert printable_html(JsonResponse({"title": "a\x07b"})).content == b'{"title": "a\\u0007b"}'
    text = HttpResponse("a\x07b", content_type="text/plain")
    assert printable_html(text).content == b"a\x07b"
