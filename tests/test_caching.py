"""The change stamp, compressed feeds, and the shared cache of anonymous pages and API lists (events.caching)."""

import gzip

import brotli
import pytest
from django.db import connection
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from events import caching
from events.models import Access
from events.models import Meeting
from events.models import Session
from events.triggers import change_stamp

from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import PersonFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import StaffFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def summit_and_retreat(db):
    """A series with a public summit (a session, a delegation member) and a restricted retreat."""
    series = SeriesFactory(slug="s")
    meeting = MeetingFactory(series=series, slug="m", title="Public summit")
    session = SessionFactory(meeting=meeting, venue=meeting.venue, title="Open plenary")
    secret = MeetingFactory(series=series, slug="secret", title="Restricted retreat", access=Access.RESTRICTED)
    member = DelegationMemberFactory(delegation=DelegationFactory(meeting=meeting, country="ID"))
    return {"series": series, "meeting": meeting, "session": session, "secret": secret, "member": member}


WRITES = {
    "session inserted": lambda w: SessionFactory(meeting=w["meeting"], venue=w["meeting"].venue),
    "session edited": lambda w: Session.objects.filter(pk=w["session"].pk).update(title="Edited"),
    "session deleted": lambda w: Session.objects.filter(pk=w["session"].pk).delete(),
    "meeting access changed": lambda w: Meeting.objects.filter(pk=w["secret"].pk).update(access=Access.PUBLIC),
    "document inserted": lambda w: DocumentFactory(meeting=w["meeting"]),
    "venue inserted": lambda w: VenueFactory(),
    "person inserted": lambda w: PersonFactory(),
    "attendance chosen": lambda w: w["member"].sessions.add(w["session"]),
    "delegation deleted": lambda w: w["member"].delegation.delete(),
}


@pytest.mark.parametrize("write", WRITES)
def test_change_stamp_moves_with_every_write_in_the_writers_transaction(summit_and_retreat, write):
    before = change_stamp(connection)
    with transaction.atomic():
        WRITES[write](summit_and_retreat)
        inside = change_stamp(connection)
    assert inside[:2] != before[:2]
    assert change_stamp(connection) == inside


def test_change_stamp_moves_back_when_the_write_rolls_back(summit_and_retreat):
    before = change_stamp(connection)

    def write_then_fail():
        with transaction.atomic():
            Session.objects.filter(pk=summit_and_retreat["session"].pk).update(title="Never committed")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert change_stamp(connection) == before


def test_validator_is_one_query_of_the_stamp_row(summit_and_retreat):
    with CaptureQueriesContext(connection) as queries:
        stamp, changed, extra = caching.site_stamp()
    assert [query["sql"] for query in queries] == ["SELECT counter, salt, changed FROM events_changestamp WHERE id = 1"]
    assert (stamp, changed is not None, extra) == (change_stamp(connection)[:2], True, [])


# --- Compressed feeds ----------------------------------------------------------------


