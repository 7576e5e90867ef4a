import datetime as dt
import re

import pytest
from rest_framework.test import APIClient

from events.models import Access, Meeting, Mode, Series, Session, Status

from .conftest import api_token, count_queries, role_user, signed_in
from .factories import (
    DelegationFactory,
    DelegationMemberFactory,
    DocumentFactory,
    MeetingFactory,
    SeriesFactory,
    SessionFactory,
    StaffFactory,
    VenueFactory,
    timed,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 3, 1)


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def staff_api():
    staff = StaffFactory(username="api-staff")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(staff)}")
    return client


def titles(response):
    return [item["title"] for item in response.json()["results"]]


def virtual_session(meeting, **kwargs):
    kwargs.setdefault("join_url", "https://meet.example.org/secret-room")
    kwargs.setdefault("join_passcode", "424242")
    return SessionFactory(meeting=meeting, mode=Mode.VIRTUAL, venue=None, **kwargs)


# --- Visibility ------------------------------------------------------------


def test_meeting_list_anonymous_sees_public_only(anon):
    MeetingFactory(title="Open", access=Access.PUBLIC)
    MeetingFactory(title="Members", access=Access.RESTRICTED)
    MeetingFactory(title="Secret", access=Access.CONFIDENTIAL)

    response = anon.get("/api/v1/meetings/")

    assert titles(response) == ["Open"]
    assert response.json()["count"] == 1


def test_meeting_list_staff_sees_all_levels(staff_api):
    MeetingFactory(title="Open", access=Access.PUBLIC)
    MeetingFactory(title="Members", access=Access.RESTRICTED)
    MeetingFactory(title="Secret", access=Access.CONFIDENTIAL)

    assert sorted(titles(staff_api.get("/api/v1/meetings/"))) == ["Members", "Open", "Secret"]


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

    assert titles(anon.get("/api/v1/sessions/")) == ["Visible"]


def test_documents_and_delegations_of_hidden_meetings_are_hidden(anon):
    hidden = MeetingFactory(access=Access.CONFIDENTIAL)
    DocumentFactory(meeting=hidden, title="Secret memo")
    DocumentFactory(title="Public declaration")
    DelegationFactory(meeting=hidden, country="SG")
    DelegationFactory(country="ID")

    assert titles(anon.get("/api/v1/documents/")) == ["Public declaration"]
    assert [d["country"] for d in anon.get("/api/v1/delegations/").json()["results"]] == ["ID"]


# --- Join details ------------------------------------------------------------


def test_join_details_never_in_anonymous_responses(anon):
    meeting = MeetingFactory()
    virtual_session(meeting)

    listing = anon.get("/api/v1/sessions/")
    detail = anon.get(f"/api/v1/meetings/{meeting.slug}/")

    for response in (listing, detail):
        assert b"secret-room" not in response.content
        assert b"424242" not in response.content
    assert "join_url" not in listing.json()["results"][0]
    assert "join_url" not in detail.json()["sessions"][0]


def test_join_details_shown_to_signed_in_user_who_may_see_the_session(planner_api):
    virtual_session(MeetingFactory())

    session = planner_api.get("/api/v1/sessions/").json()["results"][0]

    assert session["join_url"] == "https://meet.example.org/secret-room"
    assert session["join_passcode"] == "424242"


def test_join_details_of_restricted_session_shown_to_staff(staff_api):
    session = virtual_session(MeetingFactory(), access=Access.RESTRICTED)

    data = staff_api.get(f"/api/v1/sessions/{session.pk}/").json()

    assert data["join_url"] == "https://meet.example.org/secret-room"


# --- Times -----------------------------------------------------------------


def test_session_times_are_iso8601_with_offsets_and_zone_name(anon):
    start, end = timed(DAY, 9, 30, zone="Asia/Singapore", hours=2)
    session = SessionFactory(start=start, end=end)

    data = anon.get(f"/api/v1/sessions/{session.pk}/").json()

    assert data["start"] == "2030-03-01T01:30:00Z"
    assert data["end"] == "2030-03-01T03:30:00Z"
    assert data["timezone"] == "Asia/Singapore"
    assert data["local_start"] == "2030-03-01T09:30:00+08:00"
    assert data["local_end"] == "2030-03-01T11:30:00+08:00"
    assert (data["starts_on"], data["ends_on"]) == ("2030-03-01", "2030-03-01")


