"""The access policy (events/access.py) as the README states it, its per-object rules, and a clerk who may
not publish."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from events import access
from events.models import Access
from events.models import Meeting

from .conftest import readme_policy_table
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import SuperuserFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db


def code_policy_table(role_users):
    return ["action", *role_users], access.policy_rows(role_users)


def test_policy_readme_table_is_what_the_code_answers(role_users):
    assert readme_policy_table() == code_policy_table(role_users)


def test_policy_table_print(role_users, capsys):
    """`pytest -s -k policy_table_print` prints the table the README carries."""
    header, rows = code_policy_table(role_users)
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join([action, *cells]) + " |" for action, cells in rows]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert re.search(r"^\| see \| P \| P \| P R \| P R \| P R C \| P R C \|$", "\n".join(lines), re.M)


def test_policy_session_level_is_the_higher_of_its_own_and_its_meetings():
    session = SessionFactory(meeting=MeetingFactory(access=Access.CONFIDENTIAL), access=Access.PUBLIC)
    document = DocumentFactory(meeting=MeetingFactory(access=Access.PUBLIC), session=None)

    assert (access.level_of(session), access.level_of(document)) == (Access.CONFIDENTIAL, Access.PUBLIC)


def test_policy_moving_a_session_to_a_public_meeting_is_publishing(data_entry_user, editor_user):
    session = SessionFactory(meeting=MeetingFactory(access=Access.RESTRICTED), access=Access.PUBLIC)
    session.meeting = MeetingFactory(access=Access.PUBLIC)
    session.venue = session.meeting.venue

    assert access.save_error(data_entry_user, session) == access.PUBLISH_REFUSED
    assert access.save_error(editor_user, session) is None


def test_policy_level_choices_per_role(role_users):
    choices = {
        role: (access.level_choices(user, current=None), access.level_choices(user, current=Access.RESTRICTED))
        for role, user in role_users.items()
        if role in {"Data entry", "Editor"}
    }
    assert choices == {
        "Data entry": ([Access.RESTRICTED], [Access.RESTRICTED]),
        "Editor": ([Access.PUBLIC, Access.RESTRICTED, Access.CONFIDENTIAL],) * 2,
    }


def test_join_details_go_to_signed_in_users_only(user, viewer_user):
    answers = [access.sees_join_details(who) for who in (None, AnonymousUser(), user, viewer_user)]
    assert answers == [False, False, True, True]


def new_meeting_post(level):
    series, venue = SeriesFactory(), VenueFactory()
    data = {
        "title": "Special Meeting",
        "slug": "special-meeting",
        "series": series.pk,
        "start_date": "2030-05-01",
        "end_date": "2030-05-02",
        "venue": venue.pk,
        "mode": "in_person",
        "status": "scheduled",
        "access": level,
    }
    for prefix in ("sessions", "documents", "delegations"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def test_data_entry_cannot_publish_a_meeting(data_entry_client):
    response = data_entry_client.post(reverse("admin:events_meeting_add"), new_meeting_post(Access.PUBLIC))
    assert response.status_code == 200
    form = response.context["adminform"].form
    # The access choices offered are the policy's: a clerk creates restricted items only.
    assert [value for value, _label in form.fields["access"].choices] == [Access.RESTRICTED]
    assert form.errors["access"] == ["Select a valid choice. public is not one of the available choices."]
    assert Meeting.objects.count() == 0


def test_data_entry_may_save_a_restricted_meeting_and_an_editor_may_publish(data_entry_client, editor_client):
    response = data_entry_client.post(reverse("admin:events_meeting_add"), new_meeting_post(Access.RESTRICTED))
    assert response.status_code == 302
    assert Meeting.objects.get().access == Access.RESTRICTED

    response = editor_client.post(
        reverse("admin:events_meeting_add"), {**new_meeting_post(Access.PUBLIC), "slug": "other"}
    )
    assert response.status_code == 302
    assert Meeting.objects.get(slug="other").access == Access.PUBLIC


def test_superuser_may_do_every_action_at_every_level_and_publishes_through_the_admin(client):
    superuser = SuperuserFactory(username="root")
    everything = [(str(label), ["P R C"]) for label in access.ACTIONS.values()]
    assert access.policy_rows({"superuser": superuser}) == everything
    client.force_login(superuser)
    response = client.post(reverse("admin:events_meeting_add"), new_meeting_post(Access.PUBLIC))
    assert response.status_code == 302
    assert Meeting.objects.get().access == Access.PUBLIC
