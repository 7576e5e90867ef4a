"""Doors the role crawl cannot judge alone: history from the moment an item became visible,
references to hidden parents, document files, and per-request state on shared view instances."""

import csv
import datetime as dt
import io
import json
import re
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.test import RequestFactory
from rest_framework.test import APIClient

from events import access
from events import history
from events import ical
from events import views
from events.ics_import import import_calendar
from events.models import Access
from events.models import Meeting
from events.resources import MeetingResource
from events.resources import SessionResource

from .conftest import admin_meeting_post
from .conftest import dataset
from .conftest import ics_calendar
from .conftest import ics_event
from .conftest import new_meeting
from .conftest import vevent
from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_later():
    """A meeting drafted as restricted under another title, then renamed and published."""
    meeting = MeetingFactory(title="Draft SECRETOLDTITLE", slug="later", access=Access.RESTRICTED,
                             description="SECRETOLDDESC")  # fmt: skip
    meeting.title, meeting.description = "Smart Cities Summit", "Open to all"
    meeting.save()
    meeting.access = Access.PUBLIC
    meeting.save()
    meeting.theme = "Liveable cities"
    meeting.save()
    return meeting


def test_history_public_page_starts_when_the_meeting_became_public(client, published_later):
    body = client.get("/meetings/later/").content.decode()

    assert "SECRETOLD" not in body
    entries = history.meeting_history(meeting=published_later, user=AnonymousUser())
    assert [(e.action, e.title) for e in entries] == [
        ("changed", "Smart Cities Summit"),
        ("added", "Smart Cities Summit"),
    ]
    assert [(c.old, c.new) for c in entries[0].changes] == [("—", "Liveable cities")]


def test_history_staff_with_the_level_see_it_all(published_later, viewer_user):
    entries = history.meeting_history(meeting=published_later, user=viewer_user)

    assert [e.action for e in entries] == ["changed", "changed", "changed", "added"]
    assert entries[-1].title == "Draft SECRETOLDTITLE"


def test_history_changes_page_and_atom_never_show_titles_held_while_restricted(client, published_later):
    page = client.get("/changes/?since=2000-01-01").content.decode()
    atom = client.get("/changes/feed/?since=2000-01-01").content.decode()

    assert ("SECRETOLDTITLE" in page, "SECRETOLDTITLE" in atom) == (False, False)
    assert "Added: Smart Cities Summit" in atom
    changes = history.schedule_changes(user=AnonymousUser(), since=published_later.created.date())
    assert [(c.kind, c.title) for c in changes] == [("added", "Smart Cities Summit")]


def test_history_admin_lists_only_records_at_the_readers_level(published_later, data_entry_client):
    published_later.access = Access.CONFIDENTIAL
    published_later.save()
    published_later.title = "Held SECRETCONFTITLE"
    published_later.save()
    published_later.title = "Smart Cities Summit"
    published_later.save()
    published_later.access = Access.RESTRICTED
    published_later.save()

    body = data_entry_client.get(f"/admin/events/meeting/{published_later.pk}/history/").content.decode()

    assert "SECRETCONFTITLE" not in body
    assert "Smart Cities Summit" in body


def test_references_hidden_parent_is_never_named(client, data_entry_user):
    parent = MeetingFactory(title="Secret Summit SECRETPARENT", slug="secret-summit", access=Access.CONFIDENTIAL)
    MeetingFactory(title="Open Side Event", slug="side", parent=parent)
    api = APIClient()
    api.force_authenticate(data_entry_user)

    page = client.get("/meetings/side/").content.decode()
    feed = client.get("/feeds/all.ics").content.decode()
    anonymous_api = client.get("/api/v1/meetings/side/").json()
    clerk_api = api.get("/api/v1/meetings/side/").json()

    assert ("SECRETPARENT" in page, "secret-summit" in page) == (False, False)
    assert f"meeting-{parent.pk}@" not in feed
    assert (anonymous_api["parent"], clerk_api["parent"]) == (None, None)


def test_references_visible_parent_is_named_in_feed_and_api(editor_user):
    parent = MeetingFactory(slug="summit", access=Access.RESTRICTED)
    MeetingFactory(slug="side", parent=parent)
    client = Client()
    client.force_login(editor_user)
    from events.models import FeedToken

    _token, secret = FeedToken.issue(user=editor_user)
    feed = client.get(f"/feeds/private/{secret}.ics").content.decode()
    api = APIClient()
    api.force_authenticate(editor_user)

    assert f"RELATED-TO;RELTYPE=PARENT:meeting-{parent.pk}@" in feed
    assert api.get("/api/v1/meetings/side/").json()["parent"] == "summit"


