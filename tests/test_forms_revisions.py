"""Optimistic locking in the admin (events/forms.py, RevisionCheckedForm): a save over a revision the editor
has not seen is refused with what changed, by whom and when, for every edited model and inline row."""

import pytest
from django.urls import reverse

from events.models import Chairmanship
from events.models import Meeting
from events.models import NetworkCity
from events.models import Session

from .conftest import admin_meeting_post
from .conftest import signed_in
from .factories import DelegationMemberFactory
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import PersonFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import StaffFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db


def loaded_revision(client, meeting):
    response = client.get(reverse("admin:events_meeting_change", args=[meeting.pk]))
    return response.context["adminform"].form["revision"].value()


def test_admin_meeting_form_carries_the_revision_as_a_hidden_field():
    meeting = MeetingFactory()
    client = signed_in(StaffFactory(username="alice"))
    response = client.get(reverse("admin:events_meeting_change", args=[meeting.pk]))
    assert f'<input type="hidden" name="revision" value="{meeting.revision}"' in response.text


def test_admin_second_save_of_a_meeting_is_refused_and_names_the_change_and_editor():
    meeting = MeetingFactory(title="Old title")
    alice, bob = signed_in(StaffFactory(username="alice")), signed_in(StaffFactory(username="bob"))
    alice_revision = loaded_revision(alice, meeting)
    bob_revision = loaded_revision(bob, meeting)

    first = bob.post(
        reverse("admin:events_meeting_change", args=[meeting.pk]),
        admin_meeting_post(meeting, bob_revision, title="Bob's title"),
    )
    assert first.status_code == 302
    second = alice.post(
        reverse("admin:events_meeting_change", args=[meeting.pk]),
        admin_meeting_post(meeting, alice_revision, title="Alice's title", theme="Alice's theme"),
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
    alice = signed_in(StaffFactory(username="alice"))
    response = alice.post(
        reverse("admin:events_meeting_change", args=[meeting.pk]),
        admin_meeting_post(meeting, loaded_revision(alice, meeting), title="New title"),
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
    alice, bob = signed_in(StaffFactory(username="alice")), signed_in(StaffFactory(username="bob"))
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
    alice = signed_in(StaffFactory(username="alice"))
    revision = loaded_revision(alice, meeting)
    data = admin_meeting_post(meeting, revision, title="Too late")
    Meeting.objects.filter(pk=meeting.pk).delete()
    response = alice.post(reverse("admin:events_meeting_change", args=[meeting.pk]), data)
    assert response.status_code == 302  # the admin redirects to the list with "doesn't exist"
    assert Meeting.objects.count() == 0


def admin_form_data(response):
    """The POST data of an admin change page as the browser would send it back unchanged (inlines included)."""

    def values(form, data):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = "" if value is None else str(value)

    data = {}
    values(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        values(formset.management_form, data)
        for form in formset.forms:
            values(form, data)
    return data


def two_editors_save(model, pk, field, first_value, second_value):
    url = reverse(f"admin:events_{model._meta.model_name}_change", args=[pk])
    alice, bob = signed_in(StaffFactory(username="alice")), signed_in(StaffFactory(username="bob"))
    alice_data, bob_data = admin_form_data(alice.get(url)), admin_form_data(bob.get(url))
    first = bob.post(url, {**bob_data, field: first_value})
    assert first.status_code == 302, first.context["adminform"].form.errors
    return alice.post(url, {**alice_data, field: second_value})


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        ("venue", "name"),
        ("series", "name"),
        ("person", "position"),
        ("document", "title"),
        ("delegation", "organisation"),
        ("chairmanship", "note"),
        ("networkcity", "name"),
    ],
)
def test_admin_stale_save_is_refused_with_what_changed_for_every_edited_model(factory, field):
    objects = {
        "venue": VenueFactory,
        "series": SeriesFactory,
        "person": PersonFactory,
        "document": DocumentFactory,
        "delegation": lambda: DelegationMemberFactory().delegation,
        "chairmanship": lambda: Chairmanship.objects.create(body="asean", year=2030, country="ID"),
        "networkcity": lambda: NetworkCity.objects.create(series=SeriesFactory(), name="Makassar", country="ID"),
    }
    obj = objects[factory]()
    second = two_editors_save(type(obj), obj.pk, field, "Bob's value", "Alice's value")
    assert second.status_code == 200
    [error] = second.context["adminform"].form.non_field_errors()
    assert error.startswith(
        "Someone else saved this record while you were editing it (now revision 2, you started from revision 1)."
    )
    assert '"Bob\'s value") changed by bob at ' in error
    obj.refresh_from_db()
    assert (getattr(obj, field), obj.revision) == ("Bob's value", 2)


def test_admin_stale_inline_delegate_is_refused():
    member = DelegationMemberFactory()
    url = reverse("admin:events_delegation_change", args=[member.delegation_id])
    alice = signed_in(StaffFactory(username="alice"))
    data = admin_form_data(alice.get(url))
    member.role = "official"
    member.save()
    response = alice.post(url, {**data, "members-0-role": "csco"})
    assert response.status_code == 200
    [errors] = response.context["inline_admin_formsets"][0].formset.errors
    assert errors["__all__"][0].startswith("Someone else saved this record while you were editing it")
    member.refresh_from_db()
    assert member.role == "official"
