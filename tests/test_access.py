"""Access control (events/access.py): the levels each kind of user sees, and a crawl of every URL pattern
as an anonymous visitor with restricted and confidential data present; none of it may show up anywhere."""

import pytest
from django.test import Client

from events.access import visible_levels

from .conftest import SEARCHES
from .conftest import fill
from .conftest import patterns
from .factories import StaffFactory
from .factories import UserFactory

pytestmark = pytest.mark.django_db

SECRETS = [
    "SECRETCLOSED", "SECRETDESC", "SECRETRS", "SECRETCD", "SECRETRM", "SECRETRMID", "SECRETTHEME", "SECRETMP",
    "SECRETDOC1", "SECRETDOCURL1", "SECRETNOTE", "SECRETCR", "SECRETMEETINGDESC", "SECRETLO", "SECRETDOC2",
    "SECRETORG", "JOINSECRET", "PASSSECRET", "restricted-ministerial", "confidential-retreat",
]  # fmt: skip


def crawl(values):
    urls = sorted({url for route in patterns() for url in fill(route, values)} | set(SEARCHES))
    client = Client()
    pages = {}
    for url in urls:
        response = client.get(url, headers={"Accept-Language": "en"})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        pages[url] = (response.status_code, body.decode("utf-8", "replace").replace("\r\n ", ""))
    return pages


def test_anonymous_crawl_of_every_url_shows_nothing_restricted_or_confidential(secret_world):
    pages = crawl(secret_world)
    leaks = {url: [s for s in SECRETS if s in body] for url, (_status, body) in pages.items()}
    assert {url: found for url, found in leaks.items() if found} == {}


def test_anonymous_crawl_reaches_the_public_pages_feeds_and_api(secret_world):
    """The crawl is not vacuous: public data shows up on the pages, in the feeds and in the API."""
    pages = crawl(secret_world)
    showing_public = {url for url, (status, body) in pages.items() if status == 200 and "PUBLICMARK" in body}
    assert {"/meetings/", "/meetings/open-summit/", "/feeds/all.ics", "/feeds/series/summit.ics",
            "/feeds/meetings/open-summit.ics", "/api/v1/meetings/", "/api/v1/sessions/"} <= showing_public  # fmt: skip
    assert len(pages) >= 40
    assert pages["/sitemap.xml"][0] == 200
    assert "/meetings/open-summit/" in pages["/sitemap.xml"][1]


def test_closed_session_is_listed_in_public_feeds_only_as_closed(secret_world):
    body = Client().get("/feeds/meetings/open-summit.ics").content.decode().replace("\r\n ", "")
    assert "SUMMARY:Closed session" in body
    assert "SECRETCLOSED" not in body


def test_restricted_and_confidential_pages_are_not_found_for_anonymous(secret_world):
    client = Client()
    for url in ("/meetings/restricted-ministerial/", "/meetings/confidential-retreat/",
                "/feeds/meetings/restricted-ministerial.ics", "/api/v1/meetings/confidential-retreat/"):  # fmt: skip
        assert client.get(url).status_code == 404, url


def test_visible_levels_by_user_kind():
    assert visible_levels(None) == ["public"]
    assert visible_levels(UserFactory()) == ["public"]
    assert visible_levels(StaffFactory()) == ["public", "restricted", "confidential"]
