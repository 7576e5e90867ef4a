"""Access control everywhere: crawl every URL pattern as an anonymous visitor with
restricted and confidential data present; none of it may show up anywhere."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from events.models import Access, Mode, OutcomeDocument

from .factories import (
    DelegationFactory,
    DelegationMemberFactory,
    DocumentFactory,
    MeetingFactory,
    SeriesFactory,
    SessionFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db

SINGAPORE = zoneinfo.ZoneInfo("Asia/Singapore")


def at(day, hour):
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=SINGAPORE)
    return {"start": start, "end": start + dt.timedelta(hours=1)}


@pytest.fixture
def secret_world():
    """Public meetings beside restricted and confidential ones; returns (secrets, public markers, values)."""
    series = SeriesFactory(slug="summit", name="ASEAN Summit")
    venue = VenueFactory(name="Suntec", city="Singapore")
    day = dt.date(2030, 3, 1)
    public = MeetingFactory(series=series, venue=venue, title="Open Summit PUBLICMARK", slug="open-summit", ordinal=1)
    SessionFactory(meeting=public, title="Open Plenary PUBLICMARK", **at(day, 9))
    SessionFactory(
        meeting=public, title="Online Briefing", mode=Mode.VIRTUAL, venue=None,
        join_url="https://join.example.org/JOINSECRET-public", join_passcode="PASSSECRET1", **at(day, 11),
    )  # fmt: skip
    SessionFactory(
        meeting=public, title="Closed Retreat SECRETCLOSED", description="SECRETDESC of the retreat",
        access=Access.RESTRICTED, show_as_closed=True, mode=Mode.HYBRID,
        join_url="https://join.example.org/JOINSECRET-closed", join_passcode="PASSSECRET2", **at(day, 14),
    )  # fmt: skip
    SessionFactory(meeting=public, title="Restricted Side Talk SECRETRS", access=Access.RESTRICTED, **at(day, 15))
    SessionFactory(meeting=public, title="Confidential Dinner SECRETCD", access=Access.CONFIDENTIAL, **at(day, 19))
    DocumentFactory(meeting=public, title="Public Declaration PUBLICMARK")

    restricted = MeetingFactory(
        series=series, venue=venue, title="Restricted Ministerial SECRETRM", title_id="Menteri SECRETRMID",
        slug="restricted-ministerial", ordinal=2, access=Access.RESTRICTED, parent=public,
        theme="SECRETTHEME", start_date=day, end_date=day,
    )  # fmt: skip
    SessionFactory(meeting=restricted, title="Ministerial Plenary SECRETMP", **at(day, 10))
    DocumentFactory(
        meeting=restricted, title="Restricted Statement SECRETDOC1",
        status=OutcomeDocument.DocumentStatus.PUBLISHED, url="https://docs.example.org/SECRETDOCURL1.pdf",
    )  # fmt: skip
    DelegationMemberFactory(delegation=DelegationFactory(meeting=restricted, country="MM", note="SECRETNOTE"))

    other_series = SeriesFactory(slug="retreats", name="Leaders' Retreats")
    confidential = MeetingFactory(
        series=other_series, venue=venue, title="Confidential Retreat SECRETCR", slug="confidential-retreat",
        access=Access.CONFIDENTIAL, description="SECRETMEETINGDESC",
    )  # fmt: skip
    SessionFactory(meeting=confidential, title="Leaders Only SECRETLO", **at(day, 16))
    DocumentFactory(meeting=confidential, title="Confidential Minutes SECRETDOC2")
    DelegationFactory(meeting=confidential, country="TH", organisation="SECRETORG")
    DelegationFactory(meeting=public, country="ID")

    values = {
        "slug": ["open-summit", "restricted-ministerial", "confidential-retreat", "summit", "retreats"],
        "country": ["ID", "MM", "TH", "id"],
        "year": ["2030"],
        "month": ["3"],
        "token": ["not-a-real-token"],
        "format": ["json", "ics"],
        "pk": [str(m.pk) for m in (public, restricted, confidential)],
    }
    values["object_id"] = values["pk"]
    values["id"] = values["pk"]
    return values


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
