"""A delegation's schedule and its conflicts (events/conflicts.py): overlaps, travel between cities,
times to confirm."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from events.conflicts import delegation_schedule
from events.conflicts import find_conflicts
from events.models import Access
from events.models import Status

from .conftest import session_at
from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import MeetingFactory
from .factories import PersonFactory
from .factories import SessionFactory
from .factories import StaffFactory
from .factories import timed

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 3, 1)


def kinds(conflicts):
    return sorted((c.kind, c.first.title, c.second.title) for c in conflicts)


def test_overlapping_sessions_of_one_person_conflict(cities):
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9, hours=2, title="A")
    b = session_at(cities["Singapore"], 10, title="B")
    c = session_at(cities["Singapore"], 11, title="C")  # starts as A ends: no overlap
    attendance = [(person, a, True), (person, b, True), (person, c, True)]
    assert kinds(find_conflicts(attendance=attendance)) == [("overlap", "A", "B")]


def test_overlap_between_two_people_is_no_conflict(cities):
    a = session_at(cities["Singapore"], 9, hours=2, title="A")
    b = session_at(cities["Singapore"], 10, title="B")
    attendance = [(PersonFactory(), a, True), (PersonFactory(), b, True)]
    assert find_conflicts(attendance=attendance) == []


def test_sessions_in_other_cities_closer_than_travel_gap_conflict(cities, settings):
    settings.DELEGATION_TRAVEL_GAP_HOURS = 4
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9, hours=2, title="SG")  # ends 11:00 SG = 03:00 UTC
    b = session_at(cities["Jakarta"], 13, title="JKT")  # 13:00 Jakarta = 06:00 UTC: 3 h later
    conflicts = find_conflicts(attendance=[(person, a, True), (person, b, True)])
    assert kinds(conflicts) == [("travel", "SG", "JKT")]
    assert conflicts[0].gap_hours == 3.0
    assert conflicts[0].message == f"{person.name} has 3.0 h to travel from Singapore (“SG”) to Jakarta (“JKT”)."


def test_travel_gap_is_configurable(cities, settings):
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9, hours=2)
    b = session_at(cities["Jakarta"], 13)
    settings.DELEGATION_TRAVEL_GAP_HOURS = 2
    assert find_conflicts(attendance=[(person, a, True), (person, b, True)]) == []
    assert len(find_conflicts(attendance=[(person, a, True), (person, b, True)], travel_gap_hours=3.5)) == 1


def test_same_city_or_remote_attendance_needs_no_travel(cities):
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9)
    b = session_at(cities["Singapore"], 11)
    c = session_at(cities["Jakarta"], 12)
    assert find_conflicts(attendance=[(person, a, True), (person, b, True)]) == []
    assert find_conflicts(attendance=[(person, b, True), (person, c, False)]) == []


def test_travel_judged_from_the_last_session_before(cities):
    person = PersonFactory()
    first = session_at(cities["Singapore"], 8, title="early")
    last = session_at(cities["Singapore"], 10, title="late")  # 10:00–11:00 SG
    there = session_at(cities["Jakarta"], 12, title="there")  # 13:00 SG: 2 h after "late"
    attendance = [(person, first, True), (person, last, True), (person, there, True)]
    assert kinds(find_conflicts(attendance=attendance)) == [("travel", "late", "there")]


def test_date_only_session_and_a_timed_one_the_same_day_are_to_confirm_not_a_conflict(cities):
    person = PersonFactory()
    meeting = MeetingFactory(venue=cities["Singapore"], start_date=DAY, end_date=DAY + dt.timedelta(2))
    all_day = SessionFactory(meeting=meeting, title="All day", starts_on=DAY)
    evening = session_at(cities["Singapore"], 20, title="Evening")
    next_day = SessionFactory(meeting=meeting, title="Next day", starts_on=DAY + dt.timedelta(1))
    attendance = [(person, all_day, True), (person, evening, True), (person, next_day, True)]
    assert kinds(find_conflicts(attendance=attendance)) == [("to_confirm", "All day", "Evening")]


def test_two_date_only_sessions_the_same_day_are_to_confirm(cities):
    person = PersonFactory()
    meeting = MeetingFactory(venue=cities["Singapore"], start_date=DAY, end_date=DAY)
    a = SessionFactory(meeting=meeting, title="Retreat", starts_on=DAY)
    b = SessionFactory(meeting=meeting, title="Plenary", starts_on=DAY)
    conflicts = find_conflicts(attendance=[(person, a, True), (person, b, True)])
    assert [c.kind for c in conflicts] == ["to_confirm"]
    first, second = conflicts[0].first.title, conflicts[0].second.title
    assert {first, second} == {"Retreat", "Plenary"}
    assert conflicts[0].message == (
        f"{person.name} attends “{first}” and “{second}” on the same day; their times are not all announced yet."
    )


def test_timed_sessions_that_only_touch_or_follow_each_other_do_not_conflict(cities):
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9, hours=2, title="A")  # 09:00–11:00
    b = session_at(cities["Singapore"], 11, title="B")  # 11:00–12:00
    assert find_conflicts(attendance=[(person, a, True), (person, b, True)]) == []


def test_session_with_no_announced_end_is_to_confirm_with_a_later_one_and_clashes_at_the_same_start(cities):
    person = PersonFactory()
    meeting = MeetingFactory(venue=cities["Singapore"], start_date=DAY, end_date=DAY + dt.timedelta(1))
    open_ended = SessionFactory(meeting=meeting, title="Dinner", start=timed(DAY, 19)[0], end=None)
    later = session_at(cities["Singapore"], 21, title="Late talk")
    same_start = session_at(cities["Singapore"], 19, title="Reception")
    next_day = session_at(cities["Singapore"], 9, day=DAY + dt.timedelta(1), title="Breakfast")

    assert kinds(find_conflicts(attendance=[(person, open_ended, True), (person, later, True)])) == [
        ("to_confirm", "Dinner", "Late talk")
    ]
    assert [
        c.kind for c in find_conflicts(attendance=[(person, open_ended, True), (person, same_start, True)])
    ] == ["overlap"]
    assert find_conflicts(attendance=[(person, open_ended, True), (person, next_day, True)]) == []


def test_date_only_sessions_on_consecutive_days_in_other_cities_are_a_travel_to_confirm(cities):
    person = PersonFactory()
    sg = SessionFactory(meeting=MeetingFactory(venue=cities["Singapore"]), title="SG day", starts_on=DAY)
    jkt_meeting = MeetingFactory(venue=cities["Jakarta"], start_date=DAY + dt.timedelta(1))
    jkt = SessionFactory(meeting=jkt_meeting, title="JKT day", starts_on=DAY + dt.timedelta(1))
    # The Singapore day ends at 16:00 UTC, the Jakarta day begins at 17:00 UTC: one hour, if both took all day.
    conflicts = find_conflicts(attendance=[(person, sg, True), (person, jkt, True)])
    assert kinds(conflicts) == [("to_confirm", "SG day", "JKT day")]
    assert conflicts[0].message == (
        f"{person.name} goes from Singapore (“SG day”) to Jakarta (“JKT day”); their times are not all announced "
        "yet, so the time to travel is to be confirmed."
    )


def test_cancelled_sessions_never_conflict(cities):
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9, hours=2)
    b = session_at(cities["Singapore"], 10, status=Status.CANCELLED)
    assert find_conflicts(attendance=[(person, a, True), (person, b, True)]) == []


def test_delegation_schedule_members_without_sessions_attend_all(cities):
    meeting = MeetingFactory(venue=cities["Singapore"])
    one = SessionFactory(meeting=meeting, title="One", starts_on=DAY)
    SessionFactory(meeting=meeting, title="Two", starts_on=DAY + dt.timedelta(1))
    SessionFactory(meeting=meeting, title="Secret", starts_on=DAY, access=Access.RESTRICTED)
    delegation = DelegationFactory(meeting=meeting, country="ID")
    everything = DelegationMemberFactory(delegation=delegation, person=PersonFactory(name="All"))
    chosen = DelegationMemberFactory(delegation=delegation, person=PersonFactory(name="Chosen"))
    chosen.sessions.set([one])
    delegations, rows, conflicts = delegation_schedule(country="ID", user=AnonymousUser())
    assert delegations == [delegation]
    assert [(r.session.title, [m.person.name for m in r.delegates]) for r in rows] == [
        ("One", ["All", "Chosen"]),
        ("Two", ["All"]),
    ]
    assert conflicts == []
    _, rows, _ = delegation_schedule(country="ID", user=StaffFactory())
    assert [r.session.title for r in rows] == ["One", "Secret", "Two"]
    assert everything.pk


def test_delegation_schedule_hides_restricted_meetings_from_anonymous(cities):
    meeting = MeetingFactory(access=Access.RESTRICTED)
    DelegationFactory(meeting=meeting, country="ID")
    assert delegation_schedule(country="ID", user=AnonymousUser()) == ([], [], [])


