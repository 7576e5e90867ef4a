"""Recovering deleted meetings (events/recovery.py): exactly the rows deleted with the meeting,
told apart by change set (events/changesets.py), all or nothing."""

import datetime as dt

import pytest
from django.urls import reverse

from events.models import Meeting
from events.models import OutcomeDocument
from events.models import Session

from .conftest import delete_in_admin
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_recover_page_lists_deleted_meetings_with_who_deleted_them(editor_client):
    client = editor_client
    meeting = MeetingFactory(title="Deleted by mistake")
    delete_in_admin(client, meeting)
    response = client.get(reverse("admin:events_meeting_recover"))
    assert response.status_code == 200
    assert [(r.title, r.history_user.username) for r in response.context["records"]] == [
        ("Deleted by mistake", "editor")
    ]


def test_restore_brings_back_the_meeting_with_its_sessions_and_documents(editor_client):
    client = editor_client
    meeting = MeetingFactory(title="Deleted by mistake")
    sessions = [SessionFactory(meeting=meeting, title=f"Session {i}") for i in range(3)]
    document = DocumentFactory(meeting=meeting, session=sessions[0], title="Declaration")
    revision = Meeting.objects.get(pk=meeting.pk).revision
    delete_in_admin(client, meeting)
    assert Session.objects.count() == OutcomeDocument.objects.count() == 0
    record = Meeting.history.get(id=meeting.pk, history_type="-")

    response = client.post(reverse("admin:events_meeting_recover"), {"history_id": record.history_id})

    assert response["Location"] == reverse("admin:events_meeting_change", args=[meeting.pk])
    restored = Meeting.objects.get(pk=meeting.pk)
    assert restored.title == "Deleted by mistake"
    assert restored.revision > revision
    assert sorted(restored.sessions.values_list("pk", "title")) == sorted((s.pk, s.title) for s in sessions)
    assert list(OutcomeDocument.objects.values_list("pk", "title", "session")) == [
        (document.pk, "Declaration", sessions[0].pk)
    ]
    assert client.get(reverse("admin:events_meeting_recover")).context["records"].count() == 0


def test_restore_brings_back_what_the_deleted_meeting_took_with_it_however_long_the_delete_took(editor_client):
    client = editor_client
    meeting = MeetingFactory()
    session = SessionFactory(meeting=meeting)
    delete_in_admin(client, meeting)
    Session.history.filter(id=session.pk).update(history_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    record = Meeting.history.get(id=meeting.pk, history_type="-")
    client.post(reverse("admin:events_meeting_recover"), {"history_id": record.history_id})
    assert list(Session.objects.values_list("pk", flat=True)) == [session.pk]


def test_restore_is_all_or_nothing_when_the_slug_was_taken_meanwhile(editor_client):
    client = editor_client
    meeting = MeetingFactory(slug="summit")
    SessionFactory(meeting=meeting)
    delete_in_admin(client, meeting)
    MeetingFactory(slug="summit", title="Newcomer")
    record = Meeting.history.get(id=meeting.pk, history_type="-")

    response = client.post(reverse("admin:events_meeting_recover"), {"history_id": record.history_id}, follow=True)

    assert [str(m) for m in response.context["messages"]][-1].startswith("Nothing was restored: ")
    assert list(Meeting.objects.values_list("title", flat=True)) == ["Newcomer"]
    assert Session.objects.count() == 0


def test_recover_is_forbidden_to_data_entry(data_entry_client):
    assert data_entry_client.get(reverse("admin:events_meeting_recover")).status_code == 403
