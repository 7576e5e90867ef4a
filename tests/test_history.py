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


def test_changes_since_a_revision_list_each_save_but_name_only_fields_that_differ_now(editor_user):
    meeting = MeetingFactory(title="Summit", theme="Resilience")
    for title in ("Summit (renamed)", "Summit"):
        meeting.title = title
        meeting._history_user = editor_user
        meeting.save()
    del meeting._history_user  # the next save is a script's
    meeting.theme = "Inclusion"
    meeting.save()

    lines = [str(line).split(" at ")[0] for line in history.describe_changes_since(meeting, 1)]
    assert lines == [
        "title ('Summit' → 'Summit (renamed)') changed by editor",
        "title ('Summit (renamed)' → 'Summit') changed by editor",
        "theme ('Resilience' → 'Inclusion') changed by an import or script",
    ]
    assert history.changed_fields_since(meeting, 1) == ["theme"]
    assert history.changed_fields_since(meeting, 4) == []
    assert history.describe_changes_since(meeting, 0) == []  # a revision the record never had
