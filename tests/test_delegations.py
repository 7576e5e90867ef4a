"""Delegations (events/delegations.py): one per country and one head, seen with their meeting."""

import pytest

from events.models import Access
from events.models import Delegation
from events.models import DelegationMember

from .conftest import rejected_by_database
from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import MeetingFactory
from .factories import PersonFactory
from .factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_delegation_one_per_country_and_one_head():
    delegation = DelegationFactory(country="ID")
    assert rejected_by_database(lambda: DelegationFactory(meeting=delegation.meeting, country="ID"))
    DelegationMemberFactory(delegation=delegation, is_head=True)
    assert rejected_by_database(lambda: DelegationMemberFactory(delegation=delegation, is_head=True))
    member = DelegationMemberFactory(delegation=delegation, person=PersonFactory(name="Safrizal ZA"))
    assert delegation.head != member
    assert DelegationMember.objects.filter(delegation=delegation).count() == 2


def test_delegation_visible_to_follows_its_meeting_and_meeting_is_visible_to_agrees():
    from django.contrib.auth.models import AnonymousUser

    public = DelegationFactory(meeting=MeetingFactory(access=Access.PUBLIC))
    hidden = DelegationFactory(meeting=MeetingFactory(access=Access.RESTRICTED))
    assert list(Delegation.objects.visible_to(AnonymousUser())) == [public]
    anonymous = AnonymousUser()
    assert (public.meeting.is_visible_to(anonymous), hidden.meeting.is_visible_to(anonymous)) == (True, False)
    assert hidden.meeting.is_visible_to(StaffFactory()) is True