def test_references_feed_pieces_of_one_meeting_differ_by_whether_the_parent_is_shown():
    row = {"parent_id": 7, "parent__access": Access.RESTRICTED}

    assert (ical.shows_parent(row, [Access.PUBLIC]), ical.shows_parent(row, access.LEVELS)) == (False, True)


@pytest.fixture
def files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SENDFILE_ROOT = str(tmp_path)
    documents = {}
    for level in access.LEVELS:
        document = DocumentFactory(meeting=MeetingFactory(access=level), title=f"Minutes {level}")
        document.file.save("Minutes of the meeting.pdf", ContentFile(f"%PDF {level}".encode()))
        documents[level] = document
    return documents


def test_files_are_stored_under_random_names_and_linked_through_the_view(files):
    document = files[Access.PUBLIC]

    assert re.fullmatch(r"documents/[0-9a-f]{32}\.pdf", document.file.name)
    assert document.link == f"/documents/{document.pk}/file/"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", {"public": 200, "restricted": 404, "confidential": 404}),
        ("viewer", {"public": 200, "restricted": 200, "confidential": 404}),
        ("editor", {"public": 200, "restricted": 200, "confidential": 200}),
    ],
)
def test_files_are_served_to_exactly_those_who_may_see_the_document(files, who, expected, viewer_user, editor_user):
    client = Client()
    if who != "anonymous":
        client.force_login({"viewer": viewer_user, "editor": editor_user}[who])

    answers = {level: client.get(f"/documents/{document.pk}/file/") for level, document in files.items()}

    assert {level: response.status_code for level, response in answers.items()} == expected
    served = {level: r.content for level, r in answers.items() if r.status_code == 200}
    assert served == {level: f"%PDF {level}".encode() for level in served}
    assert answers["public"]["Cache-Control"] == "public, max-age=3600"
    assert answers["public"]["Content-Disposition"] == 'inline; filename="minutes-public.pdf"'
    if who == "editor":
        assert answers["confidential"]["Cache-Control"] == "private, no-store"


def test_files_have_no_public_media_route(files, client):
    assert client.get(f"/media/{files[Access.PUBLIC].file.name}").status_code == 404


def test_files_production_hands_the_transfer_to_nginx(files, settings, client):
    from django_sendfile.utils import _get_sendfile

    settings.SENDFILE_BACKEND = "django_sendfile.backends.nginx"
    _get_sendfile.cache_clear()
    try:
        response = client.get(f"/documents/{files[Access.PUBLIC].pk}/file/")
    finally:
        _get_sendfile.cache_clear()

    assert response["X-Accel-Redirect"] == f"/protected-media/{files[Access.PUBLIC].file.name}"
    assert response.content == b""


