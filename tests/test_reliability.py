"""Nothing is lost: optimistic locking in the admin (recovery of deleted meetings is
in test_recovery.py), and the bad-input catalogue (each case: a 4xx or form error with a message, and
the database unchanged)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from events.models import Meeting, OutcomeDocument, Session

from .conftest import admin_meeting_post, signed_in
from .factories import DocumentFactory, MeetingFactory, SessionFactory, StaffFactory

pytestmark = pytest.mark.django_db



def loaded_revision(client, meeting):
    response = client.get(reverse("admin:events_meeting_change", args=[meeting.pk]))
    return response.context["adminform"].form["revision"].value()


# --- No lost updates -------------------------------------------------------------


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


# --- Bad input catalogue ------------------------------------------------------------------
# Each case: a 4xx or a form error with a message, and the database unchanged (`unchanged`).


# `unchanged` (tests/conftest.py) compares every row before and after.


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/feeds/all.ics?from=2030-03-05&to=2030-03-01", "The end of the date range is before its start."),
        ("/api/v1/meetings/?from=2030-03-05&to=2030-03-01", "The end of the date range is before its start."),
        ("/meetings/?from=2030-03-05&to=2030-03-01", "The end of the date range is before its start."),
        ("/feeds/all.ics?from=0001-01-01", "Dates must lie between 1967 and 2100."),
        ("/api/v1/sessions/?to=9999-12-31", "Dates must lie between 1967 and 2100."),
        ("/api/v1/meetings/?from=2030-02-30", "Enter a valid date."),
        ("/feeds/all.ics?series=%27%20OR%201%3D1--", "is not one of the available choices"),
        ("/feeds/all.ics?country=ZZ", "ZZ is not one of the available choices"),
        ("/feeds/all.ics?per_day=maybe", "per_day must be 1 or 0."),
    ],
)
def test_bad_filter_is_a_400_with_a_message(unchanged, url, message):
    response = Client().get(url)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["' OR '1'='1", "%", "_", "\\", "'; DROP TABLE events_meeting; --", '" UNION SELECT password FROM auth_user --'],
)
def test_sql_metacharacters_in_search_are_plain_text(unchanged, query):
    client = Client()
    api = client.get("/api/v1/meetings/", {"q": query})
    page = client.get("/meetings/", {"q": query})
    feed = client.get("/feeds/all.ics", {"q": query})
    assert (api.status_code, api.json()["count"]) == (200, 0)
    assert page.status_code == 200
    assert "Steady Summit" not in page.content.decode()
    assert "Steady" not in feed.content.decode()


def test_sql_metacharacters_still_match_literally(unchanged):
    meeting = Meeting.objects.get()
    Meeting.objects.filter(pk=meeting.pk).update(theme="100% _smart_ cities")
    response = Client().get("/api/v1/meetings/", {"q": "100% _smart_"})
    assert [m["slug"] for m in response.json()["results"]] == ["steady-summit"]
    Meeting.objects.filter(pk=meeting.pk).update(theme="")  # `unchanged` compares updated stamps, not themes


def test_search_longer_than_the_limit_is_a_400(unchanged):
    response = Client().get("/api/v1/meetings/", {"q": "a" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()


@pytest.mark.parametrize("size", ["1000000000", "0", "-5", "ten", "²", "1\u00b2", "\u0663"])
def test_huge_or_malformed_page_size_is_400_with_a_message(db, size):
    MeetingFactory.create_batch(4)
    response = Client().get("/api/v1/meetings/", {"page_size": size})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give a whole number from 1 to 200."]}


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "abc"])
def test_absurd_page_numbers_are_404_with_a_message(unchanged, page):
    response = Client().get("/api/v1/meetings/", {"page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


@pytest.mark.parametrize("token", ["x", "A" * 500, "%00%0d%0aSet-Cookie:x=1", "..%2F..%2Fetc%2Fpasswd"])
def test_malformed_feed_tokens_are_404_with_a_message(unchanged, token):
    response = Client().get(f"/feeds/private/{token}.ics")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("header", ["Token", "Token not-a-token", "Token a b", "Bearer \u00ff\u00fe"])
def test_malformed_api_tokens_are_401_with_a_message(unchanged, header):
    response = Client().post(
        "/api/v1/meetings/", {"title": "Nope"}, content_type="application/json", headers={"Authorization": header}
    )
    assert response.status_code in {401, 403}
    assert response.json()["detail"]


def test_unknown_time_zone_is_a_form_error_in_the_admin(unchanged):
    meeting = unchanged
    client = signed_in(StaffFactory(username="alice"))
    response = client.post(
        reverse("admin:events_meeting_change", args=[meeting.pk]),
        admin_meeting_post(meeting, meeting.revision, venue="", timezone="Mars/Olympus_Mons"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["timezone"] == [
        "“Mars/Olympus_Mons” is not a known IANA time zone."
    ]


def test_unknown_time_zone_is_a_400_in_the_api(unchanged, staff_client):
    meeting = unchanged
    response = staff_client.patch(
        f"/api/v1/meetings/{meeting.slug}/",
        {"timezone": "Asia/Atlantis"},
        content_type="application/json",
        headers={"If-Match": f'"{meeting.revision}"'},
    )
    assert response.status_code == 400
    assert "Asia/Atlantis" in str(response.json())


def test_reversed_meeting_dates_are_a_form_error_in_the_admin(unchanged):
    meeting = unchanged
    client = signed_in(StaffFactory(username="alice"))
    response = client.post(
        reverse("admin:events_meeting_change", args=[meeting.pk]),
        admin_meeting_post(meeting, meeting.revision, start_date="2030-03-05", end_date="2030-03-01"),
    )
    assert response.context["adminform"].form.errors["end_date"] == ["The meeting cannot end before it starts."]


def test_absurd_meeting_year_is_a_400_in_the_api(unchanged, staff_client):
    response = staff_client.patch(
        f"/api/v1/meetings/{unchanged.slug}/",
        {"start_date": "99999-01-01"},
        content_type="application/json",
        headers={"If-Match": f'"{unchanged.revision}"'},
    )
    assert response.status_code == 400
    assert "start_date" in response.json()


def test_non_utf8_body_is_a_400_in_the_api(unchanged, staff_client):
    response = staff_client.post("/api/v1/meetings/", b'{"title": "\xff\xfe\xfa"}', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_oversized_body_is_a_400(unchanged, staff_client):
    body = b'{"title": "' + b"a" * (11 * 1024 * 1024) + b'"}'
    response = staff_client.post("/api/v1/meetings/", body, content_type="application/json")
    assert response.status_code == 400


def document_upload(meeting, upload):
    return {
        "meeting": meeting.pk, "title": "Declaration", "kind": "declaration", "status": "draft",
        "language": "en", "file": upload,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        # A "../" prefix never reaches the form: Django keeps only the base name (next test).
        ("..\\..\\boot.pdf", b"%PDF-1.4", "is not a plain file name"),
        ("statement\r\n.pdf", b"%PDF-1.4", "is not a plain file name"),
        ("script.html", b"<script>alert(1)</script>", "Upload a document"),
    ],
)
def test_bad_document_file_names_are_form_errors(unchanged, name, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from events.forms import DocumentAdminForm

    form = DocumentAdminForm(
        data=document_upload(unchanged, None), files={"file": SimpleUploadedFile(name, content)}
    )
    assert not form.is_valid()
    assert message in form.errors["file"][0]


def test_path_traversal_in_an_uploaded_name_never_leaves_the_documents_folder(db, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    meeting = MeetingFactory()

    settings.MEDIA_ROOT = tmp_path / "media"
    client = signed_in(StaffFactory(username="alice"))
    upload = SimpleUploadedFile("../../../../tmp/evil.pdf", b"%PDF-1.4")
    response = client.post(reverse("admin:events_outcomedocument_add"), document_upload(meeting, upload))
    # Django's upload parser keeps only the base name; the file lands under documents/<year>/.
    assert response.status_code == 302
    document = OutcomeDocument.objects.get()
    assert document.file.name.startswith("documents/")
    assert ".." not in document.file.name
    assert (tmp_path / "media" / document.file.name).is_file()
    assert not (tmp_path / "evil.pdf").exists()


def test_oversized_document_upload_is_a_form_error(unchanged, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from events.forms import DocumentAdminForm

    settings.MAX_DOCUMENT_UPLOAD_BYTES = 1024
    form = DocumentAdminForm(
        data=document_upload(unchanged, None), files={"file": SimpleUploadedFile("big.pdf", b"x" * 2048)}
    )
    assert form.errors["file"] == ["The file is 2.0\xa0KB; the limit is 1.0\xa0KB."]


@pytest.mark.parametrize(
    "title",
    ["Summit\r\nATTENDEE:mailto:evil@example.org", "Summit\nEND:VEVENT\nBEGIN:VEVENT", "Summit\x1b[31m\x7f\x0b\x08"],
)
def test_control_characters_and_crlf_in_titles_cannot_inject_icalendar_lines(db, title):
    meeting = MeetingFactory(slug="injected", title=title)
    SessionFactory(meeting=meeting, title=title)
    body = Client().get("/feeds/all.ics").content.decode()
    lines = body.split("\r\n")
    assert not any(line.startswith(("ATTENDEE", "BEGIN:VEVENT\\", "END:VEVENT\\")) for line in lines)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 1
    assert not any(ord(char) < 32 and char not in "\t" for line in lines for char in line)


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def xss_meeting(db):
    meeting = MeetingFactory(slug="xss", title=XSS, start_date=dt.date(2099, 1, 1), end_date=dt.date(2099, 1, 2))
    SessionFactory(meeting=meeting, title=XSS)
    DocumentFactory(meeting=meeting, title=XSS)
    return meeting


@pytest.mark.parametrize("url", ["/", "/meetings/", "/meetings/xss/", "/changes/", "/documents/", "/changes/feed/"])
def test_html_in_titles_is_escaped_in_every_page(xss_meeting, url):
    response = Client().get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;alert" in body


@pytest.mark.parametrize(
    ("url", "content_type"),
    [("/api/v1/meetings/", "application/json"), ("/feeds/all.ics", "text/calendar; charset=utf-8")],
)
def test_html_in_titles_is_kept_as_data_in_json_and_icalendar_never_served_as_html(xss_meeting, url, content_type):
    response = Client().get(url)
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "&lt;script" not in response.content.decode()  # data, not double-escaped markup


def test_nul_character_in_a_title_is_a_form_error(unchanged):
    meeting = unchanged
    client = signed_in(StaffFactory(username="alice"))
    response = client.post(
        reverse("admin:events_meeting_change", args=[meeting.pk]),
        admin_meeting_post(meeting, meeting.revision, title="Steady\x00Summit"),
    )
    assert response.context["adminform"].form.errors["title"] == ["Null characters are not allowed."]


def test_record_file_with_a_bad_row_is_refused_naming_the_row(unchanged, tmp_path):
    from django.core.management import CommandError, call_command

    from .conftest import meeting_row, write_record

    write_record(tmp_path, meetings=[meeting_row(series="no-such-series")])
    with pytest.raises(CommandError) as error:
        call_command("load_seed", "--record", str(tmp_path), verbosity=0)
    assert str(error.value) == (
        "Record not loaded, nothing changed: meetings.csv row 1: series: No series with slug “no-such-series”."
    )


def test_record_file_that_is_not_utf8_is_refused(unchanged, tmp_path):
    from django.core.management import CommandError, call_command

    from .conftest import write_record

    write_record(tmp_path)
    latin1 = "name,city,country,timezone\nCaf\xe9,Hanoi,VN,Asia/Ho_Chi_Minh\n".encode("latin-1")
    (tmp_path / "venues.csv").write_bytes(latin1)
    with pytest.raises(CommandError) as error:
        call_command("load_seed", "--record", str(tmp_path), verbosity=0)
    assert str(error.value) == (
        "Record not loaded, nothing changed: venues.csv: not UTF-8 text (invalid continuation byte at byte 30)."
    )


@pytest.mark.parametrize(
    "url",
    ["/admin/r/abc/1/", "/admin/r/1/not-a-number/", "/admin/events/meeting/{pk}/history/abc/"],
)
def test_malformed_admin_object_addresses_are_not_found(unchanged, editor_client, url):
    response = editor_client.get(url.format(pk=unchanged.pk))

    assert response.status_code == 404
