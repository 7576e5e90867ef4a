"""Summit families (events/families.py)."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from events import families

from .factories import MeetingFactory

pytestmark = pytest.mark.django_db


def test_meeting_family_orders_related_meetings_before_the_summit():
    summit = MeetingFactory(title="Summit", start_date=dt.date(2030, 4, 25), end_date=dt.date(2030, 4, 28))
    som = MeetingFactory(title="SOM", parent=summit, start_date=dt.date(2030, 4, 26), end_date=dt.date(2030, 4, 26))
    cpr = MeetingFactory(title="CPR", parent=summit, start_date=dt.date(2030, 4, 25), end_date=dt.date(2030, 4, 25))
    amm = MeetingFactory(title="AMM", parent=summit, start_date=dt.date(2030, 4, 27), end_date=dt.date(2030, 4, 27))
    expected = [cpr, som, amm, summit]
    assert families.meeting_family(meeting=summit, user=AnonymousUser()) == expected
    assert families.meeting_family(meeting=som, user=AnonymousUser()) == expected
    assert families.meeting_family(meeting=MeetingFactory(), user=AnonymousUser()) == []
