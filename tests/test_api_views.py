"""Views and routes of the JSON API (events/api_views.py).

What each reader sees, filters and ordering, writes and optimistic locking (ETag, If-Match, 412/428),
query counts, the schema and its docs.
"""

import datetime as dt
import re

import pytest

from events.models import Access
from events.models import Meeting
from events.models import Mode
from events.models import Session
from events.models import Status

from .conftest import count_queries
from .conftest import meeting_payload
from .conftest import virtual_session
from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db


def titles_in_response(response):
    return [item["title"] for item in response.json()["results"]]


# --- Visibility -----------------------------------------------------------------------------------


def test_meeting_list_anonymous_sees_public_only(anon):
    MeetingFactory(title="Open", access=Access.PUBLIC)
    MeetingFactory(title="Members", access=Access.RESTRICTED)
    MeetingFactory(title="Secret", access=Access.CONFIDENTIAL)

    response = anon.get("/api/v1/meetings/")

    assert titles_in_response(response) == ["Open"]
    assert response.json()["count"] == 1


def test_meeting_list_staff_sees_all_levels(staff_api):
    MeetingFactory(title="Open", access=Access.PUBLIC)
    MeetingFactory(title="Members", access=Access.RESTRICTED)
    MeetingFactory(title="Secret", access=Access.CONFIDENTIAL)

    assert sorted(titles_in_response(staff_api.get("/api/v1/meetings/"))) == ["Members", "Open", "Secret"]


def test_meeting_detail_restricted_is_404_for_anonymous(anon):
    meeting = MeetingFactory(access=Access.RESTRICTED)

    response = anon.get(f"/api/v1/meetings/{meeting.slug}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Meeting matches the given query."}


def test_meeting_detail_nests_visible_sessions_and_documents(anon, staff_api):
    meeting = MeetingFactory()
    SessionFactory(meeting=meeting, title="Plenary")
    SessionFactory(meeting=meeting, title="Retreat", access=Access.RESTRICTED)
    DocumentFactory(meeting=meeting, title="Declaration")

    public = anon.get(f"/api/v1/meetings/{meeting.slug}/").json()
    full = staff_api.get(f"/api/v1/meetings/{meeting.slug}/").json()

    assert [s["title"] for s in public["sessions"]] == ["Plenary"]
    assert [d["title"] for d in public["documents"]] == ["Declaration"]
    assert [s["title"] for s in full["sessions"]] == ["Plenary", "Retreat"]


def test_session_list_hides_sessions_of_restricted_meetings(anon):
    SessionFactory(title="Visible")
    SessionFactory(title="Inside closed meeting", meeting=MeetingFactory(access=Access.RESTRICTED))

    assert titles_in_response(anon.get("/api/v1/sessions/")) == ["Visible"]


def test_documents_and_delegations_of_hidden_meetings_are_hidden(anon):
    hidden = MeetingFactory(access=Access.CONFIDENTIAL)
    DocumentFactory(meeting=hidden, title="Secret memo")
    DocumentFactory(title="Public declaration")
    DelegationFactory(meeting=hidden, country="SG")
    DelegationFactory(country="ID")

    assert titles_in_response(anon.get("/api/v1/documents/")) == ["Public declaration"]
    assert [d["country"] for d in anon.get("/api/v1/delegations/").json()["results"]] == ["ID"]


def test_documents_of_a_hidden_session_are_hidden_in_list_and_detail(anon, staff_api):
    meeting = MeetingFactory(slug="open-meeting")
    retreat = SessionFactory(meeting=meeting, title="Retreat", access=Access.RESTRICTED)
    DocumentFactory(meeting=meeting, session=retreat, title="Retreat minutes")
    DocumentFactory(meeting=meeting, title="Declaration")

    listing = anon.get("/api/v1/documents/")
    detail = anon.get("/api/v1/meetings/open-meeting/").json()
    staff_detail = staff_api.get("/api/v1/meetings/open-meeting/").json()

    assert titles_in_response(listing) == ["Declaration"]
    assert [d["title"] for d in detail["documents"]] == ["Declaration"]
    assert sorted(d["title"] for d in staff_detail["documents"]) == ["Declaration", "Retreat minutes"]


# --- Filters and ordering -------------------------------------------------------------------------


def test_meeting_filters_match_the_html_filterset(anon):
    summit = SeriesFactory(slug="summit")
    MeetingFactory(title="Summit online", series=summit, mode=Mode.VIRTUAL)
    MeetingFactory(title="Summit on site", series=summit, mode=Mode.IN_PERSON)
    MeetingFactory(
        title="Other online", mode=Mode.VIRTUAL, start_date=dt.date(2031, 1, 1), end_date=dt.date(2031, 1, 2)
    )

    assert titles_in_response(anon.get("/api/v1/meetings/?series=summit&mode=virtual")) == ["Summit online"]
    assert titles_in_response(anon.get("/api/v1/meetings/?from=2030-12-31")) == ["Other online"]
    assert titles_in_response(anon.get("/api/v1/meetings/?q=site")) == ["Summit on site"]


