"""Change sets (events/changesets.py): history records written in one atomic block share an id, so each
delete with its cascade is one change set; deletes recorded before change sets were grouped once by migration 0011."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from events.models import Meeting
from events.models import Session

from .conftest import delete_in_admin
from .factories import MeetingFactory
from .factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_change_set_of_a_meeting_delete_leaves_out_a_session_deleted_on_purpose_just_before(editor_client):
    client = editor_client
    meeting = MeetingFactory()
    kept, dropped = SessionFactory(meeting=meeting), SessionFactory(meeting=meeting)
    response = client.post(reverse("admin:events_session_delete", args=[dropped.pk]), {"post": "yes"})
    assert response.status_code == 302
    delete_in_admin(client, meeting)  # moments later: no clock can tell the two deletes apart
    record = Meeting.history.get(id=meeting.pk, history_type="-")
    client.post(reverse("admin:events_meeting_recover"), {"history_id": record.history_id})
    assert list(Session.objects.values_list("pk", flat=True)) == [kept.pk]
    assert Session.history.get(id=dropped.pk, history_type="-").change_set != record.change_set


def test_deletes_made_before_change_sets_are_grouped_once_by_the_old_window():
    migration = importlib.import_module("events.migrations.0011_history_change_sets")
    meeting = MeetingFactory()
    on_purpose, cascaded = SessionFactory(meeting=meeting), SessionFactory(meeting=meeting)
    meeting_pk, on_purpose_pk, cascaded_pk = meeting.pk, on_purpose.pk, cascaded.pk
    on_purpose.delete()
    meeting.delete()
    deleted = Meeting.history.get(id=meeting_pk, history_type="-")
    Session.history.filter(id=on_purpose_pk).update(history_date=deleted.history_date - dt.timedelta(minutes=3))
    for model in (Meeting, Session):
        model.history.update(change_set=None)

    migration.group_legacy_deletes(apps, None)

    deleted.refresh_from_db()
    assert deleted.change_set is not None
    assert Session.history.get(id=cascaded_pk, history_type="-").change_set == deleted.change_set
    assert Session.history.get(id=on_purpose_pk, history_type="-").change_set is None
