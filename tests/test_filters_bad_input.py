"""Bad filter and search values (events/filters.py, one FilterSet for pages, API and feeds): a 400 with a
message, or a search matched as plain text."""

import pytest
from django.test import Client

from events.models import Meeting

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/feeds/all.ics?from=2030-03-05&to=2030-03-01", "The end of the date range is before its start."),
        ("/api/v1/meetings/?from=2030-03-05&to=2030-03-01", "The end of the date range is before its start."),
        ("/meetings/?from=2030-03-05&to=2030-03-01", "The end of the date range is before its start."),
        ("/feeds/all.ics?from=0001-01-01", "Dates must lie between 1967 and 2100."),
        ("/api/v1/sessions/?to=9999-12-31", "Dates must lie between 1967 and 2100."),
        ("/api/v1/meetings/?from=2030-02-30", "Enter a valid date."),
        ("/feeds/all.ics?series=%27%20OR%201%3D1--", "is not one of the available choices"),
        ("/feeds/all.ics?country=ZZ", "ZZ is not one of the available choices"),
        ("/feeds/all.ics?per_day=maybe", "per_day must be 1 or 0."),
    ],
)
def test_bad_filter_is_a_400_with_a_message(unchanged, url, message):
    response = Client().get(url)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["' OR '1'='1", "%", "_", "\\", "'; DROP TABLE events_meeting; --", '" UNION SELECT password FROM auth_user --'],
)
def test_sql_metacharacters_in_search_are_plain_text(unchanged, query):
    client = Client()
    api = client.get("/api/v1/meetings/", {"q": query})
    page = client.get("/meetings/", {"q": query})
    feed = client.get("/feeds/all.ics", {"q": query})
    assert (api.status_code, api.json()["count"]) == (200, 0)
    assert page.status_code == 200
    assert "Steady Summit" not in page.content.decode()
    assert "Steady" not in feed.content.decode()


def test_sql_metacharacters_still_match_literally(unchanged):
    meeting = Meeting.objects.get()
    Meeting.objects.filter(pk=meeting.pk).update(theme="100% _smart_ cities")
    response = Client().get("/api/v1/meetings/", {"q": "100% _smart_"})
    assert [m["slug"] for m in response.json()["results"]] == ["steady-summit"]
    Meeting.objects.filter(pk=meeting.pk).update(theme="")  # `unchanged` compares updated stamps, not themes


def test_search_longer_than_the_limit_is_a_400(unchanged):
    response = Client().get("/api/v1/meetings/", {"q": "a" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