def test_changes_feed_instance_keeps_no_request_state_across_concurrent_requests(monkeypatch, viewer_user):
    """One ChangesFeed instance is the URL's callable: two readers at once must each get their own answer."""
    from django.utils import feedgenerator

    feed = views.ChangesFeed()
    both_inside = threading.Barrier(2, timeout=10)
    original_init = feedgenerator.Atom1Feed.__init__

    def rendezvous(self, *args, **kwargs):
        # Both requests have read their parameters and are about to list the items.
        both_inside.wait()
        original_init(self, *args, **kwargs)

    def fake_changes(*, user, since, limit):
        who = "staff" if user.is_authenticated else "anonymous"
        return [history.ScheduleChange("added", "meeting", Meeting(pk=1).created or _now(), f"For {who}",
                                        "M", "/m/", since.isoformat(), f"tag:x,2024:{who}")]  # fmt: skip

    monkeypatch.setattr(feedgenerator.Atom1Feed, "__init__", rendezvous)
    monkeypatch.setattr(history, "schedule_changes", fake_changes)
    factory = RequestFactory()
    requests = {
        "anonymous": factory.get("/changes/feed/?since=2030-01-01"),
        "staff": factory.get("/changes/feed/?since=2031-02-02"),
    }
    requests["anonymous"].user, requests["staff"].user = AnonymousUser(), viewer_user
    answers = {}

    def serve(name):
        answers[name] = feed(requests[name]).content.decode()

    threads = [threading.Thread(target=serve, args=(name,)) for name in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ("For anonymous" in answers["anonymous"], "For staff" in answers["anonymous"]) == (True, False)
    assert ("For staff" in answers["staff"], "For anonymous" in answers["staff"]) == (True, False)
    assert ("since=2030-01-01" in answers["anonymous"], "since=2031-02-02" in answers["staff"]) == (True, True)
    assert vars(feed) == {}


def _now():
    from django.utils import timezone

    return timezone.now()


def test_admin_inline_session_added_by_a_clerk_starts_restricted(data_entry_client):
    meeting = new_meeting({Access.PUBLIC: MeetingFactory(slug="other")}, Access.RESTRICTED)
    data = admin_meeting_post(meeting)
    data.update({
        "sessions-TOTAL_FORMS": "1", "sessions-0-title": "Opening", "sessions-0-kind": "plenary",
        "sessions-0-starts_on": "2030-05-01", "sessions-0-venue": meeting.venue_id, "sessions-0-mode": "in_person",
        "sessions-0-status": "scheduled",
    })  # fmt: skip

    response = data_entry_client.post("/admin/events/meeting/add/", data)

    assert response.status_code == 302
    created = Meeting.objects.get(slug="new")
    assert (created.access, list(created.sessions.values_list("title", "access"))) == (
        Access.RESTRICTED, [("Opening", Access.RESTRICTED)],
    )  # fmt: skip


def test_admin_form_leaves_out_a_parent_the_user_may_not_see_and_keeps_it(data_entry_client):

    parent = MeetingFactory(title="Secret Summit SECRETPARENT", slug="secret-summit", access=Access.CONFIDENTIAL)
    child = MeetingFactory(slug="side", parent=parent, access=Access.RESTRICTED)

    page = data_entry_client.get(f"/admin/events/meeting/{child.pk}/change/").content.decode()
    data = admin_meeting_post(child, title="Renamed")
    del data["ordinal"]
    saved = data_entry_client.post(f"/admin/events/meeting/{child.pk}/change/", data)

    assert ("SECRETPARENT" in page, 'name="parent"' in page) == (False, False)
    assert saved.status_code == 302
    child.refresh_from_db()
    assert (child.title, child.parent_id) == ("Renamed", parent.pk)


def test_admin_file_widget_links_to_the_checked_view(files, editor_client):
    document = files[Access.CONFIDENTIAL]

    page = editor_client.get(f"/admin/events/outcomedocument/{document.pk}/change/").content.decode()

    assert f'href="/documents/{document.pk}/file/"' in page
    assert "/media/" not in page


def shared_callbacks():
    """URL callbacks that are one instance serving every request (not a function such as as_view() makes)."""
    import inspect

    from django.urls import URLPattern
    from django.urls import URLResolver
    from django.urls import get_resolver

    def walk(resolver):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry)
            elif isinstance(entry, URLPattern):
                yield str(entry.pattern), entry.callback

    def is_shared_instance(callback):
        target = inspect.unwrap(callback)
        return not (inspect.isfunction(target) or inspect.ismethod(target) or inspect.isfunction(callback))

    return {route: cb for route, cb in walk(get_resolver()) if is_shared_instance(cb)}


def test_shared_view_instances_keep_nothing_about_a_request(client, viewer_client, published_later):
    shared = shared_callbacks()
    for some_client in (client, viewer_client):
        some_client.get("/changes/feed/?since=2000-01-01")

    assert {route: type(cb).__name__ for route, cb in shared.items()} == {"changes/feed/": "ChangesFeed"}
    assert {route: vars(cb) for route, cb in shared.items()} == {"changes/feed/": {}}


def test_history_admin_session_records_held_under_a_hidden_meeting_are_not_shown(data_entry_client):
    from .factories import SessionFactory

    meeting = MeetingFactory(access=Access.CONFIDENTIAL)
    session = SessionFactory(meeting=meeting, title="Old SECRETSESSIONOLD")
    old_version = session.history.get().history_id
    session.title = "Plenary"
    session.save()
    meeting.access = Access.RESTRICTED
    meeting.save()
    session.description = "Agenda"
    session.save()

    listing = data_entry_client.get(f"/admin/events/session/{session.pk}/history/").content.decode()
    version = data_entry_client.get(f"/admin/events/session/{session.pk}/history/{old_version}/")

    assert ("SECRETSESSIONOLD" in listing, "Plenary" in listing) == (False, True)
    assert version.status_code == 404


