"""The README's bad-input catalogue rows that cross doors (admin, API, pages, feeds): each a form error or a
4xx with a message, or text kept as data, and the database unchanged (the `unchanged` fixture)."""

import datetime as dt

import pytest
from django.test import Client

from .conftest import admin_meeting_change
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SessionFactory

pytestmark = pytest.mark.django_db


# --- Meeting fields: a form error in the admin, a 400 in the API ---------------------------------------


def test_unknown_time_zone_is_a_form_error_in_the_admin(unchanged):
    response = admin_meeting_change(unchanged, venue="", timezone="Mars/Olympus_Mons")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["timezone"] == [
        "“Mars/Olympus_Mons” is not a known IANA time zone."
    ]


def patch_meeting_over_its_revision(client, meeting, data):
    """`client` PATCHes `data` to `meeting` in the API with If-Match of its current revision."""
    return client.patch(
        f"/api/v1/meetings/{meeting.slug}/",
        data,
        content_type="application/json",
        headers={"If-Match": f'"{meeting.revision}"'},
    )


def test_unknown_time_zone_is_a_400_in_the_api(unchanged, administrator_client):
    response = patch_meeting_over_its_revision(administrator_client, unchanged, {"timezone": "Asia/Atlantis"})
    assert response.status_code == 400
    assert "Asia/Atlantis" in str(response.json())


def test_reversed_meeting_dates_are_a_form_error_in_the_admin(unchanged):
    response = admin_meeting_change(unchanged, start_date="2030-03-05", end_date="2030-03-01")
    assert response.context["adminform"].form.errors["end_date"] == ["The meeting cannot end before it starts."]


def test_absurd_meeting_year_is_a_400_in_the_api(unchanged, administrator_client):
    response = patch_meeting_over_its_revision(administrator_client, unchanged, {"start_date": "99999-01-01"})
    assert response.status_code == 400
    assert "start_date" in response.json()


# --- HTML in titles: escaped in every page, data in JSON and iCalendar ----------------------------------


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def xss_meeting(db):
    meeting = MeetingFactory(slug="xss", title=XSS, start_date=dt.date(2099, 1, 1), end_date=dt.date(2099, 1, 2))
    SessionFactory(meeting=meeting, title=XSS)
    DocumentFactory(meeting=meeting, title=XSS)
    return meeting


@pytest.mark.parametrize("url", ["/", "/meetings/", "/meetings/xss/", "/changes/", "/documents/", "/changes/feed/"])
def test_html_in_titles_is_escaped_in_every_page(xss_meeting, url):
    response = Client().get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;alert" in body


@pytest.mark.parametrize(
    ("url", "content_type"),
    [("/api/v1/meetings/", "application/json"), ("/feeds/all.ics", "text/calendar; charset=utf-8")],
)
def test_html_in_titles_is_kept_as_data_in_json_and_icalendar_never_served_as_html(xss_meeting, url, content_type):
    response = Client().get(url)
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "&lt;script" not in response.content.decode()  # data, not double-escaped markup


# --- Admin addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/admin/r/abc/1/", "/admin/r/1/not-a-number/", "/admin/events/meeting/{pk}/history/abc/"],
)
def test_malformed_admin_object_addresses_are_not_found(unchanged, editor_client, url):
    response = editor_client.get(url.format(pk=unchanged.pk))

    assert response.status_code == 404