def test_date_only_session_has_dates_and_no_instants(anon):
    session = SessionFactory(starts_on=DAY)

    data = anon.get(f"/api/v1/sessions/{session.pk}/").json()

    assert (data["start"], data["local_start"], data["starts_on"]) == (None, None, "2030-03-01")


def test_session_zone_is_the_venue_zone_over_the_meeting_zone(anon):
    meeting = MeetingFactory(venue=VenueFactory(timezone="Asia/Jakarta", city="Jakarta", country="ID"))
    bangkok = VenueFactory(timezone="Asia/Bangkok", city="Bangkok", country="TH")
    start, end = timed(DAY, 14, zone="Asia/Bangkok")
    session = SessionFactory(meeting=meeting, venue=bangkok, start=start, end=end)

    data = anon.get(f"/api/v1/sessions/{session.pk}/").json()

    assert (data["timezone"], data["local_start"]) == ("Asia/Bangkok", "2030-03-01T14:00:00+07:00")


# --- Filters, ordering, pagination -------------------------------------------


def test_meeting_filters_match_the_html_filterset(anon):
    summit = SeriesFactory(slug="summit")
    MeetingFactory(title="Summit online", series=summit, mode=Mode.VIRTUAL)
    MeetingFactory(title="Summit on site", series=summit, mode=Mode.IN_PERSON)
    MeetingFactory(
        title="Other online", mode=Mode.VIRTUAL, start_date=dt.date(2031, 1, 1), end_date=dt.date(2031, 1, 2)
    )

    assert titles(anon.get("/api/v1/meetings/?series=summit&mode=virtual")) == ["Summit online"]
    assert titles(anon.get("/api/v1/meetings/?from=2030-12-31")) == ["Other online"]
    assert titles(anon.get("/api/v1/meetings/?q=site")) == ["Summit on site"]


def test_format_query_parameter_still_chooses_the_renderer(anon):
    MeetingFactory(title="Only", mode=Mode.VIRTUAL)

    response = anon.get("/api/v1/meetings/?format=json&mode=virtual")

    assert response["Content-Type"] == "application/json"
    assert titles(response) == ["Only"]


def test_filter_with_bad_dates_is_400_with_message(anon):
    response = anon.get("/api/v1/meetings/?from=2030-05-01&to=2030-01-01")

    assert response.status_code == 400
    assert response.json() == {"to": ["The end of the date range is before its start."]}


def test_session_filter_by_status_and_meeting(anon):
    meeting = MeetingFactory(slug="the-summit")
    SessionFactory(meeting=meeting, title="Off", status=Status.CANCELLED)
    SessionFactory(meeting=meeting, title="On")
    SessionFactory(title="Elsewhere", status=Status.CANCELLED)

    assert titles(anon.get("/api/v1/sessions/?meeting=the-summit&status=cancelled")) == ["Off"]


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

    assert titles(anon.get("/api/v1/meetings/?ordering=-title")) == ["Beta", "Alpha"]


def test_huge_page_size_is_refused_with_a_message(anon):
    response = anon.get("/api/v1/series/?page_size=1000000000000000000000")

    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give a whole number from 1 to 200."]}


def test_page_size_of_200_is_served(anon):
    Series.objects.bulk_create(Series(name=f"S{i:03}", slug=f"s{i:03}") for i in range(205))

    response = anon.get("/api/v1/series/?page_size=200")

    assert len(response.json()["results"]) == 200
    assert response.json()["count"] == 205


def test_page_past_the_end_is_404_not_500(anon):
    MeetingFactory()

    assert anon.get("/api/v1/meetings/?page=99").status_code == 404


# --- Writes --------------------------------------------------------------------


def meeting_payload(series, venue, **overrides):
    data = {
        "slug": "33rd-asean-summit",
        "title": "33rd ASEAN Summit",
        "series": series.slug,
        "ordinal": 33,
        "start_date": "2030-11-10",
        "end_date": "2030-11-13",
        "venue_id": venue.pk,
        "mode": "in_person",
    }
    data.update(overrides)
    return data