def test_format_query_parameter_still_chooses_the_renderer(anon):
    MeetingFactory(title="Only", mode=Mode.VIRTUAL)

    response = anon.get("/api/v1/meetings/?format=json&mode=virtual")

    assert response["Content-Type"] == "application/json"
    assert titles_in_response(response) == ["Only"]


def test_filter_with_bad_dates_is_400_with_message(anon):
    response = anon.get("/api/v1/meetings/?from=2030-05-01&to=2030-01-01")

    assert response.status_code == 400
    assert response.json() == {"to": ["The end of the date range is before its start."]}


def test_session_filter_by_status_and_meeting(anon):
    meeting = MeetingFactory(slug="the-summit")
    SessionFactory(meeting=meeting, title="Off", status=Status.CANCELLED)
    SessionFactory(meeting=meeting, title="On")
    SessionFactory(title="Elsewhere", status=Status.CANCELLED)

    assert titles_in_response(anon.get("/api/v1/sessions/?meeting=the-summit&status=cancelled")) == ["Off"]


def test_ordering_ties_are_broken_by_pk(anon):
    first = MeetingFactory(title="Same")
    second = MeetingFactory(title="Same")
    third = MeetingFactory(title="Same")

    ids = [m["id"] for m in anon.get("/api/v1/meetings/?ordering=-start_date&page_size=2").json()["results"]]
    rest = [m["id"] for m in anon.get("/api/v1/meetings/?ordering=-start_date&page_size=2&page=2").json()["results"]]

    assert ids + rest == [first.pk, second.pk, third.pk]


def test_ordering_by_title_descending(anon):
    MeetingFactory(title="Alpha")
    MeetingFactory(title="Beta")

    assert titles_in_response(anon.get("/api/v1/meetings/?ordering=-title")) == ["Beta", "Alpha"]


# --- Writes ---------------------------------------------------------------------------------------


def test_write_refused_for_anonymous_and_non_staff(anon, planner_api):
    series, venue = SeriesFactory(), VenueFactory()

    for client in (anon, planner_api):
        response = client.post("/api/v1/meetings/", meeting_payload(series, venue), format="json")
        assert response.status_code in {401, 403}
        assert "detail" in response.json()
    assert Meeting.objects.count() == 0


