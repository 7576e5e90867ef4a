"""The access policy at every door, per role (issue 10's acceptance).

A crawl per role (anonymous, signed in without a role, Viewer, Data entry, Editor,
Administrator) over every URL pattern: pages, feeds, API, document files, and the
admin's change lists, change forms, history (and each historical version),
autocomplete, import and export pages and exports. Markers sit in restricted and
confidential titles, descriptions, join links and files; each must appear exactly
where the policy allows: nowhere above the role's level, and (so the crawl is not
vacuous) somewhere for each level the role may see.

Then a write matrix: every write path x role x level, asserting the database after
each attempt against the README's policy table.
"""

import csv
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from events import access
from events.models import Access
from events.models import Delegation
from events.models import Meeting
from events.models import OutcomeDocument
from events.models import Session

from .conftest import SEARCHES
from .conftest import admin_meeting_post
from .conftest import fill
from .conftest import ics_event
from .conftest import new_meeting
from .conftest import patterns
from .conftest import readme_policy_table
from .conftest import signed_in
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db

RESTRICTED_MARKERS = {
    "SECRETCLOSED", "SECRETDESC", "SECRETRS", "SECRETRM", "SECRETRMID", "SECRETTHEME", "SECRETMP", "SECRETDOC1",
    "SECRETDOCURL1", "SECRETNOTE", "JOINSECRET-closed", "PASSSECRET2", "FILESECRET-R", "restricted-ministerial",
}  # fmt: skip
CONFIDENTIAL_MARKERS = {
    "SECRETCD", "SECRETCR", "SECRETMEETINGDESC", "SECRETLO", "SECRETDOC2", "SECRETORG", "FILESECRET-C",
    "confidential-retreat",
}  # fmt: skip
# Join details of public sessions go to signed-in users only.
SIGNED_IN_MARKERS = {"JOINSECRET-public", "PASSSECRET1"}
PUBLIC_MARKERS = {"PUBLICMARK", "FILEPUBLIC"}
ALL_MARKERS = RESTRICTED_MARKERS | CONFIDENTIAL_MARKERS | SIGNED_IN_MARKERS | PUBLIC_MARKERS
ROLES = ["anonymous", "signed in, no role", "Viewer", "Data entry", "Editor", "Administrator"]


def allowed_markers(user):
    levels = access.visible_levels(user)
    markers = set(PUBLIC_MARKERS)
    if user is not None:
        markers |= SIGNED_IN_MARKERS
    if Access.RESTRICTED in levels:
        markers |= RESTRICTED_MARKERS
    if Access.CONFIDENTIAL in levels:
        markers |= CONFIDENTIAL_MARKERS
    return markers


@pytest.fixture
def secret_world_with_files(secret_world, settings, tmp_path):
    """The secret world of test_access plus files at each level and some history to browse."""
    settings.MEDIA_ROOT = tmp_path
    settings.SENDFILE_ROOT = str(tmp_path)
    public = Meeting.objects.get(slug="open-summit")
    restricted = Meeting.objects.get(slug="restricted-ministerial")
    confidential = Meeting.objects.get(slug="confidential-retreat")
    for meeting, marker in ((public, "FILEPUBLIC"), (restricted, "FILESECRET-R"), (confidential, "FILESECRET-C")):
        document = DocumentFactory(meeting=meeting, title=f"File of {meeting.slug}")
        document.file.save("minutes.pdf", ContentFile(f"%PDF-1.4 {marker}".encode()))
    # History worth reading: a public meeting whose title changes, a restricted one edited twice.
    public.theme = "Resilient cities"
    public.save()
    restricted.description = "More SECRETDESC"
    restricted.save()
    models = {"meeting": Meeting, "session": Session, "outcomedocument": OutcomeDocument, "delegation": Delegation}
    secret_world["pk"] = sorted(
        {*secret_world["pk"], *(str(pk) for pk in OutcomeDocument.objects.values_list("pk", flat=True))}, key=int
    )
    secret_world["object_id"] = secret_world["id"] = secret_world["pk"]
    secret_world["models"] = models
    return secret_world


