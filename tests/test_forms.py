"""Admin forms (events/forms.py): the revision check, session times typed as venue-local wall-clock times,
date limits, the related-meeting hint, and the "part of" choices."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from events.models import Meeting

from .conftest import brussels_meeting
from .conftest import labuan_bajo_summit
from .conftest import meeting_change_form
from .conftest import meeting_form
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db


def test_admin_change_without_revision_is_refused(administrator_client):
    meeting = MeetingFactory(title="Original")
    data = meeting_change_form(meeting, title="Changed")
    del data["revision"]  # as a POST that does not carry it
    response = administrator_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert "does not say which revision it edits" in str(response.context["adminform"].form.non_field_errors())
    meeting.refresh_from_db()
    assert meeting.title == "Original"


def test_admin_session_time_at_the_end_of_the_calendar_is_a_form_error_not_500(administrator_client):
    session = SessionFactory()
    data = {
        "meeting": session.meeting_id, "title": "Edge", "kind": "plenary", "ends_on": "",
        "starts_on": "9999-12-31", "start_time": "23:00", "end_time": "23:30", "mode": "in_person",
        "venue": session.venue_id, "status": "scheduled", "access": "public", "revision": session.revision,
    }  # fmt: skip

    response = administrator_client.post(reverse("admin:events_session_change", args=[session.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["starts_on"] == ["Give a date between the years 2 and 9998."]
    session.refresh_from_db()
    assert session.title != "Edge"


def test_admin_inline_session_time_at_the_end_of_the_calendar_is_a_form_error_not_500(administrator_client):
    series, venue = SeriesFactory(), VenueFactory()
    data = meeting_form(
        series, venue, sessions=[{"starts_on": "9999-12-31", "start_time": "23:00", "end_time": "23:30"}]
    )

    response = administrator_client.post(reverse("admin:events_meeting_add"), data)

    assert response.status_code == 200
    assert "Give a date between the years 2 and 9998." in response.context["inline_admin_formsets"][0].formset.errors[
        0
    ]["starts_on"]
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize("viewer_zone", [None, "America/New_York", "Asia/Tokyo"])
def test_admin_time_typed_is_venue_time_whatever_zone_the_clerk_picked_for_viewing(administrator_client, viewer_zone):
    meeting = labuan_bajo_summit()
    if viewer_zone:
        administrator_client.get("/", {"tz": viewer_zone})  # picked while browsing the public pages

    data = meeting_change_form(
        meeting, sessions=[{"title": "Plenary", "starts_on": "2023-05-10", "start_time": "09:00", "end_time": "10:30"}]
    )
    response = administrator_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.status_code == 302, response.context["errors"]
    session = meeting.sessions.get()
    assert (session.start, session.end) == (
        dt.datetime(2023, 5, 10, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2023, 5, 10, 2, 30, tzinfo=dt.UTC),
    )
    page = administrator_client.get(reverse("admin:events_meeting_change", args=[meeting.pk])).content.decode()
    zone = '<span class="venue-zone" data-zone="Asia/Makassar">Asia/Makassar, UTC+8</span>'
    assert re.search(r'name="sessions-0-start_time" value="09:00"[^>]*> ' + re.escape(zone), page)
    assert re.search(r'name="sessions-0-end_time" value="10:30"[^>]*> ' + re.escape(zone), page)
    public = administrator_client.get(meeting.get_absolute_url(), {"tz": "Asia/Jakarta"}).content.decode()
    assert "09:00–10:30</time>" in public
    assert "venue time (Asia/Makassar)" in public
    assert "08:00–09:30</time>" in public
    assert "your time (Asia/Jakarta)" in public


def test_admin_session_page_shows_and_reads_times_at_its_own_venue(administrator_client):
    meeting = labuan_bajo_summit()
    jakarta = VenueFactory(name="ASEAN Secretariat", city="Jakarta", country="ID", timezone="Asia/Jakarta")
    session = SessionFactory(meeting=meeting, start=dt.datetime(2023, 5, 10, 1, tzinfo=dt.UTC), end=None)
    administrator_client.get("/", {"tz": "Europe/Brussels"})
    url = reverse("admin:events_session_change", args=[session.pk])
    page = administrator_client.get(url).content.decode()
    assert re.search(r'name="start_time" value="09:00"[^>]*> <span[^>]*>Asia/Makassar, UTC\+8<', page)

    data = {
        "meeting": meeting.pk, "title": "Briefing", "kind": "briefing", "starts_on": "2023-05-10", "ends_on": "",
        "start_time": "09:00", "end_time": "", "mode": "in_person", "venue": jakarta.pk, "status": "scheduled",
        "access": "public", "revision": session.revision,
    }  # fmt: skip
    response = administrator_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    session.refresh_from_db()
    # Read in the session's own venue's zone (UTC+7), not the meeting's; no end announced.
    assert (session.start, session.end) == (dt.datetime(2023, 5, 10, 2, tzinfo=dt.UTC), None)
    assert "Asia/Jakarta, UTC+7" in administrator_client.get(url).content.decode()


def test_admin_times_across_a_daylight_saving_change_keep_their_wall_clock(administrator_client):
    meeting = brussels_meeting()
    before = {"title": "Before", "starts_on": "2026-03-28", "start_time": "09:00", "end_time": "10:00"}
    after = {**before, "title": "After", "starts_on": "2026-03-30"}  # the clocks went forward on 29 March
    data = meeting_change_form(meeting, sessions=[before, after])
    response = administrator_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.status_code == 302, response.context["errors"]
    assert list(meeting.sessions.order_by("start").values_list("title", "start")) == [
        ("Before", dt.datetime(2026, 3, 28, 8, tzinfo=dt.UTC)),  # CET, UTC+1
        ("After", dt.datetime(2026, 3, 30, 7, tzinfo=dt.UTC)),  # CEST, UTC+2
    ]
    page = administrator_client.get(reverse("admin:events_meeting_change", args=[meeting.pk])).content.decode()
    for row, offset in ((0, "UTC+1"), (1, "UTC+2")):
        for name, value in (("start_time", "09:00"), ("end_time", "10:00")):
            pattern = rf'name="sessions-{row}-{name}" value="{value}"[^>]*> <span[^>]*>Europe/Brussels, {offset}<'
            assert re.search(pattern.replace("+", r"\+"), page), (row, name)


@pytest.mark.parametrize(
    ("day", "time", "message"),
    [
        ("2026-03-29", "02:30", "02:30 does not exist on 2026-03-29 in Europe/Brussels: the clocks go forward then."),
        ("2026-10-25", "02:30", "02:30 happens twice on 2026-10-25 in Europe/Brussels (the clocks go back); "
         "give a time outside that hour."),
    ],
)  # fmt: skip
def test_admin_time_the_clock_skips_or_repeats_is_a_form_error(administrator_client, day, time, message):
    meeting = brussels_meeting()
    meeting.end_date = dt.date(2026, 10, 30)
    meeting.save()
    data = meeting_change_form(meeting, sessions=[{"title": "Night", "starts_on": day, "start_time": time}])

    response = administrator_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["start_time"] == [message]
    assert meeting.sessions.count() == 0


def test_admin_end_time_without_start_time_is_a_form_error(administrator_client):
    meeting = labuan_bajo_summit()
    data = meeting_change_form(meeting, sessions=[{"title": "Lunch", "starts_on": "2023-05-10", "end_time": "13:00"}])

    response = administrator_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.context["inline_admin_formsets"][0].formset.errors[0]["start_time"] == [
        "Give the start time too, or neither time for a date-only session."
    ]
    assert meeting.sessions.count() == 0


def test_admin_session_outside_the_meeting_dates_links_to_a_related_meeting_on_its_dates(administrator_client):
    summit = labuan_bajo_summit()
    early = {"title": "SOM plenary", "starts_on": "2023-05-08", "start_time": "09:00"}
    data = meeting_change_form(summit, sessions=[early])

    response = administrator_client.post(reverse("admin:events_meeting_change", args=[summit.pk]), data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]["start_time"]
    assert errors[0].startswith("The session (2023-05-08 to 2023-05-08, Asia/Makassar) lies outside the meeting")
    url = reverse("admin:events_meeting_add")
    assert re.search(
        rf'is a related meeting: <a href="{url}\?parent={summit.pk}&amp;start_date=2023-05-08&amp;end_date=2023-05-08'
        rf'&amp;timezone=Asia%2FMakassar&amp;venue={summit.venue_id}[^"]*">add a related meeting on these dates</a>',
        response.content.decode(),
    )
    assert summit.sessions.count() == 0


def test_admin_making_a_meeting_part_of_its_own_part_is_a_form_error(administrator_client):
    summit = labuan_bajo_summit()
    ministers = MeetingFactory(title="Ministers", slug="amm-42nd", parent=summit)
    data = meeting_change_form(summit, parent=ministers.pk)

    response = administrator_client.post(reverse("admin:events_meeting_change", args=[summit.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    summit.refresh_from_db()
    assert (summit.parent_id, summit.revision) == (None, 1)


def test_admin_session_without_a_venue_is_held_at_the_meeting_venue_unless_virtual(administrator_client):
    meeting = labuan_bajo_summit()
    data = meeting_change_form(
        meeting,
        sessions=[
            {"title": "Plenary", "starts_on": "2023-05-10", "start_time": "09:00", "venue": ""},
            {"title": "Call", "starts_on": "2023-05-10", "mode": "virtual", "venue": "",
             "join_url": "https://meet.example/1"},
        ],
    )  # fmt: skip

    response = administrator_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.status_code == 302, response.context["errors"]
    assert dict(meeting.sessions.values_list("title", "venue")) == {"Plenary": meeting.venue_id, "Call": None}
