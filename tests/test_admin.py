import datetime as dt
import re

import pytest
from django.urls import reverse

from events.models import Meeting, Session

from .factories import MeetingFactory, SeriesFactory, SessionFactory, VenueFactory

pytestmark = pytest.mark.django_db

INLINES = ("sessions", "documents", "delegations")


def meeting_form(series, venue, sessions=(), **overrides):
    data = {
        "title": "33rd ASEAN Summit",
        "title_id": "KTT ASEAN ke-33",
        "slug": "33rd-asean-summit",
        "series": series.pk,
        "ordinal": "33",
        "start_date": "2030-11-10",
        "end_date": "2030-11-13",
        "venue": venue.pk,
        "timezone": "",
        "mode": "in_person",
        "status": "scheduled",
        "access": "public",
        "_save": "Save",
    }
    for prefix in INLINES:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data["sessions-TOTAL_FORMS"] = str(len(sessions))
    for i, session in enumerate(sessions):
        base = {
            "title": "Plenary",
            "kind": "plenary",
            "status": "scheduled",
            "access": "public",
            "mode": "in_person",
            "venue": venue.pk,
            "starts_on": "",
            "ends_on": "",
            "start_time": "",
            "end_time": "",
        }
        base.update(session)
        data.update({f"sessions-{i}-{key}": value for key, value in base.items()})
    data.update(overrides)
    return data


def test_admin_add_meeting_with_inline_sessions(staff_client):
    series, venue = SeriesFactory(), VenueFactory()
    data = meeting_form(
        series,
        venue,
        sessions=[
            {"title": "Plenary", "starts_on": "2030-11-11", "start_time": "09:00", "end_time": "12:00"},
            {"title": "Retreat", "kind": "retreat", "starts_on": "2030-11-12"},
        ],
    )
    response = staff_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    meeting = Meeting.objects.get(slug="33rd-asean-summit")
    assert meeting.timezone == "Asia/Singapore"
    sessions = list(meeting.sessions.order_by("title"))
    assert [(s.title, s.starts_on) for s in sessions] == [
        ("Plenary", dt.date(2030, 11, 11)),
        ("Retreat", dt.date(2030, 11, 12)),
    ]
    assert meeting.history.count() == 1


def test_admin_session_outside_meeting_dates_is_a_form_error_not_500(staff_client):
    series, venue = SeriesFactory(), VenueFactory()
    data = meeting_form(series, venue, sessions=[{"starts_on": "2030-12-01"}])
    response = staff_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 200
    errors = str(response.context["inline_admin_formsets"][0].formset.errors)
    assert "lies outside the meeting&#x27;s dates" in errors or "lies outside the meeting's dates" in errors
    assert Meeting.objects.count() == 0


def test_admin_end_before_start_is_a_form_error(staff_client):
    data = meeting_form(SeriesFactory(), VenueFactory(), end_date="2030-11-01")
    response = staff_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end_date"] == ["The meeting cannot end before it starts."]


def test_admin_duplicate_ordinal_is_a_form_error(staff_client):
    existing = MeetingFactory(ordinal=33)
    data = meeting_form(existing.series, VenueFactory())
    response = staff_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 200
    assert "Meeting with this Series and Ordinal already exists." in str(response.context["adminform"].form.errors)


def test_admin_virtual_session_without_link_is_a_form_error(staff_client):
    data = meeting_form(
        SeriesFactory(), VenueFactory(), sessions=[{"starts_on": "2030-11-11", "mode": "virtual", "venue": ""}]
    )
    response = staff_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 200
    assert "A virtual session needs a join link." in str(response.context["inline_admin_formsets"][0].formset.errors)


