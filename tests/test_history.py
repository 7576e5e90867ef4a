"""What changed (events/history.py)."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from events import history
from events.models import Access
from events.models import Session
from events.models import Status

from .factories import MeetingFactory
from .factories import SessionFactory
from .factories import StaffFactory
from .factories import timed

DAY = dt.date(2030, 3, 1)

pytestmark = pytest.mark.django_db


def test_schedule_changes_classifies_and_hides_restricted():
    meeting = MeetingFactory(title="M")
    start, end = timed(DAY, 9)
    session = SessionFactory(meeting=meeting, title="Plenary", start=start, end=end)
    secret = SessionFactory(meeting=meeting, title="Secret", access=Access.RESTRICTED)
    session = Session.objects.get(pk=session.pk)
    session.start, session.end = timed(DAY, 10)
    session.save()
    session.status = Status.POSTPONED
    session.save()
    session.description = "no schedule change"
    session.save()
    secret.delete()
    changes = history.schedule_changes(user=AnonymousUser(), since=DAY - dt.timedelta(days=3650))
    assert sorted((c.kind, c.what, c.title) for c in changes) == [
        ("added", "meeting", "M"),
        ("added", "session", "Plenary"),
        ("moved", "session", "Plenary"),
        ("postponed", "session", "Plenary"),
    ]
    staff_changes = history.schedule_changes(user=StaffFactory(), since=DAY - dt.timedelta(days=3650))
    assert ("removed", "Secret") in {(c.kind, c.title) for c in staff_changes}