@pytest.mark.parametrize(("coding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_feed_is_sent_compressed_under_the_same_etag(client, summit_and_retreat, coding, decompress):
    raw = client.get("/feeds/all.ics")
    packed = client.get("/feeds/all.ics", headers={"Accept-Encoding": f"{coding}, identity;q=0.5"})
    assert packed["Content-Encoding"] == coding
    assert decompress(packed.content) == raw.content
    assert packed["ETag"] == raw["ETag"]
    assert packed["Vary"] == raw["Vary"]
    assert "Accept-Encoding" in raw["Vary"]
    assert int(packed["Content-Length"]) == len(packed.content) < len(raw.content)
    assert "Content-Encoding" not in raw


def test_brotli_is_preferred_and_q_zero_refuses_a_coding(client, summit_and_retreat):
    both = client.get("/feeds/all.ics", headers={"Accept-Encoding": "gzip, deflate, br"})
    no_br = client.get("/feeds/all.ics", headers={"Accept-Encoding": "br;q=0, gzip"})
    neither = client.get("/feeds/all.ics", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    codings = (both["Content-Encoding"], no_br["Content-Encoding"], neither.get("Content-Encoding"))
    assert codings == ("br", "gzip", None)


def test_feed_is_compressed_once_per_state_and_never_for_a_304(client, summit_and_retreat, monkeypatch):
    calls = []
    real = caching.compress
    monkeypatch.setattr(caching, "compress", lambda raw, coding: calls.append(coding) or real(raw, coding))
    headers = {"Accept-Encoding": "gzip"}
    first = client.get("/feeds/all.ics", headers=headers)
    second = client.get("/feeds/all.ics", headers=headers)
    not_modified = client.get("/feeds/all.ics", headers={**headers, "If-None-Match": first["ETag"]})
    assert (calls, second.content) == (["gzip"], first.content)
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert "Accept-Encoding" in not_modified["Vary"]
    Session.objects.filter(pk=summit_and_retreat["session"].pk).update(title="Edited")
    client.get("/feeds/all.ics", headers=headers)
    assert calls == ["gzip", "gzip"]


def test_feed_etag_is_byte_stable(client, summit_and_retreat):
    first, second = client.get("/feeds/all.ics"), client.get("/feeds/all.ics")
    assert (first["ETag"], first.content) == (second["ETag"], second.content)


# --- Anonymous pages and API lists -------------------------------------------------

CACHED_URLS = ["/", "/meetings/", "/meetings/m/", "/series/", "/series/s/", "/calendar/2030/3/", "/api/v1/meetings/"]


@pytest.mark.parametrize("url", CACHED_URLS)
def test_anonymous_page_is_served_from_the_cache_with_one_query(client, summit_and_retreat, url):
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)
    assert (first.status_code, second.content, second["ETag"]) == (200, first.content, first["ETag"])
    assert [query["sql"] for query in queries] == ["SELECT counter, salt, changed FROM events_changestamp WHERE id = 1"]
    assert second["Cache-Control"] == "public, max-age=60"


@pytest.mark.parametrize("url", CACHED_URLS)
def test_anonymous_page_answers_304_to_its_etag_and_200_after_a_change(client, summit_and_retreat, url):
    etag = client.get(url)["ETag"]
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert (not_modified.status_code, not_modified["ETag"], not_modified.content) == (304, etag, b"")
    Meeting.objects.filter(pk=summit_and_retreat["meeting"].pk).update(title="Renamed summit")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    if url in ("/meetings/", "/meetings/m/", "/api/v1/meetings/"):
        assert b"Renamed summit" in changed.content


def test_cached_page_is_compressed_once(client, summit_and_retreat):
    raw = client.get("/meetings/")
    packed = client.get("/meetings/", headers={"Accept-Encoding": "gzip"})
    assert (packed["Content-Encoding"], gzip.decompress(packed.content)) == ("gzip", raw.content)
    assert "Accept-Encoding" in packed["Vary"]


def test_staff_never_gets_the_anonymous_copy_and_anonymous_never_gets_the_staff_copy(client, summit_and_retreat):
    anonymous = client.get("/meetings/")
    assert b"Restricted retreat" not in anonymous.content
    client.force_login(StaffFactory(role="Viewer"))
    staff = client.get("/meetings/", headers={"If-None-Match": anonymous["ETag"]})
    assert (staff.status_code, "ETag" in staff, staff["Cache-Control"]) == (200, False, "private")
    assert b"Restricted retreat" in staff.content
    client.logout()
    again = client.get("/meetings/")
    assert (again.content, again["ETag"]) == (anonymous.content, anonymous["ETag"])
    assert b"Restricted retreat" not in again.content


def test_staff_first_does_not_fill_the_anonymous_cache(client, summit_and_retreat):
    client.force_login(StaffFactory(role="Viewer"))
    assert b"Restricted retreat" in client.get("/meetings/").content
    client.logout()
    assert b"Restricted retreat" not in client.get("/meetings/").content


def test_api_token_requests_bypass_the_shared_cache(client, summit_and_retreat):
    anonymous = client.get("/api/v1/meetings/")
    token_request = client.get("/api/v1/meetings/", headers={"Authorization": "Token nonsense"})
    assert anonymous.status_code == 200
    assert (token_request.status_code, "ETag" in token_request) == (401, False)


def test_pages_in_each_language_and_time_zone_are_kept_apart(client, summit_and_retreat):
    english = client.get("/meetings/m/")
    indonesian = client.get("/meetings/m/", headers={"Accept-Language": "id"})
    jakarta = client.get("/meetings/m/?tz=Asia/Jakarta")
    assert len({english["ETag"], indonesian["ETag"], jakarta["ETag"]}) == 3
    assert english["Content-Language"] == "en"
    assert indonesian["Content-Language"] == "id"


def test_bad_filter_answers_are_not_cached(client, summit_and_retreat):
    first = client.get("/meetings/?from=2031-01-01&to=2030-01-01")
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/meetings/?from=2031-01-01&to=2030-01-01")
    assert (first.status_code, second.status_code) == (400, 400)
    assert len(queries) > 1
    assert "ETag" not in second


@pytest.mark.parametrize("url", ["/meetings/", "/api/v1/sessions/", "/series/s/"])
def test_cached_list_queries_are_flat_from_1_to_20_meetings(client, summit_and_retreat, url):
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _n in range(19):
        meeting = MeetingFactory(series=summit_and_retreat["series"])
        SessionFactory(meeting=meeting, venue=meeting.venue)
    client.get(url)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(url)
    assert response.status_code == 200
    assert len(one) == len(twenty) == 1


def test_language_switch_needs_no_csrf_token_so_pages_can_be_shared(client, summit_and_retreat):
    page = client.get("/meetings/")
    assert b"csrfmiddlewaretoken" not in page.content
    csrf_client = type(client)(enforce_csrf_checks=True)
    response = csrf_client.post("/i18n/setlang/", {"language": "id", "next": "/meetings/"})
    assert (response.status_code, response["Location"]) == (302, "/meetings/")


def test_stamp_is_read_on_every_request_by_default(client, summit_and_retreat):
    etag = client.get("/feeds/all.ics")["ETag"]
    with CaptureQueriesContext(connection) as queries:
        client.get("/feeds/all.ics", headers={"If-None-Match": etag})
    assert len(queries) == 1


def test_production_reuses_a_stamp_read_for_its_max_age(client, summit_and_retreat, settings, monkeypatch):
    settings.CHANGE_STAMP_MAX_AGE = 0.25
    now = [1000.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: now[0])
    etag = client.get("/feeds/series/s.ics")["ETag"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/feeds/series/s.ics", headers={"If-None-Match": etag})
    assert (again.status_code, len(queries)) == (304, 0)
    summit_and_retreat["session"].title = "Edited"
    summit_and_retreat["session"].save()
    now[0] += 0.3
    changed = client.get("/feeds/series/s.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert b"Edited" in changed.content
    # Within the max-age a slug not seen before is looked up alone; an unknown one is still a 404.
    with CaptureQueriesContext(connection) as queries:
        missing = client.get("/feeds/series/nope.ics")
    assert (missing.status_code, len(queries)) == (404, 1)
    assert "events_changestamp" not in queries[0]["sql"]
