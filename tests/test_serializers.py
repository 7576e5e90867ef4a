"""Serializers of the JSON API (events/serializers.py).

Join details, times with their zone, the models' validation on write, stale revisions in the body, and the
access policy on what a role may save.
"""

import datetime as dt

import pytest

from events.models import Access
from events.models import Meeting
from events.models import Mode
from events.models import Session

from .conftest import meeting_payload
from .conftest import virtual_session
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory
from .factories import timed

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 3, 1)


# --- Join details ---------------------------------------------------------------------------------


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


# --- Times ----------------------------------------------------------------------------------------


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


# --- Validation on write (the models' own rules) --------------------------------------------------


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


def test_nul_character_in_a_slug_reference_is_400(staff_api):
    # Found by the schema fuzzer on PostgreSQL, which cannot compare text containing NUL.
    payload = {**meeting_payload(SeriesFactory(), VenueFactory()), "series": "a\x00b"}

    response = staff_api.post("/api/v1/meetings/", payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"series": ["Object with slug=(contains a NUL character) does not exist."]}


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


@pytest.mark.parametrize("start", ["9999-12-31T23:00:00Z", "0001-01-01T01:00:00Z"])
def test_session_time_at_the_end_of_the_calendar_is_400_not_500(staff_api, start):
    MeetingFactory(slug="m", start_date=DAY, end_date=DAY)
    payload = {"meeting": "m", "title": "Edge", "mode": "hybrid", "start": start, "end": "9999-12-31T23:30:00Z"}

    response = staff_api.post("/api/v1/sessions/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["start"] == ["Give a time between the years 2 and 9998."]
    assert Session.objects.count() == 0


# --- Revision in the body -------------------------------------------------------------------------


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


# --- Access policy on write -----------------------------------------------------------------------


def new_meeting_payload(**extra):
    series = SeriesFactory()
    return {
        "title": "New", "slug": "new", "series": series.slug, "start_date": "2030-05-01", "end_date": "2030-05-02",
        "timezone": "Asia/Jakarta", **extra,
    }  # fmt: skip


def test_data_entry_cannot_publish_a_meeting_through_the_api(data_entry_api):
    response = data_entry_api.post(
        "/api/v1/meetings/", new_meeting_payload(access="public"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["access"] == [
        "Only an editor may publish or lower an access level. Save it as restricted and ask an editor to publish it."
    ]
    assert Meeting.objects.count() == 0


def test_meeting_data_entry_creates_without_a_level_starts_restricted_with_a_note(data_entry_api):
    response = data_entry_api.post("/api/v1/meetings/", new_meeting_payload(), format="json")

    assert (response.status_code, response.json()["access"]) == (201, "restricted")
    assert (
        response.json()["note"] == "Created as restricted: only an editor (a role that may publish) can make it public."
    )
    assert list(Meeting.objects.values_list("slug", "access")) == [("new", "restricted")]


def test_data_entry_cannot_make_a_restricted_meeting_public_but_an_editor_can(data_entry_api, editor_api):
    meeting = MeetingFactory(slug="quiet", access=Access.RESTRICTED)
    url = "/api/v1/meetings/quiet/"

    refused = data_entry_api.patch(url, {"access": "public"}, format="json", HTTP_IF_MATCH='"1"')
    meeting.refresh_from_db()
    assert (refused.status_code, meeting.access) == (400, Access.RESTRICTED)

    allowed = editor_api.patch(url, {"access": "public"}, format="json", HTTP_IF_MATCH='"1"')
    meeting.refresh_from_db()
    assert (allowed.status_code, meeting.access) == (200, Access.PUBLIC)


def test_data_entry_may_create_a_restricted_meeting_and_edit_a_public_one(data_entry_api):
    created = data_entry_api.post("/api/v1/meetings/", new_meeting_payload(access="restricted"), format="json")
    MeetingFactory(slug="open", access=Access.PUBLIC)
    edited = data_entry_api.patch("/api/v1/meetings/open/", {"title": "Renamed"}, format="json", HTTP_IF_MATCH='"1"')

    assert (created.status_code, created.json()["access"]) == (201, "restricted")
    assert (edited.status_code, edited.json()["title"]) == (200, "Renamed")
