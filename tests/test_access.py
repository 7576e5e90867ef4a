"""Access control everywhere: crawl every URL pattern as an anonymous visitor with
restricted and confidential data present; none of it may show up anywhere."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def patterns(resolver=None, prefix=""):
    """Every URL pattern as a route string with <name> placeholders."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def fill(route, values):
    """Concrete paths for a route, one per candidate value of its (first) parameter; [] if it cannot be filled."""
    route = route.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    route = re.sub(r"\(\?:[^)]*\)\??", "", route)
    names = [m.group("name") or m.group("rname") for m in PARAM.finditer(route)]
    if any(name not in values for name in names):
        return []
    paths = [route]
    for name in dict.fromkeys(names):
        paths = [PARAM.sub(lambda m, n=name, v=v: v if (m.group("name") or m.group("rname")) == n else m.group(0), p)
                 for p in paths for v in values[name]]  # fmt: skip
    return ["/" + p.lstrip("/") for p in paths]


SECRETS = [
    "SECRETCLOSED", "SECRETDESC", "SECRETRS", "SECRETCD", "SECRETRM", "SECRETRMID", "SECRETTHEME", "SECRETMP",
    "SECRETDOC1", "SECRETDOCURL1", "SECRETNOTE", "SECRETCR", "SECRETMEETINGDESC", "SECRETLO", "SECRETDOC2",
    "SECRETORG", "JOINSECRET", "PASSSECRET", "restricted-ministerial", "confidential-retreat",
]  # fmt: skip
# Searches use words of the hidden titles, not the markers: a search box echoes its query.
SEARCHES = [
    "/meetings/?q=Ministerial", "/meetings/?q=Restricted", "/documents/?q=Statement", "/api/v1/meetings/?q=Retreat",
    "/api/v1/sessions/?q=Talk", "/changes/?q=Ministerial", "/api/v1/documents/?q=Statement", "/feeds/all.ics?q=Retreat",
    "/feeds/series/summit.ics?q=Ministerial", "/api/v1/sessions/?meeting=restricted-ministerial",
    "/api/v1/meetings/?series=retreats", "/meetings/?series=retreats", "/feeds/all.ics?series=retreats",
    "/api/v1/delegations/?country=MM", "/feeds/all.ics?lang=id", "/feeds/all.ics?per_day=1",
    "/api/v1/meetings/?page_size=200", "/api/v1/sessions/?page_size=200",
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