def test_admin_change_meeting_edits_existing_session(staff_client):
    session = SessionFactory(title="Plenary")
    meeting = session.meeting
    data = meeting_form(
        meeting.series,
        meeting.venue,
        sessions=[{"id": session.pk, "meeting": meeting.pk, "title": "Plenary (moved)", "starts_on": "2030-03-02"}],
        title=meeting.title,
        slug=meeting.slug,
        ordinal="",
        start_date="2030-03-01",
        end_date="2030-03-03",
    )
    data["sessions-INITIAL_FORMS"] = "1"
    data["revision"] = meeting.revision
    data["sessions-0-revision"] = session.revision
    response = staff_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.title, session.starts_on, session.revision) == ("Plenary (moved)", dt.date(2030, 3, 2), 2)


def test_admin_changelist_filters_and_search(staff_client):
    MeetingFactory(title="32nd ASEAN Summit", start_date=dt.date(2018, 4, 25), end_date=dt.date(2018, 4, 28))
    MeetingFactory(title="ASCN Annual Meeting", start_date=dt.date(2022, 8, 30), end_date=dt.date(2022, 8, 30))
    url = reverse("admin:events_meeting_changelist")
    response = staff_client.get(url, {"year": "2018"})
    assert [m.title for m in response.context["cl"].result_list] == ["32nd ASEAN Summit"]
    response = staff_client.get(url, {"q": "ASCN"})
    assert [m.title for m in response.context["cl"].result_list] == ["ASCN Annual Meeting"]


def test_admin_duplicate_action_asks_then_copies(staff_client):
    meeting = MeetingFactory(title="32nd ASEAN Summit", ordinal=32)
    SessionFactory(meeting=meeting)
    url = reverse("admin:events_meeting_changelist")
    ask = staff_client.post(url, {"action": "duplicate_as_next_edition", "_selected_action": [meeting.pk]})
    assert ask.status_code == 200
    assert ask.context["form"]["shift_days"].value() == 365
    done = staff_client.post(
        url, {"action": "duplicate_as_next_edition", "_selected_action": [meeting.pk], "apply": "1", "shift_days": "7"}
    )
    copy = Meeting.objects.get(ordinal=33, series=meeting.series)
    assert done["Location"] == reverse("admin:events_meeting_change", args=[copy.pk])
    assert (copy.title, copy.start_date) == ("33rd ASEAN Summit", meeting.start_date + dt.timedelta(days=7))
    assert Session.objects.filter(meeting=copy).count() == 1


def test_admin_duplicate_action_refuses_existing_next_ordinal_with_message(staff_client):
    meeting = MeetingFactory(ordinal=32)
    MeetingFactory(series=meeting.series, ordinal=33)
    url = reverse("admin:events_meeting_changelist")
    response = staff_client.post(
        url,
        {"action": "duplicate_as_next_edition", "_selected_action": [meeting.pk], "apply": "1", "shift_days": "365"},
        follow=True,
    )
    assert response.status_code == 200
    assert any("Nothing was copied" in str(m) for m in response.context["messages"])
    assert Meeting.objects.count() == 2


def test_admin_pages_render_for_every_model(staff_client, seed):
    for model in (
        "meeting",
        "session",
        "series",
        "venue",
        "outcomedocument",
        "delegation",
        "person",
        "chairmanship",
        "networkcity",
        "feedtoken",
    ):
        response = staff_client.get(reverse(f"admin:events_{model}_changelist"))
        assert response.status_code == 200, model
        response = staff_client.get(reverse(f"admin:events_{model}_add"))
        assert response.status_code == 200, model
    summit = Meeting.objects.get(slug="32nd-asean-summit-2018")
    response = staff_client.get(reverse("admin:events_meeting_change", args=[summit.pk]))
    assert response.context["original"] == summit


def test_admin_moving_meeting_dates_away_from_its_sessions_is_a_form_error(staff_client):
    session = SessionFactory(starts_on=dt.date(2030, 3, 2))
    meeting = session.meeting
    data = meeting_form(
        meeting.series,
        meeting.venue,
        sessions=[{"id": session.pk, "meeting": meeting.pk, "title": session.title, "starts_on": "2030-03-02"}],
        title=meeting.title,
        slug=meeting.slug,
        ordinal="",
        start_date="2030-04-01",
        end_date="2030-04-03",
    )
    data["sessions-INITIAL_FORMS"] = "1"
    data["revision"] = meeting.revision
    response = staff_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert "lies outside the meeting" in str(response.context["inline_admin_formsets"][0].formset.errors)
    meeting.refresh_from_db()
    assert meeting.start_date == dt.date(2030, 3, 1)


