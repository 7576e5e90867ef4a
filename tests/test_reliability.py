"""Nothing is lost: optimistic locking in the admin, recovery of deleted meetings,
and the bad-input catalogue (each case: a 4xx or form error with a message, and
the database unchanged)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from events.models import Meeting, OutcomeDocument, Session

from .factories import DocumentFactory, MeetingFactory, SessionFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

INLINES = ("sessions", "documents", "delegations")


def login(user):
    client = Client()
    client.force_login(user)
    return client


def meeting_change_data(meeting, revision, **overrides):
    data = {
        "title": meeting.title,
        "title_id": meeting.title_id,
        "slug": meeting.slug,
        "series": meeting.series_id,
        "ordinal": meeting.ordinal or "",
        "parent": meeting.parent_id or "",
        "start_date": meeting.start_date.isoformat(),
        "end_date": meeting.end_date.isoformat(),
        "venue": meeting.venue_id or "",
        "timezone": meeting.timezone,
        "theme": meeting.theme,
        "mode": meeting.mode,
        "status": meeting.status,
        "access": meeting.access,
        "revision": revision,
    }
    for prefix in INLINES:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


def loaded_revision(client, meeting):
    response = client.get(reverse("admin:events_meeting_change", args=[meeting.pk]))
    return response.context["adminform"].form["revision"].value()


# --- No lost updates -------------------------------------------------------------


def test_admin_meeting_form_carries_the_revision_as_a_hidden_field():
    meeting = MeetingFactory()
    client = login(StaffFactory(username="alice"))
    response = client.get(reverse("admin:events_meeting_change", args=[meeting.pk]))
    assert f'<input type="hidden" name="revision" value="{meeting.revision}"' in response.text


def test_admin_second_save_of_a_meeting_is_refused_and_names_the_change_and_editor():
    meeting = MeetingFactory(title="Old title")
    alice, bob = login(StaffFactory(username="alice")), login(StaffFactory(username="bob"))
    alice_revision = loaded_revision(alice, meeting)
    bob_revision = loaded_revision(bob, meeting)

    first = bob.post(
        reverse("admin:events_meeting_change", args=[meeting.pk]),
        meeting_change_data(meeting, bob_revision, title="Bob's title"),
    )
    assert first.status_code == 302
    second = alice.post(
        reverse("admin:events_meeting_change", args=[meeting.pk]),
        meeting_change_data(meeting, alice_revision, title="Alice's title", theme="Alice's theme"),
    )

    assert second.status_code == 200
    [error] = second.context["adminform"].form.non_field_errors()
    assert error.startswith(
        "Someone else saved this record while you were editing it (now revision 2, you started from revision 1)."
    )
    assert "title ('Old title' → \"Bob's title\") changed by bob at " in error
    stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.title, stored.theme, stored.revision) == ("Bob's title", "", 2)


def test_admin_save_with_the_current_revision_goes_through():
    meeting = MeetingFactory(title="Old title")
    alice = login(StaffFactory(username="alice"))
    response = alice.post(
        reverse("admin:events_meeting_change", args=[meeting.pk]),
        meeting_change_data(meeting, loaded_revision(alice, meeting), title="New title"),
    )
    assert response.status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).title == "New title"


def session_change_data(session, revision, **overrides):
    data = {
        "meeting": session.meeting_id,
        "title": session.title,
        "kind": session.kind,
        "starts_on": session.starts_on.isoformat(),
        "ends_on": session.ends_on.isoformat(),
        "venue": session.venue_id or "",
        "mode": session.mode,
        "status": session.status,
        "access": session.access,
        "revision": revision,
    }
    data.update(overrides)
    return data


def test_admin_second_save_of_a_session_is_refused():
    session = SessionFactory(title="Plenary")
    alice, bob = login(StaffFactory(username="alice")), login(StaffFactory(username="bob"))
    url = reverse("admin:events_session_change", args=[session.pk])
    seen = alice.get(url).context["adminform"].form["revision"].value()
    assert bob.post(url, session_change_data(session, seen, title="Plenary I")).status_code == 302

    refused = alice.post(url, session_change_data(session, seen, room="Hall B"))

    [error] = refused.context["adminform"].form.non_field_errors()
    assert "title ('Plenary' → 'Plenary I') changed by bob" in error
    stored = Session.objects.get(pk=session.pk)
    assert (stored.title, stored.room) == ("Plenary I", "")


def test_admin_save_of_a_meeting_deleted_meanwhile_is_refused():
    meeting = MeetingFactory()
    alice = login(StaffFactory(username="alice"))
    revision = loaded_revision(alice, meeting)
    data = meeting_change_data(meeting, revision, title="Too late")
    Meeting.objects.filter(pk=meeting.pk).delete()
    response = alice.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)
    assert response.status_code == 302  # the admin redirects to the list with "doesn't exist"
    assert Meeting.objects.count() == 0


# --- Recovering deleted meetings -------------------------------------------------------


def editor():
    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    return login(user)


def delete_in_admin(client, meeting):
    response = client.post(reverse("admin:events_meeting_delete", args=[meeting.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Meeting.objects.filter(pk=meeting.pk).exists()


def test_recover_page_lists_deleted_meetings_with_who_deleted_them():
    client = editor()
    meeting = MeetingFactory(title="Deleted by mistake")
    delete_in_admin(client, meeting)
    response = client.get(reverse("admin:events_meeting_recover"))
    assert response.status_code == 200
    assert [(r.title, r.history_user.username) for r in response.context["records"]] == [
        ("Deleted by mistake", "editor")
    ]


def test_restore_brings_back_the_meeting_with_its_sessions_and_documents():
    client = editor()
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


def test_restore_leaves_out_a_session_deleted_long_before_the_meeting():
    client = editor()
    meeting = MeetingFactory()
    kept, dropped = SessionFactory(meeting=meeting), SessionFactory(meeting=meeting)
    dropped_pk = dropped.pk
    dropped.delete()
    Session.history.filter(id=dropped_pk).update(history_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    delete_in_admin(client, meeting)
    record = Meeting.history.get(id=meeting.pk, history_type="-")
    client.post(reverse("admin:events_meeting_recover"), {"history_id": record.history_id})
    assert list(Session.objects.values_list("pk", flat=True)) == [kept.pk]


def test_restore_is_all_or_nothing_when_the_slug_was_taken_meanwhile():
    client = editor()
    meeting = MeetingFactory(slug="summit")
    SessionFactory(meeting=meeting)
    delete_in_admin(client, meeting)
    MeetingFactory(slug="summit", title="Newcomer")
    record = Meeting.history.get(id=meeting.pk, history_type="-")

    response = client.post(reverse("admin:events_meeting_recover"), {"history_id": record.history_id}, follow=True)

    assert [str(m) for m in response.context["messages"]][-1].startswith("Nothing was restored: ")
    assert list(Meeting.objects.values_list("title", flat=True)) == ["Newcomer"]
    assert Session.objects.count() == 0


def test_recover_is_forbidden_to_data_entry():
    user = UserFactory(username="clerk", is_staff=True)
    user.groups.add(Group.objects.get(name="Data entry"))
    assert login(user).get(reverse("admin:events_meeting_recover")).status_code == 403
