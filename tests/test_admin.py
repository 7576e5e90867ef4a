"""The admin (events/admin.py): meeting pages with inline rows, the change list, the duplicate action,
the venue zone endpoint, related meetings and the "part of" picker."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from events.models import Meeting
from events.models import Session

from .conftest import brussels_meeting
from .conftest import labuan_bajo_summit
from .conftest import meeting_change_form
from .conftest import meeting_form
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db

def test_admin_add_meeting_with_inline_sessions(administrator_client):
    series, venue = SeriesFactory(), VenueFactory()
    data = meeting_form(
        series,
        venue,
        sessions=[
            {"title": "Plenary", "starts_on": "2030-11-11", "start_time": "09:00", "end_time": "12:00"},
            {"title": "Retreat", "kind": "retreat", "starts_on": "2030-11-12"},
        ],
    )
    response = administrator_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    meeting = Meeting.objects.get(slug="33rd-asean-summit")
    assert meeting.timezone == "Asia/Singapore"
    sessions = list(meeting.sessions.order_by("title"))
    assert [(s.title, s.starts_on) for s in sessions] == [
        ("Plenary", dt.date(2030, 11, 11)),
        ("Retreat", dt.date(2030, 11, 12)),
    ]
    assert meeting.history.count() == 1


def test_admin_session_outside_meeting_dates_is_a_form_error_not_500(administrator_client):
    series, venue = SeriesFactory(), VenueFactory()
    data = meeting_form(series, venue, sessions=[{"starts_on": "2030-12-01"}])
    response = administrator_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 200
    errors = str(response.context["inline_admin_formsets"][0].formset.errors)
    assert "lies outside the meeting&#x27;s dates" in errors or "lies outside the meeting's dates" in errors
    assert Meeting.objects.count() == 0


def test_admin_end_before_start_is_a_form_error(administrator_client):
    data = meeting_form(SeriesFactory(), VenueFactory(), end_date="2030-11-01")
    response = administrator_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end_date"] == ["The meeting cannot end before it starts."]


def test_admin_duplicate_ordinal_is_a_form_error(administrator_client):
    existing = MeetingFactory(ordinal=33)
    data = meeting_form(existing.series, VenueFactory())
    response = administrator_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 200
    assert "Meeting with this Series and Ordinal already exists." in str(response.context["adminform"].form.errors)


def test_admin_virtual_session_without_link_is_a_form_error(administrator_client):
    data = meeting_form(
        SeriesFactory(), VenueFactory(), sessions=[{"starts_on": "2030-11-11", "mode": "virtual", "venue": ""}]
    )
    response = administrator_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 200
    assert "A virtual session needs a join link." in str(response.context["inline_admin_formsets"][0].formset.errors)


def test_admin_change_meeting_edits_existing_session(administrator_client):
    session = SessionFactory(title="Plenary")
    meeting = session.meeting
    moved = {"id": session.pk, "meeting": meeting.pk, "title": "Plenary (moved)", "starts_on": "2030-03-02"}
    data = meeting_change_form(meeting, sessions=[moved], **{"sessions-INITIAL_FORMS": "1"})
    data["sessions-0-revision"] = session.revision
    response = administrator_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.title, session.starts_on, session.revision) == ("Plenary (moved)", dt.date(2030, 3, 2), 2)


def test_admin_changelist_filters_and_search(administrator_client):
    MeetingFactory(title="32nd ASEAN Summit", start_date=dt.date(2018, 4, 25), end_date=dt.date(2018, 4, 28))
    MeetingFactory(title="ASCN Annual Meeting", start_date=dt.date(2022, 8, 30), end_date=dt.date(2022, 8, 30))
    url = reverse("admin:events_meeting_changelist")
    response = administrator_client.get(url, {"year": "2018"})
    assert [m.title for m in response.context["cl"].result_list] == ["32nd ASEAN Summit"]
    response = administrator_client.get(url, {"q": "ASCN"})
    assert [m.title for m in response.context["cl"].result_list] == ["ASCN Annual Meeting"]


def test_admin_duplicate_action_asks_then_copies(administrator_client):
    meeting = MeetingFactory(title="32nd ASEAN Summit", ordinal=32)
    SessionFactory(meeting=meeting)
    url = reverse("admin:events_meeting_changelist")
    ask = administrator_client.post(url, {"action": "duplicate_as_next_edition", "_selected_action": [meeting.pk]})
    assert ask.status_code == 200
    assert ask.context["form"]["shift_days"].value() == 365
    done = administrator_client.post(
        url, {"action": "duplicate_as_next_edition", "_selected_action": [meeting.pk], "apply": "1", "shift_days": "7"}
    )
    copy = Meeting.objects.get(ordinal=33, series=meeting.series)
    assert done["Location"] == reverse("admin:events_meeting_change", args=[copy.pk])
    assert (copy.title, copy.start_date) == ("33rd ASEAN Summit", meeting.start_date + dt.timedelta(days=7))
    assert Session.objects.filter(meeting=copy).count() == 1


def test_admin_duplicate_action_refuses_existing_next_ordinal_with_message(administrator_client):
    meeting = MeetingFactory(ordinal=32)
    MeetingFactory(series=meeting.series, ordinal=33)
    url = reverse("admin:events_meeting_changelist")
    response = administrator_client.post(
        url,
        {"action": "duplicate_as_next_edition", "_selected_action": [meeting.pk], "apply": "1", "shift_days": "365"},
        follow=True,
    )
    assert response.status_code == 200
    assert any("Nothing was copied" in str(m) for m in response.context["messages"])
    assert Meeting.objects.count() == 2


def test_admin_pages_render_for_every_model(administrator_client, seed):
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
        response = administrator_client.get(reverse(f"admin:events_{model}_changelist"))
        assert response.status_code == 200, model
        response = administrator_client.get(reverse(f"admin:events_{model}_add"))
        assert response.status_code == 200, model
    summit = Meeting.objects.get(slug="32nd-asean-summit-2018")
    response = administrator_client.get(reverse("admin:events_meeting_change", args=[summit.pk]))
    assert response.context["original"] == summit


def test_admin_moving_meeting_dates_away_from_its_sessions_is_a_form_error(administrator_client):
    session = SessionFactory(starts_on=dt.date(2030, 3, 2))
    meeting = session.meeting
    kept = {"id": session.pk, "meeting": meeting.pk, "title": session.title, "starts_on": "2030-03-02"}
    data = meeting_change_form(
        meeting, sessions=[kept], start_date="2030-04-01", end_date="2030-04-03", **{"sessions-INITIAL_FORMS": "1"}
    )
    response = administrator_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert "lies outside the meeting" in str(response.context["inline_admin_formsets"][0].formset.errors)
    meeting.refresh_from_db()
    assert meeting.start_date == dt.date(2030, 3, 1)


def test_admin_zone_endpoint_names_the_zone_a_picked_venue_or_meeting_uses(administrator_client):
    meeting = brussels_meeting()
    url = reverse("admin:events_venue_zone")

    by_venue = administrator_client.get(url, {"venue": meeting.venue_id, "day": "2026-03-30"}).json()
    by_meeting = administrator_client.get(url, {"meeting": meeting.pk, "day": "2026-03-28"}).json()
    by_zone = administrator_client.get(url, {"zone": "Asia/Makassar", "day": "2030-02-30"}).json()
    unknown = administrator_client.get(url, {"zone": "Mars/Olympus"}).json()

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


def test_admin_meeting_page_offers_related_meetings_prefilled_with_series_parent_venue_and_dates(administrator_client):
    summit, som = summit_week()

    page = administrator_client.get(reverse("admin:events_meeting_change", args=[summit.pk])).content.decode()

    link = re.search(r'<a class="addlink related-add" href="([^"]+)">SOM</a>', page)
    assert link, page[page.find("related-meeting-links") - 200 :][:800]
    add_page = administrator_client.get(link.group(1).replace("&amp;", "&"))
    initial = add_page.context["adminform"].form.initial
    assert {key: initial[key] for key in ("series", "parent", "venue", "start_date", "end_date", "timezone")} == {
        "series": str(som.pk), "parent": str(summit.pk), "venue": str(summit.venue_id),
        "start_date": "2023-05-10", "end_date": "2023-05-11", "timezone": "Asia/Makassar",
    }  # fmt: skip
    assert initial["title"] == "Senior Officials' Meeting (42nd ASEAN Summit)"
    assert initial["slug"] == "som-42nd-asean-summit"
    assert f'<option value="{summit.pk}" selected>42nd ASEAN Summit</option>' in add_page.content.decode()


def test_admin_part_of_picker_leaves_out_the_meeting_and_its_parts_and_lists_summits_first(administrator_client):
    summit, som = summit_week()
    ministers = MeetingFactory(title="Ministers", slug="amm-42nd", parent=summit)
    working_group = MeetingFactory(title="Working group", slug="wg-42nd", parent=ministers)
    lone = MeetingFactory(title="Lone meeting", slug="lone")
    change_page = administrator_client.get(reverse("admin:events_meeting_change", args=[summit.pk])).content.decode()
    autocomplete_url = re.search(r'name="parent"[^>]*data-ajax--url="([^"]+)"', change_page).group(1)
    assert autocomplete_url == f"/admin/autocomplete/?exclude={summit.pk}"

    answer = administrator_client.get(
        "/admin/autocomplete/",
        {"app_label": "events", "model_name": "meeting", "field_name": "parent", "exclude": summit.pk, "term": ""},
    ).json()

    offered = [result["text"] for result in answer["results"]]
    assert offered[0] == "41st ASEAN Summit"  # a summit with parts of its own comes first
    assert set(offered) == {"41st ASEAN Summit", "SOM (41st)", "Lone meeting"}
    assert offered.index("Lone meeting") < offered.index("SOM (41st)")  # part of nothing before a part
    assert not {summit.title, ministers.title, working_group.title} & set(offered)
    assert lone.pk


