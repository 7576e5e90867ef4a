"""Rules the database enforces by trigger (events/triggers.py): sessions in their meeting's dates, no part-of cycles."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from events.models import Meeting
from events.models import Session

from .conftest import rejected_by_database
from .factories import MeetingFactory
from .factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_session_outside_meeting_dates_is_rejected_by_database():
    meeting = MeetingFactory(start_date=dt.date(2030, 3, 1), end_date=dt.date(2030, 3, 3))
    session = SessionFactory(meeting=meeting)
    assert rejected_by_database(
        lambda: Session.objects.filter(pk=session.pk).update(starts_on=dt.date(2030, 3, 4), ends_on=dt.date(2030, 3, 4))
    )
    assert rejected_by_database(lambda: SessionFactory(meeting=meeting, starts_on=dt.date(2030, 2, 28)))


def test_meeting_moved_away_from_its_sessions_is_rejected_by_postgresql_at_commit():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite cannot defer a trigger to commit; the forms and the API check this rule there")
    meeting = MeetingFactory(start_date=dt.date(2030, 3, 1), end_date=dt.date(2030, 3, 3))
    SessionFactory(meeting=meeting, starts_on=dt.date(2030, 3, 2))

    def move_meeting_alone():
        Meeting.objects.filter(pk=meeting.pk).update(start_date=dt.date(2030, 4, 1), end_date=dt.date(2030, 4, 3))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would do

    def move_meeting_with_its_session():
        Meeting.objects.filter(pk=meeting.pk).update(start_date=dt.date(2030, 4, 1), end_date=dt.date(2030, 4, 3))
        Session.objects.filter(meeting=meeting).update(starts_on=dt.date(2030, 4, 2), ends_on=dt.date(2030, 4, 2))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    assert rejected_by_database(move_meeting_alone)
    assert not rejected_by_database(move_meeting_with_its_session)


def test_meeting_cannot_be_part_of_its_own_part_in_clean_and_database():
    summit = MeetingFactory(title="Summit")
    ministers = MeetingFactory(title="Ministers", parent=summit)
    working_group = MeetingFactory(title="Working group", parent=ministers)
    summit.parent = working_group

    with pytest.raises(ValidationError) as error:
        summit.full_clean()

    assert error.value.message_dict["parent"] == [
        "“Working group” is itself part of this meeting; a meeting cannot be part of its own part."
    ]
    assert summit.descendant_ids() == {ministers.pk, working_group.pk}
    assert rejected_by_database(lambda: Meeting.objects.filter(pk=summit.pk).update(parent=working_group))
    assert rejected_by_database(lambda: Meeting.objects.filter(pk=summit.pk).update(parent=summit))
    assert Meeting.objects.filter(pk=working_group.pk).update(parent=summit) == 1  # moving a part up is fine
    assert Meeting.objects.get(pk=summit.pk).parent_id is None
