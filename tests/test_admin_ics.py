"""The admin page to upload a partner's .ics file (events/admin_ics.py): it imports and redirects, shows a bad
file's error, and the meeting change list links to it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from events.models import Meeting
from events.models import Session

from .conftest import PARTNER

pytestmark = pytest.mark.django_db


def test_admin_ics_upload_imports_and_redirects(administrator_client, import_references):
    response = administrator_client.post(
        "/admin/events/meeting/import-ics/",
        {"series": Meeting._meta.get_field("series").related_model.objects.get().pk,
         "file": SimpleUploadedFile("p.ics", PARTNER.encode())},
    )  # fmt: skip

    assert response.status_code == 302
    assert Session.objects.count() == 3


def test_admin_ics_upload_of_bad_file_shows_error(administrator_client, import_references):
    response = administrator_client.post(
        "/admin/events/meeting/import-ics/",
        {"series": Meeting._meta.get_field("series").related_model.objects.get().pk,
         "file": SimpleUploadedFile("p.ics", b"not a calendar")},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith("This is not")
    assert Meeting.objects.count() == 0


def test_changelist_links_to_ics_import(administrator_client, import_references):
    response = administrator_client.get("/admin/events/meeting/")

    assert b'href="/admin/events/meeting/import-ics/"' in response.content
    assert b"href='/admin/events/meeting/import/'" in response.content
    assert b'href="/admin/events/meeting/export/?"' in response.content