def test_spreadsheet_import_page_tells_a_clerk_new_rows_start_restricted(data_entry_client, editor_client):
    note = "New rows without an access level are created as restricted"

    assert note in data_entry_client.get("/admin/events/meeting/import/").content.decode()
    assert note not in editor_client.get("/admin/events/meeting/import/").content.decode()


def test_spreadsheet_row_without_access_level_from_a_clerk_starts_restricted(data_entry_user):
    from events.resources import MeetingResource

    from .factories import SeriesFactory
    from .factories import VenueFactory

    SeriesFactory(slug="summit")
    VenueFactory(name="Suntec", city="Singapore")
    result = MeetingResource().import_data(
        dataset("slug,title,series,start_date,end_date,venue,mode,status\n"
                "quiet,Quiet,summit,2030-11-10,2030-11-13,Suntec,in_person,scheduled\n"),
        rollback_on_validation_errors=True,
        user=data_entry_user,
    )  # fmt: skip

    assert not result.has_validation_errors()
    assert list(Meeting.objects.values_list("slug", "access")) == [("quiet", Access.RESTRICTED)]


def test_import_ics_command_as_a_user_reports_what_it_may_not_change(data_entry_user, tmp_path):
    import io

    from django.core.management import call_command


    hidden = MeetingFactory(access=Access.CONFIDENTIAL, external_uid="partner-secret@example.org", title="Hidden")
    source = tmp_path / "p.ics"
    source.write_bytes(ics_event("partner-secret@example.org") + b"")
    out = io.StringIO()

    call_command("import_ics", str(source), series=hidden.series.slug, user="clerk", no_progress=True, stdout=out)

    assert "1 not applied (partner-secret@example.org: matches a meeting you may not change)" in out.getvalue()
    hidden.refresh_from_db()
    assert (hidden.title, hidden.access) == ("Hidden", Access.CONFIDENTIAL)


def test_references_a_parent_made_confidential_leaves_its_parts_feed_events(client):
    parent = MeetingFactory(slug="summit", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 1, 2))
    MeetingFactory(slug="side", parent=parent)
    named = f"RELATED-TO;RELTYPE=PARENT:meeting-{parent.pk}@"
    before = client.get("/feeds/all.ics").content.decode()

    parent.access = Access.CONFIDENTIAL
    parent.save()
    after = client.get("/feeds/all.ics").content.decode()

    assert (named in before, named in after) == (True, False)


# --- Doors found leaking in review: each asks the policy, met as the clerk (Data entry) meets them ------------


def test_spreadsheet_row_naming_a_hidden_session_tells_nothing_of_its_history(data_entry_user):
    secret = SessionFactory(title="Secret talks", access=Access.CONFIDENTIAL, join_passcode="999")
    secret.join_passcode = "111"
    secret.save()
    sheet = f"id,meeting,title,starts_on,revision\n{secret.pk},{secret.meeting.slug},Renamed,2030-03-01,1\n"

    result = SessionResource().import_data(dataset(sheet), dry_run=True, user=data_entry_user)

    messages = [m for row in result.invalid_rows for m in row.non_field_specific_errors]
    assert messages == ["You may not change this session; the row is not applied."]


def test_ics_import_as_a_clerk_refuses_a_confidential_event_instead_of_lowering_it(data_entry_user):
    series = MeetingFactory().series
    result = import_calendar(data=ics_event("partner-secret", cls="CONFIDENTIAL"), series=series, user=data_entry_user)
    assert result.not_applied == [
        "partner-secret: You may not add an item at a level you cannot see.",
        "partner-secret: its 1 session(s) neither",
    ]
    assert Meeting.objects.filter(external_uid="partner-secret").exists() is False


