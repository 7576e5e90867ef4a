"""Staff roles' permissions (the groups events/roles.py creates): growing from Viewer to Administrator, and
what the admin lets a Viewer or a Data entry clerk do."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from events.models import Meeting

from .factories import MeetingFactory


def perms(group_name):
    return set(Permission.objects.filter(group__name=group_name).values_list("content_type__app_label", "codename"))


@pytest.mark.django_db
def test_roles_exist_with_growing_permissions():
    viewer, data_entry, editor, administrator = (
        perms(name) for name in ("Viewer", "Data entry", "Editor", "Administrator")
    )
    assert ("events", "view_meeting") in viewer
    assert ("events", "view_restricted") in viewer
    assert ("events", "change_meeting") not in viewer
    assert viewer < data_entry < editor < administrator
    assert {("events", "add_session"), ("events", "change_session")} <= data_entry
    assert ("events", "delete_meeting") not in data_entry
    assert ("events", "publish_meeting") not in data_entry
    assert {("events", "publish_meeting"), ("events", "delete_meeting"), ("events", "view_confidential")} <= editor
    assert {("auth", "change_user"), ("auth", "change_group")} <= administrator
    assert ("auth", "change_user") not in editor


@pytest.mark.django_db
def test_viewer_sees_meetings_in_admin_but_cannot_change_them(viewer_client):
    meeting = MeetingFactory()
    assert viewer_client.get(reverse("admin:events_meeting_changelist")).status_code == 200
    response = viewer_client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), {"title": "Changed"})
    assert response.status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).title == meeting.title


@pytest.mark.django_db
def test_data_entry_cannot_delete_meetings(data_entry_client):
    meeting = MeetingFactory()
    response = data_entry_client.post(reverse("admin:events_meeting_delete", args=[meeting.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Meeting.objects.filter(pk=meeting.pk).exists()