def admin_urls(values):
    """Admin URLs of the levelled models: each object's pages, each historical version, searches, autocomplete."""
    urls = ["/admin/", "/admin/events/", "/admin/events/meeting/recover-deleted/", "/admin/events/meeting/import-ics/"]
    for name, model in values["models"].items():
        base = f"/admin/events/{name}/"
        urls += [base, f"{base}?q=Ministerial", f"{base}?q=Retreat", f"{base}add/"]
        if name in {"meeting", "session"}:
            urls += [f"{base}import/", f"{base}export/"]
        for pk in model.objects.values_list("pk", flat=True):
            urls += [f"{base}{pk}/change/", f"{base}{pk}/history/", f"{base}{pk}/delete/", f"{base}{pk}/"]
        for pk, version in model.history.values_list("id", "history_id"):
            urls.append(f"{base}{pk}/history/{version}/")
    for model_name, field in (("meeting", "parent"), ("session", "meeting"), ("outcomedocument", "meeting"),
                              ("outcomedocument", "session"), ("delegation", "meeting")):  # fmt: skip
        urls.append(f"/admin/autocomplete/?app_label=events&model_name={model_name}&field_name={field}&term=")
    return urls


def content_type_urls():
    from django.contrib.contenttypes.models import ContentType

    meeting_type = ContentType.objects.get_for_model(Meeting)
    return [f"/admin/r/{meeting_type.pk}/{pk}/" for pk in Meeting.objects.values_list("pk", flat=True)]


def export_posts():
    from events.resources import MeetingResource
    from events.resources import SessionResource

    return {
        "/admin/events/meeting/export/": {
            "format": "0", "resource": "0", **{f"meetingresource_{f}": "on" for f in MeetingResource._meta.fields}
        },
        "/admin/events/session/export/": {
            "format": "0", "resource": "0", **{f"sessionresource_{f}": "on" for f in SessionResource._meta.fields}
        },
    }  # fmt: skip