def test_write_refused_for_anonymous_and_non_staff(anon, planner_api):
    series, venue = SeriesFactory(), VenueFactory()

    for client in (anon, planner_api):
        response = client.post("/api/v1/meetings/", meeting_payload(series, venue), format="json")
        assert response.status_code in {401, 403}
        assert "detail" in response.json()
    assert Meeting.objects.count() == 0


def test_staff_token_creates_meeting_with_timezone_from_venue(staff_api):
    series, venue = SeriesFactory(slug="summit"), VenueFactory(timezone="Asia/Manila")

    response = staff_api.post("/api/v1/meetings/", meeting_payload(series, venue), format="json")

    assert response.status_code == 201, response.json()
    meeting = Meeting.objects.get(slug="33rd-asean-summit")
    assert (meeting.series, meeting.timezone, meeting.ordinal) == (series, "Asia/Manila", 33)
    assert response.json()["timezone"] == "Asia/Manila"


def test_create_meeting_runs_model_validation(staff_api):
    series, venue = SeriesFactory(), VenueFactory()

    response = staff_api.post("/api/v1/meetings/", meeting_payload(series, venue, end_date="2030-11-01"), format="json")

    assert response.status_code == 400
    assert response.json() == {"end_date": ["The meeting cannot end before it starts."]}


def test_create_meeting_without_zone_or_venue_is_400(staff_api):
    response = staff_api.post(
        "/api/v1/meetings/", meeting_payload(SeriesFactory(), VenueFactory(), venue_id=None), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"timezone": ["Choose a venue or give the time zone the schedule is set in."]}


