"""Calendar feed views (events/feeds.py): scope, content, filters, visibility, HTTP caching and query counts."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.utils.http import parse_http_date

from events import caching
from events import feeds
from events import ical_assembly
from events.models import Access
from events.models import FeedToken
from events.models import Meeting
from events.models import Mode
from events.models import OutcomeDocument
from events.models import Session
from events.models import Status

from .conftest import calendar_of
from .conftest import sessions_in_months
from .conftest import suid
from .conftest import uids
from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import StaffFactory
from .factories import UserFactory
from .factories import VenueFactory
from .factories import timed

pytestmark = pytest.mark.django_db
DAY = dt.date(2030, 3, 1)
DOMAIN = settings.SITE_DOMAIN


def event_by_uid(response, uid):
    return next(event for event in calendar_of(response).events if str(event["UID"]) == uid)


def muid(meeting):
    return f"meeting-{meeting.pk}@{DOMAIN}"


def restricted_viewer():
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_restricted"))
    return user


# --- URLs and the seed -------------------------------------------------------


def test_feed_urls_are_stable():
    assert reverse("events:feed_all") == "/feeds/all.ics"
    assert reverse("events:feed_series", kwargs={"slug": "asean-summit"}) == "/feeds/series/asean-summit.ics"
    assert reverse("events:feed_meeting", kwargs={"slug": "m-1"}) == "/feeds/meetings/m-1.ics"
    assert reverse("events:feed_delegation", kwargs={"country": "ID"}) == "/feeds/delegations/ID.ics"
    assert reverse("events:feed_private", kwargs={"token": "abc"}) == "/feeds/private/abc.ics"
    assert reverse("events:feed_tokens") == "/feeds/tokens/"


def test_seed_all_feed_has_32nd_summit_plenary_all_day_on_27_april_2018(client, seed):
    session = Session.objects.get(meeting__slug="32nd-asean-summit-2018", kind="plenary")
    event = event_by_uid(client.get("/feeds/all.ics"), suid(session))
    assert str(event["SUMMARY"]) == "Plenary Session – 32nd ASEAN Summit"
    assert event.start == dt.date(2018, 4, 27)
    assert event.end == dt.date(2018, 4, 28)
    assert event["DTSTART"].params["VALUE"] == "DATE"


# --- Content -----------------------------------------------------------------


def test_all_feed_lists_sessions_and_sessionless_meetings_once(client):
    session = SessionFactory()
    empty = MeetingFactory(start_date=dt.date(2030, 4, 1), end_date=dt.date(2030, 4, 2))
    response = client.get("/feeds/all.ics")
    assert uids(response) == sorted([suid(session), muid(empty)])
    event = event_by_uid(response, muid(empty))
    assert (event.start, event.end) == (dt.date(2030, 4, 1), dt.date(2030, 4, 3))


def test_timed_session_has_venue_tzid_and_vtimezone(client):
    venue = VenueFactory(city="Jakarta", country="ID", timezone="Asia/Jakarta")
    start, end = timed(DAY, 9, zone="Asia/Jakarta")
    session = SessionFactory(start=start, end=end, venue=venue)
    response = client.get("/feeds/all.ics")
    calendar = calendar_of(response)
    assert [tz.tz_name for tz in calendar.timezones] == ["Asia/Jakarta"]
    assert "DTSTART;TZID=Asia/Jakarta:20300301T090000\r\n" in response.content.decode()
    assert event_by_uid(response, suid(session)).start == dt.datetime(2030, 3, 1, 2, tzinfo=dt.UTC)


def test_event_stamps_come_from_the_rows_so_bytes_repeat(client):
    session = SessionFactory()
    first = client.get("/feeds/all.ics").content
    cache.clear()
    assert client.get("/feeds/all.ics").content == first
    event = event_by_uid(client.get("/feeds/all.ics"), suid(session))
    session.refresh_from_db()
    latest = max(session.updated, session.meeting.updated).replace(microsecond=0)
    assert event["DTSTAMP"].dt == latest
    assert event["LAST-MODIFIED"].dt == latest


def test_cancelled_session_stays_with_higher_sequence(client):
    session = SessionFactory()
    before = event_by_uid(client.get("/feeds/all.ics"), suid(session))
    session.status = Status.CANCELLED
    session.save()
    after = event_by_uid(client.get("/feeds/all.ics"), suid(session))
    assert (str(before["STATUS"]), before["SEQUENCE"]) == ("CONFIRMED", 1)
    assert (str(after["STATUS"]), after["SEQUENCE"]) == ("CANCELLED", 2)


def test_postponed_meeting_without_sessions_is_cancelled_not_removed(client):
    meeting = MeetingFactory(status=Status.POSTPONED)
    assert str(event_by_uid(client.get("/feeds/all.ics"), muid(meeting))["STATUS"]) == "CANCELLED"


def test_event_has_url_location_categories_related_to_and_color(client):
    series = SeriesFactory(name="ASEAN Summit", color="steelblue")
    venue = VenueFactory(name="Shangri-La", city="Singapore")
    session = SessionFactory(meeting=MeetingFactory(series=series, venue=venue), kind="retreat", room="Hall 2")
    event = event_by_uid(client.get("/feeds/all.ics"), suid(session))
    assert str(event["URL"]) == f"http://testserver/meetings/{session.meeting.slug}/#session-{session.pk}"
    assert str(event["LOCATION"]) == "Hall 2, Shangri-La, Singapore"
    assert [str(c) for c in event["CATEGORIES"].cats] == ["ASEAN Summit", "Retreat", "In person"]
    assert str(event["RELATED-TO"]) == muid(session.meeting)
    assert str(event["COLOR"]) == "steelblue"


def test_published_document_is_attached_and_listed(client):
    session = SessionFactory()
    DocumentFactory(
        meeting=session.meeting,
        title="ASCN Framework",
        kind=OutcomeDocument.Kind.FRAMEWORK,
        status=OutcomeDocument.DocumentStatus.PUBLISHED,
        url="https://asean.example/framework.pdf",
    )
    event = event_by_uid(client.get("/feeds/all.ics"), suid(session))
    assert str(event["ATTACH"]) == "https://asean.example/framework.pdf"
    assert "- ASCN Framework (Framework, Published): https://asean.example/framework.pdf" in str(event["DESCRIPTION"])


def test_calendar_properties_are_rfc7986(client):
    SeriesFactory(slug="ascn", name="ASEAN Smart Cities, Network", color="teal")
    text = client.get("/feeds/series/ascn.ics").content.decode()
    properties = ["NAME:ASCN Events: ASEAN Smart Cities\\, Network",
                  "X-WR-CALNAME:ASCN Events: ASEAN Smart Cities\\, Network",
                  "REFRESH-INTERVAL;VALUE=DURATION:PT6H", "X-PUBLISHED-TTL:PT6H", "COLOR:teal"]  # fmt: skip
    assert [line for line in properties if f"{line}\r\n" not in text] == []


def test_per_day_splits_multi_day_meetings(client):
    meeting = MeetingFactory(start_date=dt.date(2030, 5, 1), end_date=dt.date(2030, 5, 2))
    response = client.get("/feeds/all.ics?per_day=1")
    assert uids(response) == [f"meeting-{meeting.pk}-20300501@{DOMAIN}", f"meeting-{meeting.pk}-20300502@{DOMAIN}"]
    assert uids(client.get("/feeds/all.ics?per_day=0")) == [muid(meeting)]


def test_indonesian_feed_uses_indonesian_titles(client):
    session = SessionFactory(title="Plenary", title_id="Sesi Pleno")
    event = event_by_uid(client.get("/feeds/all.ics?lang=id"), suid(session))
    assert str(event["SUMMARY"]) == f"Sesi Pleno – {session.meeting.title_id}"


# --- Visibility ----------------------------------------------------------------


def test_public_feed_hides_restricted_and_confidential_items_and_join_links(client):
    shown = SessionFactory(mode=Mode.HYBRID, join_url="https://meet.example/public", join_passcode="PASSCODE-QX")
    SessionFactory(meeting=shown.meeting, access=Access.RESTRICTED, title="Secret restricted")
    SessionFactory(meeting=shown.meeting, access=Access.CONFIDENTIAL, title="Secret confidential")
    MeetingFactory(access=Access.RESTRICTED, title="Hidden meeting")
    hidden_meeting = MeetingFactory(access=Access.CONFIDENTIAL)
    SessionFactory(meeting=hidden_meeting, title="Session of hidden meeting")
    response = client.get("/feeds/all.ics")
    text = response.content.decode()
    assert uids(response) == [suid(shown)]
    for secret in ("Secret", "Hidden", "hidden meeting", "meet.example", "PASSCODE-QX", "CONFERENCE"):
        assert secret not in text


def test_closed_session_appears_only_as_closed_with_times(client):
    start, end = timed(DAY, 14)
    closed = SessionFactory(
        access=Access.RESTRICTED, show_as_closed=True, title="Bilateral talks", start=start, end=end,
        description="Sensitive agenda", mode=Mode.HYBRID, join_url="https://meet.example/closed",
    )  # fmt: skip
    response = client.get("/feeds/all.ics")
    event = event_by_uid(response, suid(closed))
    assert sorted(event.keys()) == ["DTEND", "DTSTAMP", "DTSTART", "SEQUENCE", "STATUS", "SUMMARY", "UID"]
    assert str(event["SUMMARY"]) == "Closed session"
    assert event.start == start
    for detail in ("Bilateral", "Sensitive", "meet.example", closed.meeting.title):
        assert detail not in response.content.decode()


def test_closed_session_is_not_found_by_searching_its_hidden_title(client):
    SessionFactory(access=Access.RESTRICTED, show_as_closed=True, title="Bilateral talks")
    assert uids(client.get("/feeds/all.ics?q=Bilateral")) == []


def test_private_feed_shows_what_the_owner_may_see_with_join_links(client):
    owner = restricted_viewer()
    _token, secret = FeedToken.issue(user=owner)
    restricted = SessionFactory(
        access=Access.RESTRICTED, show_as_closed=True, title="Bilateral talks", mode=Mode.VIRTUAL,
        join_url="https://meet.example/j/7", join_passcode="5566", venue=None,
    )  # fmt: skip
    confidential = SessionFactory(meeting=restricted.meeting, access=Access.CONFIDENTIAL)
    response = client.get(f"/feeds/private/{secret}.ics")
    assert uids(response) == [suid(restricted)]
    event = event_by_uid(response, suid(restricted))
    assert str(event["SUMMARY"]) == f"Bilateral talks – {restricted.meeting.title}"
    assert str(event["CONFERENCE"]) == "https://meet.example/j/7"
    assert event["CONFERENCE"].params["VALUE"] == "URI"
    assert "Passcode: 5566" in str(event["DESCRIPTION"])
    assert str(event["CLASS"]) == "PRIVATE"
    assert suid(confidential) not in response.content.decode()
    assert response["Cache-Control"] == f"private, max-age={settings.FEED_CACHE_MAX_AGE}"


def test_private_feed_of_plain_user_lists_closed_sessions_as_closed(client):
    _token, secret = FeedToken.issue(user=UserFactory())
    closed = SessionFactory(access=Access.RESTRICTED, show_as_closed=True, title="Bilateral talks")
    event = event_by_uid(client.get(f"/feeds/private/{secret}.ics"), suid(closed))
    assert str(event["SUMMARY"]) == "Closed session"


def test_private_feed_with_unknown_or_revoked_token_is_404(client):
    token, secret = FeedToken.issue(user=UserFactory())
    assert client.get("/feeds/private/not-a-token.ics").status_code == 404
    token.revoke()
    assert client.get(f"/feeds/private/{secret}.ics").status_code == 404


def test_private_feed_records_last_use(client):
    token, secret = FeedToken.issue(user=UserFactory())
    client.get(f"/feeds/private/{secret}.ics")
    token.refresh_from_db()
    assert token.last_used is not None
    assert timezone.now() - token.last_used < dt.timedelta(minutes=1)


# --- Scopes ----------------------------------------------------------------------


def test_series_feed_has_only_that_series(client):
    series = SeriesFactory(slug="ascn")
    mine = SessionFactory(meeting=MeetingFactory(series=series))
    SessionFactory()
    assert uids(client.get("/feeds/series/ascn.ics")) == [suid(mine)]
    assert client.get("/feeds/series/nope.ics").status_code == 404


def test_meeting_feed_has_its_sessions_children_and_their_sessions(client):
    summit = MeetingFactory(slug="summit")
    plenary = SessionFactory(meeting=summit)
    child_with_session = MeetingFactory(parent=summit)
    child_session = SessionFactory(meeting=child_with_session)
    child_without = MeetingFactory(parent=summit)
    SessionFactory()  # another meeting's
    assert uids(client.get("/feeds/meetings/summit.ics")) == sorted(
        [suid(plenary), suid(child_session), muid(child_without)]
    )


def test_meeting_feed_of_restricted_meeting_is_404(client):
    MeetingFactory(slug="secret", access=Access.RESTRICTED)
    assert client.get("/feeds/meetings/secret.ics").status_code == 404


def test_delegation_feed_has_what_the_delegation_attends(client):
    everything = SessionFactory()
    SessionFactory(meeting=everything.meeting)  # also attended: a member with no sessions attends all
    DelegationMemberFactory(delegation=DelegationFactory(meeting=everything.meeting, country="ID"))
    picked_meeting = MeetingFactory()
    picked = SessionFactory(meeting=picked_meeting)
    SessionFactory(meeting=picked_meeting, title="Not attended")
    member = DelegationMemberFactory(delegation=DelegationFactory(meeting=picked_meeting, country="ID"))
    member.sessions.add(picked)
    no_sessions = MeetingFactory()
    DelegationFactory(meeting=no_sessions, country="ID")
    SessionFactory(meeting=MeetingFactory())  # no Indonesian delegation
    expected = sorted([*(suid(s) for s in everything.meeting.sessions.all()), suid(picked), muid(no_sessions)])
    assert uids(client.get("/feeds/delegations/ID.ics")) == expected
    assert uids(client.get("/feeds/delegations/id.ics")) == expected
    assert client.get("/feeds/delegations/XX.ics").status_code == 404


# --- Filters -----------------------------------------------------------------------


def test_filters_select_exactly_the_listed_items(client):
    asean = SeriesFactory(slug="asean")
    jakarta = VenueFactory(city="Jakarta", country="ID", timezone="Asia/Jakarta")
    in_jakarta = SessionFactory(
        meeting=MeetingFactory(series=asean, venue=jakarta, title="Digital ministers"), title="Opening"
    )
    virtual = SessionFactory(
        mode=Mode.VIRTUAL, join_url="https://meet.example/v", venue=None,
        meeting=MeetingFactory(start_date=dt.date(2030, 6, 1), end_date=dt.date(2030, 6, 1)),
    )  # fmt: skip
    cancelled = SessionFactory(status=Status.CANCELLED)
    assert uids(client.get("/feeds/all.ics?series=asean")) == [suid(in_jakarta)]
    assert uids(client.get("/feeds/all.ics?country=id")) == [suid(in_jakarta)]
    assert uids(client.get("/feeds/all.ics?mode=virtual")) == [suid(virtual)]
    assert uids(client.get("/feeds/all.ics?status=cancelled")) == [suid(cancelled)]
    assert uids(client.get("/feeds/all.ics?from=2030-05-01&to=2030-12-31")) == [suid(virtual)]
    assert uids(client.get("/feeds/all.ics?q=digital")) == [suid(in_jakarta)]


def test_filters_apply_to_sessionless_meetings_like_the_planner_list(client):
    MeetingFactory(title="Transport forum", status=Status.TENTATIVE)
    wanted = MeetingFactory(title="Smart cities forum")
    assert uids(client.get("/feeds/all.ics?q=smart")) == [muid(wanted)]
    assert uids(client.get("/feeds/all.ics?status=scheduled")) == [muid(wanted)]


def test_feed_link_of_a_list_filtered_by_year_selects_that_year(client):
    this_year = MeetingFactory(title="Forum 2030", start_date=dt.date(2030, 5, 1), end_date=dt.date(2030, 5, 1))
    start, end = timed(dt.date(2031, 5, 1), 9)
    SessionFactory(
        meeting=MeetingFactory(start_date=dt.date(2031, 5, 1), end_date=dt.date(2031, 5, 1)), start=start, end=end
    )
    page = client.get("/meetings/?year=2030").content.decode()
    assert "/feeds/all.ics?year=2030" in page
    assert uids(client.get("/feeds/all.ics?year=2030")) == [muid(this_year)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "from: Enter a valid date."),
        ("from=2030-05-01&to=2030-01-01", "to: The end of the date range is before its start."),
        ("series=no-such-series", "series: Select a valid choice."),
        ("country=QQ", "country: Select a valid choice."),
        ("mode=telepathy", "mode: Select a valid choice."),
        ("status=maybe", "status: Select a valid choice."),
        ("q=" + "x" * 201, "q: Ensure this value has at most 200 characters"),
        ("per_day=often", "per_day must be 1 or 0."),
        ("lang=fr", "lang must be one of: en, id."),
    ],
)
def test_bad_filter_values_answer_400_with_plain_message(client, query, message):
    response = client.get(f"/feeds/all.ics?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.content.decode()


# --- HTTP -----------------------------------------------------------------------------


def test_feed_headers(client):
    session = SessionFactory()
    response = client.get("/feeds/all.ics")
    session.refresh_from_db()
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["ETag"].startswith('"')  # strong: no W/ prefix
    assert response["Last-Modified"] == http_date(max(session.updated, session.meeting.updated).timestamp())
    assert response["Cache-Control"] == f"public, max-age={settings.FEED_CACHE_MAX_AGE}"


def test_conditional_requests_answer_304_without_rendering(client, monkeypatch):
    SessionFactory()
    response = client.get("/feeds/all.ics")
    monkeypatch.setattr(ical_assembly, "render_feed", lambda **kwargs: pytest.fail("rendered for a 304"))
    not_modified = client.get("/feeds/all.ics", headers={"If-None-Match": response["ETag"]})
    assert (not_modified.status_code, not_modified["ETag"]) == (304, response["ETag"])
    since = client.get("/feeds/all.ics", headers={"If-Modified-Since": response["Last-Modified"]})
    assert since.status_code == 304


def test_etag_changes_with_content_filters_and_language(client):
    session = SessionFactory()
    etag = client.get("/feeds/all.ics")["ETag"]
    assert client.get("/feeds/all.ics")["ETag"] == etag
    assert client.get("/feeds/all.ics?lang=id")["ETag"] != etag
    assert client.get("/feeds/all.ics?status=scheduled")["ETag"] != etag
    session.title = "Renamed"
    session.save()
    changed = client.get("/feeds/all.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Renamed" in changed.content.decode()


def test_etag_changes_when_a_venue_edit_raises_revisions(client):
    session = SessionFactory()
    etag = client.get("/feeds/all.ics")["ETag"]
    session.venue.name = "New Hall"
    session.venue.save()
    response = client.get("/feeds/all.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "New Hall" in str(event_by_uid(response, suid(session))["LOCATION"])


def _validator_world():
    series = SeriesFactory(slug="s")
    meeting = MeetingFactory(series=series, slug="m")
    session = SessionFactory(meeting=meeting, venue=meeting.venue)
    SessionFactory(meeting=meeting, access=Access.RESTRICTED, show_as_closed=True)
    document = DocumentFactory(meeting=meeting, status="published", url="https://d.example/a.pdf")
    sessionless = MeetingFactory(series=series)
    member = DelegationMemberFactory(delegation=DelegationFactory(meeting=meeting, country="ID"))
    return {"series": series, "meeting": meeting, "session": session, "document": document,
            "sessionless": sessionless, "member": member}  # fmt: skip


def _not_modified(client, url):
    etag = client.get(url)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers={"If-None-Match": etag})
    assert (response.status_code, response["ETag"]) == (304, etag)
    return [query["sql"] for query in queries]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/feeds/all.ics", 1),
        ("/feeds/all.ics?country=ID&status=scheduled&mode=hybrid&from=2030-01-01&q=summit&lang=id&per_day=1", 1),
        ("/feeds/all.ics?series=s", 2),  # the series slug is looked up to validate it
        ("/feeds/series/s.ics", 1),
        ("/feeds/meetings/m.ics", 1),
        ("/feeds/delegations/ID.ics", 1),
    ],
)
def test_not_modified_answer_takes_one_validator_query(client, url, expected):
    _validator_world()
    queries = _not_modified(client, url)
    # Anonymous: no session or user lookups by middleware, and no FilterSet or feed rows read.
    assert len(queries) == expected, queries
    # The change stamp row (plus a slug lookup for a series or meeting feed), never a scan of the sessions.
    assert "events_changestamp" in queries[-1]
    assert "events_session" not in queries[-1]


def test_private_feed_not_modified_answer_needs_the_token_and_the_validator(client):
    _validator_world()
    owner = StaffFactory(role="Editor")
    _token, secret = FeedToken.issue(user=owner)
    # The token with its owner, the owner's permissions (own and through the role), the stamp.
    assert len(_not_modified(client, f"/feeds/private/{secret}.ics")) == 4


def _delete_session(world):
    world["session"].delete()


def _insert_document(world):
    DocumentFactory(meeting=world["meeting"], title="New outcome")


def _edit(key, **values):
    def change(world):
        obj = world[key]
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()

    return change


DATA_CHANGES = {
    "session inserted": lambda world: SessionFactory(meeting=world["meeting"]),
    "session edited": _edit("session", title="Renamed session"),
    "session deleted": _delete_session,
    "meeting inserted": lambda world: MeetingFactory(series=world["series"]),
    "meeting edited": _edit("meeting", title="Renamed meeting"),
    "sessionless meeting deleted": lambda world: world["sessionless"].delete(),
    "document inserted": _insert_document,
    "document edited": _edit("document", title="Renamed document"),
    "document deleted": lambda world: world["document"].delete(),
    "venue renamed": lambda world: (setattr(world["meeting"].venue, "name", "New hall"), world["meeting"].venue.save()),
    "series renamed": _edit("series", name="Renamed series"),
}


@pytest.mark.parametrize("change", DATA_CHANGES)
@pytest.mark.parametrize("url", ["/feeds/all.ics", "/feeds/series/s.ics", "/feeds/meetings/m.ics"])
def test_any_data_change_changes_the_etag(client, change, url):
    world = _validator_world()
    first = client.get(url)
    _stamp, last_change, _extra = caching.site_stamp()
    DATA_CHANGES[change](world)
    response = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    # Last-Modified moves too, deletes included (the change stamp moves on every write).
    assert caching.site_stamp()[1] > last_change


@pytest.mark.parametrize(
    "change",
    [
        lambda member, session: member.sessions.add(session),
        lambda member, session: DelegationMemberFactory(delegation=member.delegation),
        lambda member, session: member.delete(),
        lambda member, session: DelegationFactory(meeting=MeetingFactory(), country="ID"),
        lambda member, session: (setattr(member, "is_head", True), member.save()),
    ],
    ids=["session chosen", "member added", "member removed", "delegation added", "member edited"],
)
def test_delegation_changes_change_the_delegation_feed_etag(client, change):
    world = _validator_world()
    etag = client.get("/feeds/delegations/ID.ics")["ETag"]
    change(world["member"], world["session"])
    response = client.get("/feeds/delegations/ID.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_feed_of_unknown_series_or_meeting_is_404_without_rendering(client, monkeypatch):
    _validator_world()
    monkeypatch.setattr(ical_assembly, "render_feed", lambda **kwargs: pytest.fail("rendered a missing feed"))
    assert client.get("/feeds/series/nope.ics").status_code == 404
    assert client.get("/feeds/meetings/nope.ics").status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        lambda s: Session.objects.filter(pk=s.pk).delete(),
        lambda s: (
            Meeting.objects.filter(pk=s.meeting_id).update(start_date=dt.date(2030, 1, 11)),
            Session.objects.filter(pk=s.pk).update(starts_on=dt.date(2030, 1, 11), updated=timezone.now()),
        ),
        lambda s: Session.objects.filter(pk=s.pk).update(access=Access.RESTRICTED, show_as_closed=True),
        lambda s: SessionFactory(meeting=s.meeting, starts_on=s.starts_on, title="Added"),
    ],
    ids=["deleted", "moved to another month", "closed", "inserted beside"],
)
def test_month_digest_follows_deletes_moves_and_access(client, change):
    sessions = sessions_in_months([1, 3])
    client.get("/feeds/all.ics")
    change(sessions[1])
    cached = client.get("/feeds/all.ics").content.decode()
    cache.clear()
    assert cached == client.get("/feeds/all.ics").content.decode()


def _feed_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("max_in_list", [500, 3])  # full rows by id, and all rows once
@pytest.mark.parametrize("scope", ["all", "series", "meeting", "delegation", "private"])
def test_feed_query_count_is_constant_at_1_and_50_events(client, scope, max_in_list, monkeypatch):
    monkeypatch.setattr(feeds, "MAX_IN_LIST", max_in_list)
    owner = restricted_viewer()
    token, secret = FeedToken.issue(user=owner)
    FeedToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
    series = SeriesFactory(slug="s")
    meeting = MeetingFactory(series=series, slug="m")
    DelegationFactory(meeting=meeting, country="ID")
    url = {
        "all": "/feeds/all.ics?series=s",
        "series": "/feeds/series/s.ics",
        "meeting": "/feeds/meetings/m.ics",
        "delegation": "/feeds/delegations/ID.ics",
        "private": f"/feeds/private/{secret}.ics",
    }[scope]

    def add_sessions(n):
        for _ in range(n):
            session = SessionFactory(meeting=meeting, mode=Mode.HYBRID, join_url="https://meet.example/x")
            DocumentFactory(meeting=meeting, session=session, status="published", url="https://d.example/x.pdf")
        SessionFactory(meeting=meeting, access=Access.RESTRICTED, show_as_closed=True)
        MeetingFactory(series=series, parent=meeting)  # a sessionless child meeting

    add_sessions(1)
    cache.clear()
    cold_one, warm_one = _feed_queries(client, url), _feed_queries(client, url)
    add_sessions(49)
    cache.clear()
    cold_fifty, warm_fifty = _feed_queries(client, url), _feed_queries(client, url)
    # 50 sessions, 2 closed ones and 2 child meetings without sessions (not attended by the delegation)
    assert len(calendar_of(client.get(url)).events) == (52 if scope == "delegation" else 54)
    assert (cold_fifty, warm_fifty) == (cold_one, warm_one)


def test_documents_for_many_meetings_are_loaded_in_one_query(client, monkeypatch):
    monkeypatch.setattr(feeds, "MAX_IN_LIST", 2)
    meetings = MeetingFactory.create_batch(4)
    for meeting in meetings:
        DocumentFactory(meeting=meeting, title=f"Doc of {meeting.slug}", status="published", url="https://d.example/a")
    text = client.get("/feeds/all.ics").content.decode()
    assert all(f"Doc of {meeting.slug}" in text for meeting in meetings)


def test_meeting_queryset_helpers_unchanged_by_feeds():
    # The feed's visibility goes through the model querysets; a restricted meeting stays out of public().
    meeting = MeetingFactory(access=Access.RESTRICTED)
    assert list(Meeting.objects.public()) == []
    assert list(Meeting.objects.visible_to(restricted_viewer())) == [meeting]


def test_unchanged_feed_is_served_again_without_rendering(client, monkeypatch):
    SessionFactory()
    first = client.get("/feeds/all.ics")
    monkeypatch.setattr(ical_assembly, "render_feed", lambda **kwargs: pytest.fail("rendered an unchanged feed"))
    again = client.get("/feeds/all.ics")
    assert (again.status_code, again.content, again["ETag"]) == (200, first.content, first["ETag"])


def test_subscribe_snippet_offers_webcal_and_download_links(rf):
    from django.template.loader import render_to_string

    html = render_to_string(
        "events/feeds/subscribe.html", {"feed_url": "/feeds/series/ascn.ics"}, request=rf.get("/series/ascn/")
    )
    assert 'href="webcal://testserver/feeds/series/ascn.ics"' in html
    assert 'href="/feeds/series/ascn.ics"' in html


def test_if_modified_since_sees_changes_that_move_only_the_etag(client, monkeypatch):
    # Who attends what, and what a token's owner may see, have no change time of their own:
    # a client that sends only If-Modified-Since must still get the new feed.
    world = _validator_world()
    first = client.get("/feeds/delegations/ID.ics")
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + dt.timedelta(seconds=2))  # HTTP dates count seconds
    world["member"].sessions.add(world["session"])
    world["member"].delete()
    response = client.get("/feeds/delegations/ID.ics", headers={"If-Modified-Since": first["Last-Modified"]})
    assert response.status_code == 200
    assert parse_http_date(response["Last-Modified"]) > parse_http_date(first["Last-Modified"])
    again = client.get("/feeds/delegations/ID.ics", headers={"If-Modified-Since": response["Last-Modified"]})
    assert again.status_code == 304

    owner = UserFactory()
    _token, secret = FeedToken.issue(user=owner)
    url = f"/feeds/private/{secret}.ics"
    before = client.get(url)
    assert "Closed session" in before.content.decode()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + dt.timedelta(seconds=4))
    owner.user_permissions.add(Permission.objects.get(codename="view_restricted"))
    response = client.get(url, headers={"If-Modified-Since": before["Last-Modified"]})
    assert response.status_code == 200
    assert "Closed session" not in response.content.decode()
