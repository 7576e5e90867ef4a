"""Outcome documents (events/documents.py): their rules, the meeting revision they raise, who sees them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from events.models import Access
from events.models import Meeting
from events.models import OutcomeDocument

from .conftest import rejected_by_database
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SessionFactory
from .factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_document_published_needs_link_twice():
    document = DocumentFactory.build(meeting=MeetingFactory(), status=OutcomeDocument.DocumentStatus.PUBLISHED)
    with pytest.raises(ValidationError) as error:
        document.full_clean()
    assert error.value.message_dict["url"] == ["A published document needs a link or a file."]
    assert rejected_by_database(lambda: DocumentFactory(status="published"))


def test_document_adoption_date_requires_adopted_status_twice():
    document = DocumentFactory.build(meeting=MeetingFactory(), adopted_on=dt.date(2030, 3, 3))
    with pytest.raises(ValidationError):
        document.full_clean()
    assert rejected_by_database(lambda: DocumentFactory(adopted_on=dt.date(2030, 3, 3)))


def test_document_session_of_another_meeting_is_rejected_twice():
    session = SessionFactory()
    other = MeetingFactory()
    document = DocumentFactory.build(meeting=other, session=session)
    with pytest.raises(ValidationError) as error:
        document.full_clean()
    assert error.value.message_dict["session"] == ["The session belongs to another meeting."]
    assert rejected_by_database(lambda: DocumentFactory(meeting=other, session=session))


def test_meeting_revision_rises_when_a_document_is_added():
    meeting = MeetingFactory()
    DocumentFactory(meeting=meeting)
    assert Meeting.objects.get(pk=meeting.pk).revision == 2


def test_meeting_revision_rises_when_a_document_is_deleted():
    document = DocumentFactory()
    before = Meeting.objects.get(pk=document.meeting_id)
    OutcomeDocument.objects.filter(pk=document.pk).delete()
    after = Meeting.objects.get(pk=document.meeting_id)
    assert after.revision == before.revision + 1
    assert after.updated > before.updated


def test_document_visible_to_anonymous_hides_restricted_meeting_and_session_documents():
    from django.contrib.auth.models import AnonymousUser

    public = DocumentFactory(title="Chairman's statement")
    DocumentFactory(meeting=MeetingFactory(access=Access.RESTRICTED))
    session = SessionFactory(meeting=public.meeting, access=Access.RESTRICTED)
    DocumentFactory(meeting=public.meeting, session=session)
    assert list(OutcomeDocument.objects.visible_to(AnonymousUser())) == [public]
    assert OutcomeDocument.objects.visible_to(StaffFactory()).count() == 3