def test_create_session_outside_meeting_dates_is_400(staff_api):
    meeting = MeetingFactory(slug="m")
    start, end = timed(dt.date(2030, 4, 1), 9)

    response = staff_api.post(
        "/api/v1/sessions/",
        {
            "meeting": "m",
            "title": "Late",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "venue_id": meeting.venue_id,
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["start"]
    assert "lies outside the meeting's dates" in response.json()["start"][0]


def test_create_session_with_local_times_and_a_zone_or_with_offsets(staff_api):
    venue = VenueFactory(name="Meruorah", city="Labuan Bajo", country="ID", timezone="Asia/Makassar")
    MeetingFactory(slug="summit", venue=venue, start_date=dt.date(2023, 5, 10), end_date=dt.date(2023, 5, 11))
    base = {"meeting": "summit", "venue_id": venue.pk}

    local = staff_api.post(  # fmt: skip
        "/api/v1/sessions/",
        {**base, "title": "Plenary", "start": "2023-05-10T09:00", "end": "2023-05-10T10:30",
         "timezone": "Asia/Makassar"},
        format="json",
    )
    offset = staff_api.post(
        "/api/v1/sessions/", {**base, "title": "Dinner", "start": "2023-05-10T19:00:00+08:00"}, format="json"
    )

    assert (local.status_code, offset.status_code) == (201, 201), (local.json(), offset.json())
    assert (local.json()["start"], local.json()["local_start"]) == (
        "2023-05-10T01:00:00Z", "2023-05-10T09:00:00+08:00"
    )  # fmt: skip
    assert (offset.json()["start"], offset.json()["end"], offset.json()["local_end"]) == (
        "2023-05-10T11:00:00Z", None, None
    )  # fmt: skip
    assert (local.json()["timezone"], offset.json()["timezone"]) == ("Asia/Makassar", "Asia/Makassar")


@pytest.mark.parametrize(
    ("extra", "answer"),
    [
        (
            {"start": "2023-05-10T09:00"},
            {"start": ["This time has no UTC offset: add one (e.g. 2023-05-10T09:00:00+08:00) or give `timezone`, the "
                       "IANA zone it is a wall-clock time in (e.g. Asia/Makassar)."]},
        ),
        (
            {"start": "2023-05-10T09:00", "timezone": "Mars/Olympus"},
            {"timezone": ["“Mars/Olympus” is not a known IANA time zone."]},
        ),
        (
            {"end": "2023-05-10T10:00:00+08:00"},
            {"start": ["Give the start too, or neither time for a date-only session."],
             "starts_on": ["Give the date, or a start time."]},
        ),
    ],
)  # fmt: skip
def test_create_session_with_a_naive_time_and_no_zone_is_400(staff_api, unchanged, extra, answer):
    response = staff_api.post(
        "/api/v1/sessions/",
        {"meeting": unchanged.slug, "title": "Naive", "venue_id": unchanged.venue_id, **extra},
        format="json",
    )

    assert (response.status_code, response.json()) == (400, answer)


def test_create_virtual_session_without_link_is_400_on_join_url(staff_api):
    MeetingFactory(slug="m")

    response = staff_api.post(
        "/api/v1/sessions/",
        {"meeting": "m", "title": "Call", "starts_on": "2030-03-01", "mode": "virtual"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"join_url": ["A virtual session needs a join link."]}


def test_create_session_with_start_derives_local_dates(staff_api):
    meeting = MeetingFactory(slug="m")
    start, end = timed(DAY, 23, zone="Asia/Singapore", hours=2)

    response = staff_api.post(
        "/api/v1/sessions/",
        {
            "meeting": "m",
            "title": "Night",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "venue_id": meeting.venue_id,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["starts_on"], response.json()["ends_on"]) == ("2030-03-01", "2030-03-02")


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


# --- Optimistic locking ----------------------------------------------------------


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


def test_put_with_stale_body_revision_is_409_naming_the_change(staff_api):
    session = SessionFactory(title="Plenary")
    read = staff_api.get(f"/api/v1/sessions/{session.pk}/").json()
    session.title = "Opening plenary"
    session.save()

    payload = {key: read[key] for key in ("meeting", "title", "starts_on", "mode", "revision")}
    payload.update(title="My title", venue_id=session.venue_id)
    response = staff_api.put(f"/api/v1/sessions/{session.pk}/", payload, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This session was changed by someone else since revision 1; it is now at revision 2. "
        "Changed: title (English). Reload it and apply your edit again.",
        "current_revision": 2,
        "changed_fields": ["title (English)"],
    }
    session.refresh_from_db()
    assert session.title == "Opening plenary"


def test_put_with_current_body_revision_succeeds(staff_api):
    session = SessionFactory(title="Plenary")
    payload = {"meeting": session.meeting.slug, "title": "Renamed", "starts_on": "2030-03-01"}
    payload.update(venue_id=session.venue_id, revision=1)

    response = staff_api.put(f"/api/v1/sessions/{session.pk}/", payload, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["revision"], response["ETag"]) == ("Renamed", 2, '"2"')


def test_if_match_star_and_weak_tags_are_accepted(staff_api):
    meeting = MeetingFactory(title="Old")

    first = staff_api.patch(f"/api/v1/meetings/{meeting.slug}/", {"title": "A"}, format="json", HTTP_IF_MATCH="*")
    second = staff_api.patch(
        f"/api/v1/meetings/{meeting.slug}/", {"title": "B"}, format="json", HTTP_IF_MATCH='W/"9", W/"2"'
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["revision"] == 3


# --- Query counts (N+1 guards) ------------------------------------------------------


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


# --- Schema and docs -------------------------------------------------------------


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


def test_nul_character_in_a_slug_reference_is_400(staff_api):
    # Found by the schema fuzzer on PostgreSQL, which cannot compare text containing NUL.
    payload = {**meeting_payload(SeriesFactory(), VenueFactory()), "series": "a\x00b"}

    response = staff_api.post("/api/v1/meetings/", payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"series": ["Object with slug=(contains a NUL character) does not exist."]}


def test_documents_of_a_hidden_session_are_hidden_in_list_and_detail(anon, staff_api):
    meeting = MeetingFactory(slug="open-meeting")
    retreat = SessionFactory(meeting=meeting, title="Retreat", access=Access.RESTRICTED)
    DocumentFactory(meeting=meeting, session=retreat, title="Retreat minutes")
    DocumentFactory(meeting=meeting, title="Declaration")

    listing = anon.get("/api/v1/documents/")
    detail = anon.get("/api/v1/meetings/open-meeting/").json()
    staff_detail = staff_api.get("/api/v1/meetings/open-meeting/").json()

    assert titles(listing) == ["Declaration"]
    assert [d["title"] for d in detail["documents"]] == ["Declaration"]
    assert sorted(d["title"] for d in staff_detail["documents"]) == ["Declaration", "Retreat minutes"]


def new_meeting_payload(**extra):
    series = SeriesFactory()
    return {
        "title": "New", "slug": "new", "series": series.slug, "start_date": "2030-05-01", "end_date": "2030-05-02",
        "timezone": "Asia/Jakarta", **extra,
    }  # fmt: skip


def test_data_entry_cannot_publish_a_meeting_through_the_api():
    response = signed_in(role_user("Data entry", "clerk"), api=True).post(
        "/api/v1/meetings/", new_meeting_payload(access="public"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["access"] == [
        "Only an editor may publish or lower an access level. Save it as restricted and ask an editor to publish it."
    ]
    assert Meeting.objects.count() == 0


def test_meeting_data_entry_creates_without_a_level_starts_restricted_with_a_note():
    clerk = signed_in(role_user("Data entry", "clerk"), api=True)
    response = clerk.post("/api/v1/meetings/", new_meeting_payload(), format="json")

    assert (response.status_code, response.json()["access"]) == (201, "restricted")
    assert (
        response.json()["note"] == "Created as restricted: only an editor (a role that may publish) can make it public."
    )
    assert list(Meeting.objects.values_list("slug", "access")) == [("new", "restricted")]


def test_data_entry_cannot_make_a_restricted_meeting_public_but_an_editor_can():
    meeting = MeetingFactory(slug="quiet", access=Access.RESTRICTED)
    url = "/api/v1/meetings/quiet/"

    clerk, editor = (signed_in(role_user(*role), api=True) for role in (("Data entry", "clerk"), ("Editor", "editor")))
    refused = clerk.patch(url, {"access": "public"}, format="json", HTTP_IF_MATCH='"1"')
    meeting.refresh_from_db()
    assert (refused.status_code, meeting.access) == (400, Access.RESTRICTED)

    allowed = editor.patch(url, {"access": "public"}, format="json", HTTP_IF_MATCH='"1"')
    meeting.refresh_from_db()
    assert (allowed.status_code, meeting.access) == (200, Access.PUBLIC)


def test_data_entry_may_create_a_restricted_meeting_and_edit_a_public_one():
    clerk = signed_in(role_user("Data entry", "clerk"), api=True)
    created = clerk.post("/api/v1/meetings/", new_meeting_payload(access="restricted"), format="json")
    MeetingFactory(slug="open", access=Access.PUBLIC)
    edited = clerk.patch("/api/v1/meetings/open/", {"title": "Renamed"}, format="json", HTTP_IF_MATCH='"1"')

    assert (created.status_code, created.json()["access"]) == (201, "restricted")
    assert (edited.status_code, edited.json()["title"]) == (200, "Renamed")


def test_moving_meeting_dates_away_from_its_sessions_is_400_and_changes_nothing(staff_api):
    meeting = MeetingFactory(slug="m", start_date=DAY, end_date=DAY + dt.timedelta(days=1), timezone="Asia/Jakarta")
    SessionFactory(meeting=meeting, venue=None, starts_on=DAY, ends_on=DAY, mode=Mode.HYBRID)

    response = staff_api.patch(
        "/api/v1/meetings/m/", {"start_date": "2030-03-05", "end_date": "2030-03-06"}, format="json",
        HTTP_IF_MATCH=f'"{meeting.revision}"',
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "The session (2030-03-01 to 2030-03-01, Asia/Jakarta) lies outside the meeting's dates "
        "(2030-03-05 to 2030-03-06)."
    ]
    meeting.refresh_from_db()
    assert (meeting.start_date, meeting.end_date) == (DAY, DAY + dt.timedelta(days=1))


@pytest.mark.parametrize("start", ["9999-12-31T23:00:00Z", "0001-01-01T01:00:00Z"])
def test_session_time_at_the_end_of_the_calendar_is_400_not_500(staff_api, start):
    MeetingFactory(slug="m", start_date=DAY, end_date=DAY)
    payload = {"meeting": "m", "title": "Edge", "mode": "hybrid", "start": start, "end": "9999-12-31T23:30:00Z"}

    response = staff_api.post("/api/v1/sessions/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["start"] == ["Give a time between the years 2 and 9998."]
    assert Session.objects.count() == 0


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


def test_schema_documents_428_for_updates(anon):
    paths = anon.get("/api/schema/?format=json").json()["paths"]

    assert "428" in paths["/api/v1/meetings/{slug}/"]["patch"]["responses"]
    assert "428" in paths["/api/v1/sessions/{id}/"]["put"]["responses"]