def test_ics_import_as_a_clerk_may_not_publish_a_session_by_moving_it_into_a_public_meeting(data_entry_user):
    quiet = MeetingFactory(access=Access.RESTRICTED, start_date=dt.date(2030, 6, 1), end_date=dt.date(2030, 6, 1))
    public = MeetingFactory(access=Access.PUBLIC, start_date=dt.date(2030, 6, 1), end_date=dt.date(2030, 6, 1))
    session = SessionFactory(meeting=quiet, access=Access.PUBLIC, starts_on=dt.date(2030, 6, 1))
    feed = ics_calendar(
        vevent(f"meeting-{public.pk}@{settings.SITE_DOMAIN}", "Open", "DTSTART;VALUE=DATE:20300601",
               "DTEND;VALUE=DATE:20300602"),
        vevent(f"session-{session.pk}@{settings.SITE_DOMAIN}", "Moved", "DTSTART;VALUE=DATE:20300601",
               "DTEND;VALUE=DATE:20300602", f"RELATED-TO:meeting-{public.pk}@{settings.SITE_DOMAIN}"),
    ).encode()  # fmt: skip

    result = import_calendar(data=feed, series=public.series, user=data_entry_user)

    session.refresh_from_db()
    assert session.meeting_id == quiet.pk
    assert any("Only an editor may publish" in line for line in result.not_applied)


def test_document_history_is_hidden_while_its_session_was_confidential(data_entry_client):
    meeting = MeetingFactory(access=Access.RESTRICTED)
    secret = SessionFactory(meeting=meeting, access=Access.CONFIDENTIAL)
    document = DocumentFactory(meeting=meeting, session=secret, title="SECRET DRAFT TITLE")
    document.session, document.title = None, "Declaration"
    document.save()

    page = data_entry_client.get(f"/admin/events/outcomedocument/{document.pk}/history/").content.decode()

    assert "Declaration" in page
    assert "SECRET DRAFT TITLE" not in page


def test_admin_related_meetings_lists_only_parts_the_user_may_see(data_entry_client):
    summit = MeetingFactory(access=Access.RESTRICTED)
    MeetingFactory(parent=summit, title="Open ministers' meeting", access=Access.RESTRICTED)
    MeetingFactory(parent=summit, title="Hidden retreat", access=Access.CONFIDENTIAL)

    page = data_entry_client.get(f"/admin/events/meeting/{summit.pk}/change/").content.decode()

    assert "Open ministers&#x27; meeting" in page
    assert "Hidden retreat" not in page


def test_spreadsheet_export_blanks_a_hidden_parent_and_importing_the_sheet_keeps_it(data_entry_client, data_entry_user):
    hidden = MeetingFactory(slug="hidden-summit", access=Access.CONFIDENTIAL)
    part = MeetingFactory(slug="side", parent=hidden, access=Access.RESTRICTED)

    response = data_entry_client.post(
        "/admin/events/meeting/export/",
        {"format": "0", "resource": "0", **{f"meetingresource_{f}": "on" for f in MeetingResource._meta.fields}},
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["slug"], row["parent"]) for row in rows] == [("side", "")]

    result = MeetingResource(user=data_entry_user).import_data(dataset(response.content.decode("utf-8-sig")),
                                                              user=data_entry_user)  # fmt: skip
    assert not result.has_validation_errors()
    part.refresh_from_db()
    assert part.parent_id == hidden.pk


def test_duplicate_as_next_edition_copies_only_the_sessions_the_clerk_may_see(data_entry_client):
    meeting = MeetingFactory(ordinal=32, access=Access.RESTRICTED)
    SessionFactory(meeting=meeting, title="Plenary", access=Access.RESTRICTED)
    SessionFactory(meeting=meeting, title="Heads' retreat", access=Access.CONFIDENTIAL)

    data_entry_client.post(
        "/admin/events/meeting/",
        {"action": "duplicate_as_next_edition", "_selected_action": [meeting.pk], "apply": "1", "shift_days": "7"},
    )

    copy = Meeting.objects.get(series=meeting.series, ordinal=33)
    assert list(copy.sessions.values_list("title", flat=True)) == ["Plenary"]


def test_export_calendar_as_a_viewer_lists_only_the_delegates_sessions_they_may_see(viewer_user):
    meeting = MeetingFactory(slug="summit", access=Access.RESTRICTED)
    shown = SessionFactory(meeting=meeting, access=Access.RESTRICTED)
    hidden = SessionFactory(meeting=meeting, access=Access.CONFIDENTIAL)
    member = DelegationMemberFactory(delegation=DelegationFactory(meeting=meeting))
    member.sessions.set([shown, hidden])

    out = io.StringIO()
    call_command("export_calendar", format="json", user="viewer", stdout=out)

    [exported] = json.loads(out.getvalue())["meetings"]
    assert exported["delegations"][0]["members"][0]["sessions"] == [shown.pk]