def test_database_refusal_becomes_400_not_500(staff_api, monkeypatch):
    # Simulate a rule only the database knows (a race, or a trigger) by skipping the model's validation.
    monkeypatch.setattr(Meeting, "full_clean", lambda self, *args, **kwargs: None)

    response = staff_api.post(
        "/api/v1/meetings/",
        meeting_payload(SeriesFactory(), VenueFactory(), end_date="2030-11-01"),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["non_field_errors"][0].startswith("The database refused the change:")
    assert Meeting.objects.count() == 0


def test_delete_of_protected_meeting_is_409(staff_api):
    parent = MeetingFactory(slug="parent")
    MeetingFactory(parent=parent, title="Child")

    response = staff_api.delete("/api/v1/meetings/parent/")

    assert response.status_code == 409
    assert "still referenced by Child" in response.json()["detail"]
    assert Meeting.objects.filter(slug="parent").exists()


def test_staff_deletes_session(staff_api):
    session = SessionFactory()

    response = staff_api.delete(f"/api/v1/sessions/{session.pk}/")

    assert response.status_code == 204
    assert not Session.objects.filter(pk=session.pk).exists()


# --- Optimistic locking ---------------------------------------------------------------------------


def test_detail_carries_revision_as_etag(anon):
    meeting = MeetingFactory()
    Meeting.objects.filter(pk=meeting.pk).update(revision=7)

    response = anon.get(f"/api/v1/meetings/{meeting.slug}/")

    assert response["ETag"] == '"7"'
    assert response.json()["revision"] == 7


def test_patch_with_matching_if_match_updates_and_returns_new_etag(staff_api):
    meeting = MeetingFactory(title="Old")

    response = staff_api.patch(
        f"/api/v1/meetings/{meeting.slug}/", {"title": "New"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    meeting.refresh_from_db()
    assert (meeting.title, meeting.revision) == ("New", 2)


def test_patch_with_stale_if_match_is_412_and_changes_nothing(staff_api):
    meeting = MeetingFactory(title="Old")
    meeting.title = "Changed by a colleague"
    meeting.save()

    response = staff_api.patch(
        f"/api/v1/meetings/{meeting.slug}/", {"title": "Mine"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 412
    assert response.json()["detail"] == 'If-Match "1" does not match the current revision "2"; reload and try again.'
    meeting.refresh_from_db()
    assert meeting.title == "Changed by a colleague"


def test_if_match_star_and_weak_tags_are_accepted(staff_api):
    meeting = MeetingFactory(title="Old")

    first = staff_api.patch(f"/api/v1/meetings/{meeting.slug}/", {"title": "A"}, format="json", HTTP_IF_MATCH="*")
    second = staff_api.patch(
        f"/api/v1/meetings/{meeting.slug}/", {"title": "B"}, format="json", HTTP_IF_MATCH='W/"9", W/"2"'
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["revision"] == 3


@pytest.mark.parametrize("method", ["patch", "put"])
def test_update_without_if_match_or_revision_is_428_and_changes_nothing(staff_api, method):
    meeting = MeetingFactory(title="Old", slug="m")
    payload = {"title": "Blind write", "slug": "m", "series": meeting.series.slug, "start_date": "2030-03-01",
               "end_date": "2030-03-03", "timezone": "Asia/Singapore"}  # fmt: skip

    response = getattr(staff_api, method)("/api/v1/meetings/m/", payload, format="json")

    assert response.status_code == 428
    assert response.json() == {
        "detail": "Say which revision you are changing: send If-Match with the ETag you read, or the `revision` field."
    }
    meeting.refresh_from_db()
    assert (meeting.title, meeting.revision) == ("Old", 1)


def test_update_with_the_revision_in_the_body_and_no_if_match_goes_through(staff_api):
    meeting = MeetingFactory(title="Old", slug="m")

    response = staff_api.patch("/api/v1/meetings/m/", {"title": "New", "revision": 1}, format="json")

    assert (response.status_code, response.json()["revision"]) == (200, 2)
    meeting.refresh_from_db()
    assert meeting.title == "New"


# --- Query counts (N+1 guards) --------------------------------------------------------------------


def build_meetings(n):
    for _ in range(n):
        meeting = MeetingFactory(parent=MeetingFactory(access=Access.PUBLIC))
        SessionFactory(meeting=meeting)
        DocumentFactory(meeting=meeting)
        member = DelegationMemberFactory(delegation=DelegationFactory(meeting=meeting))
        member.sessions.set(meeting.sessions.all())


@pytest.mark.parametrize(
    "url", ["/api/v1/meetings/", "/api/v1/sessions/", "/api/v1/documents/", "/api/v1/delegations/", "/api/v1/series/"]
)
@pytest.mark.parametrize("who", ["anon", "staff_api", "planner_api"])
def test_list_query_count_does_not_grow_with_items(url, who, request):
    client = request.getfixturevalue(who)
    build_meetings(1)
    one = count_queries(client, url)
    build_meetings(19)
    many = count_queries(client, url)

    assert one == many


def test_meeting_detail_query_count_does_not_grow_with_sessions(staff_api):
    meeting = MeetingFactory(slug="m")
    SessionFactory(meeting=meeting)
    DocumentFactory(meeting=meeting)
    one = count_queries(staff_api, "/api/v1/meetings/m/")
    for _ in range(19):
        virtual_session(meeting)
        DocumentFactory(meeting=meeting)
    many = count_queries(staff_api, "/api/v1/meetings/m/")

    assert one == many


# --- Schema and docs ------------------------------------------------------------------------------


def test_schema_lists_every_endpoint_and_no_format_filter(anon):
    response = anon.get("/api/schema/?format=json")
    schema = response.json()

    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/meetings/", "/api/v1/meetings/{slug}/", "/api/v1/sessions/", "/api/v1/documents/",
            "/api/v1/delegations/", "/api/v1/series/"} <= set(schema["paths"])  # fmt: skip
    params = {p["name"] for p in schema["paths"]["/api/v1/meetings/"]["get"]["parameters"]}
    assert {"series", "country", "mode", "status", "from", "to", "q", "ordering", "page", "page_size"} <= params
    assert "format" not in params
    assert "knoxApiToken" in schema["components"]["securitySchemes"]


def test_schema_documents_428_for_updates(anon):
    paths = anon.get("/api/schema/?format=json").json()["paths"]

    assert "428" in paths["/api/v1/meetings/{slug}/"]["patch"]["responses"]
    assert "428" in paths["/api/v1/sessions/{id}/"]["put"]["responses"]


def test_docs_page_uses_only_local_static_files_and_no_inline_code(anon):
    response = anon.get("/api/docs/")
    html = response.content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert response.status_code == 200
    assert sources == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "/api/docs/?script=",
    ]
    # Every <script> loads from a URL and there is no <style> block: CSP 'self' allows nothing inline.
    assert re.findall(r"<script[^>]*>\s*[^<\s]", html) == []
    assert "<style" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_docs_init_script_is_javascript_pointing_at_local_schema(anon):
    response = anon.get("/api/docs/?script=")

    assert response["Content-Type"].startswith("application/javascript")
    assert '"/api/schema/"' in response.content.decode()


def test_sidecar_static_files_exist():
    from django.contrib.staticfiles import finders

    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}") is not None