def body_of(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace").replace("\r\n ", "")
    # A redirect's target counts as shown too (a slug in a Location header is a leak).
    return f"{response.get('Location', '')}\n{text}"


def role_crawl(user, values):
    client = Client()
    if user is not None:
        client.force_login(user)
    public_routes = [route for route in patterns() if not route.startswith("admin/")]
    urls = sorted({url for route in public_routes for url in fill(route, values)} | set(SEARCHES))
    urls += admin_urls(values) + content_type_urls()
    pages = {}
    for url in urls:
        response = client.get(url, headers={"Accept-Language": "en"})
        pages[url] = (response.status_code, body_of(response))
    for url, data in export_posts().items():
        response = client.post(url, data)
        pages[f"POST {url}"] = (response.status_code, body_of(response))
    return pages


def found_markers(pages):
    return {marker: sorted(url for url, (_s, body) in pages.items() if marker in body) for marker in ALL_MARKERS}


@pytest.mark.parametrize("role", ROLES)
def test_role_crawl_shows_markers_exactly_where_the_policy_allows(secret_world_with_files, role_users, role):
    user = role_users[role]
    pages = role_crawl(user, secret_world_with_files)
    found = found_markers(pages)
    allowed = allowed_markers(user)

    leaks = {marker: urls for marker, urls in found.items() if urls and marker not in allowed}
    missing = sorted(marker for marker in allowed if not found[marker])
    assert leaks == {}
    assert missing == []
    assert len(pages) >= 150


@pytest.mark.parametrize("role", ROLES)
def test_role_crawl_reaches_the_admin_doors_the_role_has(secret_world_with_files, role_users, role):
    """Not vacuous: staff roles get the admin pages (200), the others the login page."""
    user = role_users[role]
    client = Client()
    if user is not None:
        client.force_login(user)
    restricted = Meeting.objects.get(slug="restricted-ministerial")
    statuses = {
        url: client.get(url).status_code
        for url in ("/admin/events/meeting/", f"/admin/events/meeting/{restricted.pk}/change/",
                    f"/admin/events/meeting/{restricted.pk}/history/", "/admin/events/meeting/import/")
    }  # fmt: skip
    expected = {
        "anonymous": (302, 302, 302, 302),
        "signed in, no role": (302, 302, 302, 302),
        "Viewer": (200, 200, 200, 403),
        "Data entry": (200, 200, 200, 200),
        "Editor": (200, 200, 200, 200),
        "Administrator": (200, 200, 200, 200),
    }[role]
    assert tuple(statuses.values()) == expected


# --- The write matrix -------------------------------------------------------------

LEVELS = [Access.PUBLIC, Access.RESTRICTED, Access.CONFIDENTIAL]
LETTER = {Access.PUBLIC: "P", Access.RESTRICTED: "R", Access.CONFIDENTIAL: "C"}


def readme_allows(role, action_label, level):
    """The README's policy table is the oracle of the write matrix."""
    header, rows = readme_policy_table()
    cells = dict(rows)[action_label]
    return LETTER[level] in cells[header.index(role) - 1].split()


@pytest.fixture
def target(db):
    """A meeting at each level, each with one session; all on 1-3 March 2030 in Singapore."""
    series = SeriesFactory(slug="summit", name="ASEAN Summit")
    venue = VenueFactory(name="Suntec", city="Singapore")
    meetings = {}
    for number, level in enumerate(LEVELS, start=1):
        meeting = MeetingFactory(series=series, venue=venue, slug=f"m-{level}", title=f"M {level}", access=level,
                                 ordinal=number * 10)  # fmt: skip
        SessionFactory(meeting=meeting, title=f"S {level}", access=level)
        meetings[level] = meeting
    return meetings


def meeting_and_session_levels():
    """Every meeting's slug, title, level and revision, and every session's title, level and meeting."""
    return (
        sorted(Meeting.objects.values_list("slug", "title", "access", "revision")),
        sorted(Session.objects.values_list("id", "title", "access", "meeting_id")),
    )


# Each write path: (action label in the README, function(client maker, user, target, level) -> expected change).
def admin_create(user, target, level):
    signed_in(user).post("/admin/events/meeting/add/", admin_meeting_post(new_meeting(target, level)))
    return Meeting.objects.filter(slug="new", access=level).exists()


def admin_change(user, target, level):
    meeting = target[level]
    signed_in(user).post(f"/admin/events/meeting/{meeting.pk}/change/", admin_meeting_post(meeting, title="Renamed"))
    return Meeting.objects.filter(pk=meeting.pk, title="Renamed").exists()


def admin_set_level(user, target, level):
    meeting = target[Access.RESTRICTED if level != Access.RESTRICTED else Access.PUBLIC]
    signed_in(user).post(f"/admin/events/meeting/{meeting.pk}/change/", admin_meeting_post(meeting, access=level))
    return Meeting.objects.get(pk=meeting.pk).access == level


def admin_delete(user, target, level):
    meeting = target[level]
    signed_in(user).post(f"/admin/events/meeting/{meeting.pk}/delete/", {"post": "yes"})
    return not Meeting.objects.filter(pk=meeting.pk).exists()


def api_create(user, target, level):
    payload = {"title": "New", "slug": "new", "series": "summit", "start_date": "2030-05-01", "end_date": "2030-05-02",
               "timezone": "Asia/Singapore", "access": level}  # fmt: skip
    signed_in(user, api=True).post("/api/v1/meetings/", payload, format="json")
    return Meeting.objects.filter(slug="new", access=level).exists()


def api_change(user, target, level):
    meeting = target[level]
    signed_in(user, api=True).patch(
        f"/api/v1/meetings/{meeting.slug}/", {"title": "Renamed"}, format="json", HTTP_IF_MATCH=f'"{meeting.revision}"'
    )
    return Meeting.objects.filter(pk=meeting.pk, title="Renamed").exists()


def api_set_level(user, target, level):
    meeting = target[Access.RESTRICTED if level != Access.RESTRICTED else Access.PUBLIC]
    signed_in(user, api=True).patch(
        f"/api/v1/meetings/{meeting.slug}/", {"access": level}, format="json", HTTP_IF_MATCH=f'"{meeting.revision}"'
    )
    return Meeting.objects.get(pk=meeting.pk).access == level


def api_delete(user, target, level):
    meeting = target[level]
    signed_in(user, api=True).delete(f"/api/v1/meetings/{meeting.slug}/")
    return not Meeting.objects.filter(pk=meeting.pk).exists()


def api_change_session(user, target, level):
    session = target[level].sessions.get()
    signed_in(user, api=True).patch(
        f"/api/v1/sessions/{session.pk}/", {"title": "Renamed"}, format="json", HTTP_IF_MATCH=f'"{session.revision}"'
    )
    return Session.objects.filter(pk=session.pk, title="Renamed").exists()


def api_create_document(user, target, level):
    payload = {"meeting": target[level].slug, "title": "New declaration", "kind": "declaration"}
    signed_in(user, api=True).post("/api/v1/documents/", payload, format="json")
    return OutcomeDocument.objects.filter(title="New declaration", meeting=target[level]).exists()


def admin_add_delegation(user, target, level):
    signed_in(user).post(
        "/admin/events/delegation/add/",
        {"meeting": target[level].pk, "country": "TH", "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"},
    )
    return Delegation.objects.filter(meeting=target[level], country="TH").exists()


SHEET = "slug,title,series,start_date,end_date,venue,mode,status,access\n"


def spreadsheet(client, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview = client.post(
        "/admin/events/meeting/import/", {"format": "0", "import_file": SimpleUploadedFile("m.csv", text.encode())}
    )
    confirm = getattr(preview, "context", None) and preview.context.get("confirm_form")
    if confirm is not None:
        client.post("/admin/events/meeting/process_import/", confirm.initial)


def import_create(user, target, level):
    spreadsheet(signed_in(user), SHEET + f"new,New,summit,2030-05-01,2030-05-02,Suntec,in_person,scheduled,{level}\n")
    return Meeting.objects.filter(slug="new", access=level).exists()


def import_change(user, target, level):
    meeting = target[level]
    spreadsheet(
        signed_in(user),
        SHEET + f"{meeting.slug},Renamed,summit,2030-03-01,2030-03-03,Suntec,in_person,scheduled,{level}\n",
    )
    return Meeting.objects.filter(pk=meeting.pk, title="Renamed").exists()


def ics_change(user, target, level):
    from django.core.files.uploadedfile import SimpleUploadedFile

    meeting = target[level]
    meeting.external_uid = f"partner-{level}@example.org"
    meeting.save()
    cls = {"public": "PUBLIC", "restricted": "PRIVATE", "confidential": "CONFIDENTIAL"}[level]
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{meeting.external_uid}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART;VALUE=DATE:20300301\r\n"
        f"DTEND;VALUE=DATE:20300304\r\nSUMMARY:Renamed\r\nCLASS:{cls}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    signed_in(user).post(
        "/admin/events/meeting/import-ics/",
        {"series": meeting.series_id, "file": SimpleUploadedFile("p.ics", text.encode())},
    )
    return Meeting.objects.filter(pk=meeting.pk, title="Renamed").exists()


def duplicate(user, target, level):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    meeting = target[level]
    signed_in(user).post(
        "/admin/events/meeting/",
        {"action": "duplicate_as_next_edition", ACTION_CHECKBOX_NAME: [meeting.pk], "apply": "1", "shift_days": "365"},
    )
    return Meeting.objects.filter(ordinal=meeting.ordinal + 1, series=meeting.series, access=level).exists()


def recover(user, target, level):
    meeting = target[level]
    pk = meeting.pk
    meeting.delete()
    record = Meeting.history.get(id=pk, history_type="-")
    signed_in(user).post("/admin/events/meeting/recover-deleted/", {"history_id": record.history_id})
    return Meeting.objects.filter(pk=pk).exists()


WRITE_PATHS = {
    "admin add": ("create at this level", admin_create),
    "admin change": ("change an item at this level", admin_change),
    "admin set level": ("set an item's level to this one", admin_set_level),
    "admin delete": ("delete an item at this level", admin_delete),
    "API create": ("create at this level", api_create),
    "API change": ("change an item at this level", api_change),
    "API change session": ("change an item at this level", api_change_session),
    "API set level": ("set an item's level to this one", api_set_level),
    "API delete": ("delete an item at this level", api_delete),
    # A document or delegation takes its meeting's level: adding one to a public meeting publishes it.
    "API create document": ("create at this level", api_create_document),
    "admin add delegation": ("create at this level", admin_add_delegation),
    "spreadsheet import new row": ("import rows at this level", import_create),
    "spreadsheet import existing row": ("change an item at this level", import_change),
    "iCalendar import existing event": ("change an item at this level", ics_change),
    # A copy keeps the original's level only for a role that may create at that level.
    "duplicate as next edition": ("create at this level", duplicate),
    # Restoring needs add and delete: the roles that may delete at that level.
    "recover deleted": ("delete an item at this level", recover),
}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("path", WRITE_PATHS)
@pytest.mark.parametrize("role", ROLES)
def test_write_matrix(target, role_users, role, path, level):
    action, attempt = WRITE_PATHS[path]
    user = role_users[role]
    before = meeting_and_session_levels()

    changed = attempt(user, target, level)

    after = meeting_and_session_levels()
    assert changed == readme_allows(role, action, level)
    old_slugs = {row[0] for row in before[0]}
    created = [row for row in after[0] if row[0] not in old_slugs]
    # Whatever a door created is at a level the role may create at (a clerk's copies start restricted).
    assert [row for row in created if not readme_allows(role, "create at this level", row[2])] == []
    if not changed and path != "recover deleted":  # recovering starts from a delete made by the test
        assert [row for row in after[0] if row[0] in old_slugs] == before[0]
        if not created:
            assert after[1] == before[1]


def test_write_matrix_is_every_door_with_a_write(target):
    """The matrix covers admin, API, both imports and both admin actions, at every level, for every role."""
    assert len(WRITE_PATHS) * len(LEVELS) * len(ROLES) == 288


def test_clerk_creations_start_restricted_with_a_note_of_who_may_publish(target, data_entry_user):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in(data_entry_user)
    public = target[Access.PUBLIC]
    duplicated = client.post(
        "/admin/events/meeting/",
        {"action": "duplicate_as_next_edition", ACTION_CHECKBOX_NAME: [public.pk], "apply": "1", "shift_days": "365"},
        follow=True,
    )
    imported = client.post(
        "/admin/events/meeting/import-ics/",
        {"series": public.series_id, "file": SimpleUploadedFile("p.ics", ics_event("partner-new@example.org"))},
        follow=True,
    )

    copy = Meeting.objects.get(series=public.series, ordinal=11)
    assert (copy.access, list(copy.sessions.values_list("access", flat=True))) == ("restricted", ["restricted"])
    assert "Created as restricted: only an editor (a role that may publish) can make it public." in [
        str(m) for m in duplicated.context["messages"]
    ]
    created = Meeting.objects.get(external_uid="partner-new@example.org")
    assert (created.access, created.sessions.get().access) == (Access.RESTRICTED, Access.RESTRICTED)
    assert [str(m) for m in imported.context["messages"]] == [
        "iCalendar imported: 2 created, 0 updated, 0 unchanged; 2 created as restricted: Only an editor (a role "
        "that may publish) can make it public.."
    ]


def test_ics_import_dry_run_reports_events_the_user_may_not_change_and_saves_nothing(target, data_entry_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    confidential = target[Access.CONFIDENTIAL]
    Meeting.objects.filter(pk=confidential.pk).update(external_uid="partner-secret@example.org")
    before = meeting_and_session_levels()

    response = signed_in(data_entry_user).post(
        "/admin/events/meeting/import-ics/",
        {"series": confidential.series_id, "dry_run": "on",
         "file": SimpleUploadedFile("p.ics", ics_event("partner-secret@example.org", "PUBLIC"))},
        follow=True,
    )  # fmt: skip

    assert [str(m) for m in response.context["messages"]] == [
        "iCalendar imported: 0 created, 0 updated, 0 unchanged, 1 not applied (partner-secret@example.org: "
        "matches a meeting you may not change) (dry run: nothing was saved)."
    ]
    assert meeting_and_session_levels() == before


def export_rows(user, model_name):
    data = export_posts()[f"/admin/events/{model_name}/export/"]
    response = signed_in(user).post(f"/admin/events/{model_name}/export/", data)
    if response.status_code != 200 or not response["Content-Type"].startswith("text/csv"):
        return None
    return sorted(row["slug" if model_name == "meeting" else "title"] for row in csv.DictReader(io.StringIO(
        response.content.decode())))  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_export_per_role_holds_exactly_the_levels_the_policy_allows(target, role_users, role):
    user = role_users[role]
    expected = sorted(f"m-{level}" for level in LEVELS if readme_allows(role, "export rows at this level", level))

    assert export_rows(user, "meeting") == (expected or None)


def test_import_dry_run_reports_rows_the_user_may_not_change_and_applies_nothing(target, data_entry_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    confidential = target[Access.CONFIDENTIAL]
    before = meeting_and_session_levels()
    preview = signed_in(data_entry_user).post(
        "/admin/events/meeting/import/",
        {"format": "0", "import_file": SimpleUploadedFile("m.csv", (
            SHEET + "m-confidential,Renamed,summit,2030-03-01,2030-03-03,Suntec,in_person,scheduled,public\n"
            "new,New,summit,2030-05-01,2030-05-02,Suntec,in_person,scheduled,restricted\n").encode())},
    )  # fmt: skip

    html = re.sub(r"\s+", " ", preview.content.decode())
    assert preview.context.get("confirm_form") is None
    assert "You may not change this meeting; the row is not applied." in html
    assert meeting_and_session_levels() == before
    assert confidential.title not in html
