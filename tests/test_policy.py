"""The access policy (events.access) as the README states it, and its per-object rules."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser

from events import access
from events.models import Access

from .conftest import readme_policy_table
from .factories import DocumentFactory, MeetingFactory, SessionFactory

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