def test_admin_change_without_revision_is_refused(staff_client):
    meeting = MeetingFactory(title="Original")
    data = meeting_form(
        meeting.series,
        meeting.venue,
        title="Changed",
        slug=meeting.slug,
        ordinal="",
        start_date="2030-03-01",
        end_date="2030-03-03",
    )
    response = staff_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert "does not say which revision it edits" in str(response.context["adminform"].form.non_field_errors())
    meeting.refresh_from_db()
    assert meeting.title == "Original"


def test_admin_session_time_at_the_end_of_the_calendar_is_a_form_error_not_500(staff_client):
    session = SessionFactory()
    data = {
        "meeting": session.meeting_id, "title": "Edge", "kind": "plenary", "ends_on": "",
        "starts_on": "9999-12-31", "start_time": "23:00", "end_time": "23:30", "mode": "in_person",
        "venue": session.venue_id, "status": "scheduled", "access": "public", "revision": session.revision,
    }  # fmt: skip

    response = staff_client.post(reverse("admin:events_session_change", args=[session.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["starts_on"] == ["Give a date between the years 2 and 9998."]
    session.refresh_from_db()
    assert session.title != "Edge"


def test_admin_inline_session_time_at_the_end_of_the_calendar_is_a_form_error_not_500(staff_client):
    series, venue = SeriesFactory(), VenueFactory()
    data = meeting_form(
        series, venue, sessions=[{"starts_on": "9999-12-31", "start_time": "23:00", "end_time": "23:30"}]
    )

    response = staff_client.post(reverse("admin:events_meeting_add"), data)

    assert response.status_code == 200
    assert "Give a date between the years 2 and 9998." in response.context["inline_admin_formsets"][0].formset.errors[
        0
    ]["starts_on"]
    assert Meeting.objects.count() == 0


# --- Venue-local entry ------------------------------------------------------------


def labuan_bajo_summit(**overrides):
    venue = VenueFactory(name="Meruorah Convention Center", city="Labuan Bajo", country="ID", timezone="Asia/Makassar")
    fields = {"title": "42nd ASEAN Summit", "slug": "42nd-asean-summit", "venue": venue}
    fields.update(start_date=dt.date(2023, 5, 10), end_date=dt.date(2023, 5, 11), **overrides)
    return MeetingFactory(**fields)


def change_form(meeting, sessions=(), **overrides):
    """The POST data of the meeting's change page as the browser sends it, sessions' rows edited or added."""
    data = meeting_form(
        meeting.series, meeting.venue, sessions=sessions, title=meeting.title, slug=meeting.slug, ordinal="",
        start_date=meeting.start_date.isoformat(), end_date=meeting.end_date.isoformat(),
        timezone=meeting.timezone, revision=meeting.revision,
    )  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize("viewer_zone", [None, "America/New_York", "Asia/Tokyo"])
def test_admin_time_typed_is_venue_time_whatever_zone_the_clerk_picked_for_viewing(staff_client, viewer_zone):
    meeting = labuan_bajo_summit()
    if viewer_zone:
        staff_client.get("/", {"tz": viewer_zone})  # picked while browsing the public pages

    data = change_form(
        meeting, sessions=[{"title": "Plenary", "starts_on": "2023-05-10", "start_time": "09:00", "end_time": "10:30"}]
    )
    response = staff_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.status_code == 302, response.context["errors"]
    session = meeting.sessions.get()
    assert (session.start, session.end) == (
        dt.datetime(2023, 5, 10, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2023, 5, 10, 2, 30, tzinfo=dt.UTC),
    )
    page = staff_client.get(reverse("admin:events_meeting_change", args=[meeting.pk])).content.decode()
    zone = '<span class="venue-zone" data-zone="Asia/Makassar">Asia/Makassar, UTC+8</span>'
    assert re.search(r'name="sessions-0-start_time" value="09:00"[^>]*> ' + re.escape(zone), page)
    assert re.search(r'name="sessions-0-end_time" value="10:30"[^>]*> ' + re.escape(zone), page)
    public = staff_client.get(meeting.get_absolute_url(), {"tz": "Asia/Jakarta"}).content.decode()
    assert "09:00–10:30</time>" in public
    assert "venue time (Asia/Makassar)" in public
    assert "08:00–09:30</time>" in public
    assert "your time (Asia/Jakarta)" in public


def test_admin_session_page_shows_and_reads_times_at_its_own_venue(staff_client):
    meeting = labuan_bajo_summit()
    jakarta = VenueFactory(name="ASEAN Secretariat", city="Jakarta", country="ID", timezone="Asia/Jakarta")
    session = SessionFactory(meeting=meeting, start=dt.datetime(2023, 5, 10, 1, tzinfo=dt.UTC), end=None)
    staff_client.get("/", {"tz": "Europe/Brussels"})
    url = reverse("admin:events_session_change", args=[session.pk])
    page = staff_client.get(url).content.decode()
    assert re.search(r'name="start_time" value="09:00"[^>]*> <span[^>]*>Asia/Makassar, UTC\+8<', page)

    data = {
        "meeting": meeting.pk, "title": "Briefing", "kind": "briefing", "starts_on": "2023-05-10", "ends_on": "",
        "start_time": "09:00", "end_time": "", "mode": "in_person", "venue": jakarta.pk, "status": "scheduled",
        "access": "public", "revision": session.revision,
    }  # fmt: skip
    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    session.refresh_from_db()
    # Read in the session's own venue's zone (UTC+7), not the meeting's; no end announced.
    assert (session.start, session.end) == (dt.datetime(2023, 5, 10, 2, tzinfo=dt.UTC), None)
    assert "Asia/Jakarta, UTC+7" in staff_client.get(url).content.decode()


def brussels_meeting():
    berlaymont = VenueFactory(name="Berlaymont", city="Brussels", country="BE", timezone="Europe/Brussels")
    return MeetingFactory(
        title="ASEAN-EU dialogue", slug="asean-eu", venue=berlaymont,
        start_date=dt.date(2026, 3, 27), end_date=dt.date(2026, 3, 30),
    )  # fmt: skip


def test_admin_times_across_a_daylight_saving_change_keep_their_wall_clock(staff_client):
    meeting = brussels_meeting()
    data = change_form(
        meeting,
        sessions=[
            {"title": "Before", "starts_on": "2026-03-28", "start_time": "09:00", "end_time": "10:00"},
            {"title": "After", "starts_on": "2026-03-30", "start_time": "09:00", "end_time": "10:00"},
        ],
    )
    response = staff_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.status_code == 302, response.context["errors"]
    assert list(meeting.sessions.order_by("start").values_list("title", "start")) == [
        ("Before", dt.datetime(2026, 3, 28, 8, tzinfo=dt.UTC)),  # CET, UTC+1
        ("After", dt.datetime(2026, 3, 30, 7, tzinfo=dt.UTC)),  # CEST, UTC+2
    ]
    page = staff_client.get(reverse("admin:events_meeting_change", args=[meeting.pk])).content.decode()
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
def test_admin_time_the_clock_skips_or_repeats_is_a_form_error(staff_client, day, time, message):
    meeting = brussels_meeting()
    meeting.end_date = dt.date(2026, 10, 30)
    meeting.save()
    data = change_form(meeting, sessions=[{"title": "Night", "starts_on": day, "start_time": time}])

    response = staff_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["start_time"] == [message]
    assert meeting.sessions.count() == 0


def test_admin_end_time_without_start_time_is_a_form_error(staff_client):
    meeting = labuan_bajo_summit()
    data = change_form(meeting, sessions=[{"title": "Lunch", "starts_on": "2023-05-10", "end_time": "13:00"}])

    response = staff_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.context["inline_admin_formsets"][0].formset.errors[0]["start_time"] == [
        "Give the start time too, or neither time for a date-only session."
    ]
    assert meeting.sessions.count() == 0


def test_admin_zone_endpoint_names_the_zone_a_picked_venue_or_meeting_uses(staff_client):
    meeting = brussels_meeting()
    url = reverse("admin:events_venue_zone")

    by_venue = staff_client.get(url, {"venue": meeting.venue_id, "day": "2026-03-30"}).json()
    by_meeting = staff_client.get(url, {"meeting": meeting.pk, "day": "2026-03-28"}).json()
    by_zone = staff_client.get(url, {"zone": "Asia/Makassar", "day": "2030-02-30"}).json()
    unknown = staff_client.get(url, {"zone": "Mars/Olympus"}).json()

    assert by_venue == {"timezone": "Europe/Brussels", "label": "Europe/Brussels, UTC+2"}
    assert by_meeting == {"timezone": "Europe/Brussels", "label": "Europe/Brussels, UTC+1"}
    assert by_zone == {"timezone": "Asia/Makassar", "label": "Asia/Makassar, UTC+8"}
    assert unknown == {"timezone": "", "label": ""}


# --- Summit weeks -------------------------------------------------------------------


def summit_week():
    summit = labuan_bajo_summit(series=SeriesFactory(name="ASEAN Summit", abbreviation="Summit", slug="summit"))
    som = SeriesFactory(name="Senior Officials' Meeting", abbreviation="SOM", slug="som")
    earlier = MeetingFactory(series=summit.series, title="41st ASEAN Summit", slug="41st", venue=summit.venue)
    MeetingFactory(series=som, title="SOM (41st)", slug="som-41st", parent=earlier, venue=summit.venue)
    return summit, som


def test_admin_meeting_page_offers_related_meetings_prefilled_with_series_parent_venue_and_dates(staff_client):
    summit, som = summit_week()

    page = staff_client.get(reverse("admin:events_meeting_change", args=[summit.pk])).content.decode()

    link = re.search(r'<a class="addlink related-add" href="([^"]+)">SOM</a>', page)
    assert link, page[page.find("related-meeting-links") - 200 :][:800]
    add_page = staff_client.get(link.group(1).replace("&amp;", "&"))
    initial = add_page.context["adminform"].form.initial
    assert {key: initial[key] for key in ("series", "parent", "venue", "start_date", "end_date", "timezone")} == {
        "series": str(som.pk), "parent": str(summit.pk), "venue": str(summit.venue_id),
        "start_date": "2023-05-10", "end_date": "2023-05-11", "timezone": "Asia/Makassar",
    }  # fmt: skip
    assert initial["title"] == "Senior Officials' Meeting (42nd ASEAN Summit)"
    assert initial["slug"] == "som-42nd-asean-summit"
    assert f'<option value="{summit.pk}" selected>42nd ASEAN Summit</option>' in add_page.content.decode()


def test_admin_session_outside_the_meeting_dates_links_to_a_related_meeting_on_its_dates(staff_client):
    summit = labuan_bajo_summit()
    data = change_form(summit, sessions=[{"title": "SOM plenary", "starts_on": "2023-05-08", "start_time": "09:00"}])

    response = staff_client.post(reverse("admin:events_meeting_change", args=[summit.pk]), data)

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


def test_admin_part_of_picker_leaves_out_the_meeting_and_its_parts_and_lists_summits_first(staff_client):
    summit, som = summit_week()
    ministers = MeetingFactory(title="Ministers", slug="amm-42nd", parent=summit)
    working_group = MeetingFactory(title="Working group", slug="wg-42nd", parent=ministers)
    lone = MeetingFactory(title="Lone meeting", slug="lone")
    change_page = staff_client.get(reverse("admin:events_meeting_change", args=[summit.pk])).content.decode()
    autocomplete_url = re.search(r'name="parent"[^>]*data-ajax--url="([^"]+)"', change_page).group(1)
    assert autocomplete_url == f"/admin/autocomplete/?exclude={summit.pk}"

    answer = staff_client.get(
        "/admin/autocomplete/",
        {"app_label": "events", "model_name": "meeting", "field_name": "parent", "exclude": summit.pk, "term": ""},
    ).json()

    offered = [result["text"] for result in answer["results"]]
    assert offered[0] == "41st ASEAN Summit"  # a summit with parts of its own comes first
    assert set(offered) == {"41st ASEAN Summit", "SOM (41st)", "Lone meeting"}
    assert offered.index("Lone meeting") < offered.index("SOM (41st)")  # part of nothing before a part
    assert not {summit.title, ministers.title, working_group.title} & set(offered)
    assert lone.pk


def test_admin_making_a_meeting_part_of_its_own_part_is_a_form_error(staff_client):
    summit = labuan_bajo_summit()
    ministers = MeetingFactory(title="Ministers", slug="amm-42nd", parent=summit)
    data = change_form(summit, parent=ministers.pk)

    response = staff_client.post(reverse("admin:events_meeting_change", args=[summit.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    summit.refresh_from_db()
    assert (summit.parent_id, summit.revision) == (None, 1)


# --- Source notes ---------------------------------------------------------------------


def test_admin_source_note_is_flagged_for_review_when_the_venue_it_speaks_of_is_added(staff_client):
    summit = labuan_bajo_summit(source_note="The sources give no venue.")
    assert summit.source_note_review is False
    other = VenueFactory(name="Komodo hall", city="Labuan Bajo", country="ID", timezone="Asia/Makassar")

    response = staff_client.post(
        reverse("admin:events_meeting_change", args=[summit.pk]),
        change_form(summit, venue=other.pk, source_note="The sources give no venue."),
    )

    assert response.status_code == 302, response.context["errors"]
    summit.refresh_from_db()
    assert (summit.venue, summit.source_note_review) == (other, True)
    listed = staff_client.get(reverse("admin:events_meeting_changelist"), {"source_note_review__exact": "1"})
    assert [m.pk for m in listed.context["cl"].result_list] == [summit.pk]


def test_admin_source_note_is_flagged_when_session_times_are_added_unless_the_note_is_edited_too(staff_client):
    summit = labuan_bajo_summit(source_note="Times not given.")
    session = {"title": "Plenary", "starts_on": "2023-05-10", "start_time": "09:00"}
    url = reverse("admin:events_meeting_change", args=[summit.pk])

    edited = change_form(summit, sessions=[session], source_note="Times from the chair's programme.")
    assert staff_client.post(url, edited).status_code == 302
    summit.refresh_from_db()
    assert summit.source_note_review is False

    SessionFactory(meeting=summit, starts_on=dt.date(2023, 5, 11))  # e.g. added through the API or an import
    summit.refresh_from_db()
    assert summit.source_note_review is True


def test_admin_session_without_a_venue_is_held_at_the_meeting_venue_unless_virtual(staff_client):
    meeting = labuan_bajo_summit()
    data = change_form(
        meeting,
        sessions=[
            {"title": "Plenary", "starts_on": "2023-05-10", "start_time": "09:00", "venue": ""},
            {"title": "Call", "starts_on": "2023-05-10", "mode": "virtual", "venue": "",
             "join_url": "https://meet.example/1"},
        ],
    )  # fmt: skip

    response = staff_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)

    assert response.status_code == 302, response.context["errors"]
    assert dict(meeting.sessions.values_list("title", "venue")) == {"Plenary": meeting.venue_id, "Call": None}
