"""Outcome document uploads (events/forms.py, DocumentAdminForm): a plain file name, a document type, a size
limit, and a stored name that never leaves MEDIA_ROOT."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from events.forms import DocumentAdminForm
from events.models import OutcomeDocument

from .conftest import signed_in
from .factories import MeetingFactory
from .factories import StaffFactory

pytestmark = pytest.mark.django_db


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

    form = DocumentAdminForm(data=document_upload(unchanged, None), files={"file": SimpleUploadedFile(name, content)})
    assert not form.is_valid()
    assert message in form.errors["file"][0]


def test_path_traversal_in_an_uploaded_name_never_leaves_the_documents_folder(db, settings, tmp_path):

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

    settings.MAX_DOCUMENT_UPLOAD_BYTES = 1024
    form = DocumentAdminForm(
        data=document_upload(unchanged, None), files={"file": SimpleUploadedFile("big.pdf", b"x" * 2048)}
    )
    assert form.errors["file"] == ["The file is 2.0\xa0KB; the limit is 1.0\xa0KB."]
