import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from events import schedule
from events.models import Access, Mode, Session, Status

from .factories import (
    DelegationFactory,
    DelegationMemberFactory,
    MeetingFactory,
    PersonFactory,
    SessionFactory,
    StaffFactory,
    VenueFactory,
    timed,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 3, 1)
UTC = dt.UTC


@pytest.fixture
def cities(db):
    return {
        "Singapore": VenueFactory(name="MBS", city="Singapore"),
        "Jakarta": VenueFactory(name="JCC", city="Jakarta", country="ID", timezone="Asia/Jakarta"),
    }


def session_at(venue, hour, hours=1, day=DAY, **kwargs):
    meeting = MeetingFactory(venue=venue, timezone=venue.timezone, start_date=day, end_date=day + dt.timedelta(1))
    start, end = timed(day, hour, zone=venue.timezone, hours=hours)
    return SessionFactory(meeting=meeting, venue=venue, start=start, end=end, **kwargs)


def kinds(conflicts):
    return sorted((c.kind, c.first.title, c.second.title) for c in conflicts)


def test_session_interval_of_timed_session_is_its_start_and_end():
    session = Session(start=dt.datetime(2030, 3, 1, 1, tzinfo=UTC), end=dt.datetime(2030, 3, 1, 2, tzinfo=UTC))
    assert schedule.session_interval(session) == (session.start, session.end)


def test_session_interval_of_date_only_session_is_its_whole_local_days(cities):
    session = SessionFactory(
        meeting=MeetingFactory(venue=cities["Jakarta"]), venue=cities["Jakarta"], starts_on=DAY, ends_on=DAY
    )
    # Jakarta is UTC+7: 1 March 00:00 local is 28 February 17:00 UTC.
    assert schedule.session_interval(session) == (
        dt.datetime(2030, 2, 28, 17, tzinfo=UTC),
        dt.datetime(2030, 3, 1, 17, tzinfo=UTC),
    )


def test_overlapping_sessions_of_one_person_conflict(cities):
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9, hours=2, title="A")
    b = session_at(cities["Singapore"], 10, title="B")
    c = session_at(cities["Singapore"], 11, title="C")  # starts as A ends: no overlap
    attendance = [(person, a, True), (person, b, True), (person, c, True)]
    assert kinds(schedule.find_conflicts(attendance=attendance)) == [("overlap", "A", "B")]


def test_overlap_between_two_people_is_no_conflict(cities):
    a = session_at(cities["Singapore"], 9, hours=2, title="A")
    b = session_at(cities["Singapore"], 10, title="B")
    attendance = [(PersonFactory(), a, True), (PersonFactory(), b, True)]
    assert schedule.find_conflicts(attendance=attendance) == []


def test_sessions_in_other_cities_closer_than_travel_gap_conflict(cities, settings):
    settings.DELEGATION_TRAVEL_GAP_HOURS = 4
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9, hours=2, title="SG")  # ends 11:00 SG = 03:00 UTC
    b = session_at(cities["Jakarta"], 13, title="JKT")  # 13:00 Jakarta = 06:00 UTC: 3 h later
    conflicts = schedule.find_conflicts(attendance=[(person, a, True), (person, b, True)])
    assert kinds(conflicts) == [("travel", "SG", "JKT")]
    assert conflicts[0].gap_hours == 3.0
    assert conflicts[0].message == f"{person.name} has 3.0 h to travel from Singapore (“SG”) to Jakarta (“JKT”)."


def test_travel_gap_is_configurable(cities, settings):
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9, hours=2)
    b = session_at(cities["Jakarta"], 13)
    settings.DELEGATION_TRAVEL_GAP_HOURS = 2
    assert schedule.find_conflicts(attendance=[(person, a, True), (person, b, True)]) == []
    assert len(schedule.find_conflicts(attendance=[(person, a, True), (person, b, True)], travel_gap_hours=3.5)) == 1


def test_same_city_or_remote_attendance_needs_no_travel(cities):
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9)
    b = session_at(cities["Singapore"], 11)
    c = session_at(cities["Jakarta"], 12)
    assert schedule.find_conflicts(attendance=[(person, a, True), (person, b, True)]) == []
    assert schedule.find_conflicts(attendance=[(person, b, True), (person, c, False)]) == []


def test_travel_judged_from_the_last_session_before(cities):
    person = PersonFactory()
    first = session_at(cities["Singapore"], 8, title="early")
    last = session_at(cities["Singapore"], 10, title="late")  # 10:00–11:00 SG
    there = session_at(cities["Jakarta"], 12, title="there")  # 13:00 SG: 2 h after "late"
    attendance = [(person, first, True), (person, last, True), (person, there, True)]
    assert kinds(schedule.find_conflicts(attendance=attendance)) == [("travel", "late", "there")]


def test_date_only_session_and_a_timed_one_the_same_day_are_to_confirm_not_a_conflict(cities):
    person = PersonFactory()
    meeting = MeetingFactory(venue=cities["Singapore"], start_date=DAY, end_date=DAY + dt.timedelta(2))
    all_day = SessionFactory(meeting=meeting, title="All day", starts_on=DAY)
    evening = session_at(cities["Singapore"], 20, title="Evening")
    next_day = SessionFactory(meeting=meeting, title="Next day", starts_on=DAY + dt.timedelta(1))
    attendance = [(person, all_day, True), (person, evening, True), (person, next_day, True)]
    assert kinds(schedule.find_conflicts(attendance=attendance)) == [("to_confirm", "All day", "Evening")]


def test_two_date_only_sessions_the_same_day_are_to_confirm(cities):
    person = PersonFactory()
    meeting = MeetingFactory(venue=cities["Singapore"], start_date=DAY, end_date=DAY)
    a = SessionFactory(meeting=meeting, title="Retreat", starts_on=DAY)
    b = SessionFactory(meeting=meeting, title="Plenary", starts_on=DAY)
    conflicts = schedule.find_conflicts(attendance=[(person, a, True), (person, b, True)])
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
    assert schedule.find_conflicts(attendance=[(person, a, True), (person, b, True)]) == []


def test_session_with_no_announced_end_is_to_confirm_with_a_later_one_and_clashes_at_the_same_start(cities):
    person = PersonFactory()
    meeting = MeetingFactory(venue=cities["Singapore"], start_date=DAY, end_date=DAY + dt.timedelta(1))
    open_ended = SessionFactory(meeting=meeting, title="Dinner", start=timed(DAY, 19)[0], end=None)
    later = session_at(cities["Singapore"], 21, title="Late talk")
    same_start = session_at(cities["Singapore"], 19, title="Reception")
    next_day = session_at(cities["Singapore"], 9, day=DAY + dt.timedelta(1), title="Breakfast")

    assert kinds(schedule.find_conflicts(attendance=[(person, open_ended, True), (person, later, True)])) == [
        ("to_confirm", "Dinner", "Late talk")
    ]
    assert [
        c.kind for c in schedule.find_conflicts(attendance=[(person, open_ended, True), (person, same_start, True)])
    ] == ["overlap"]
    assert schedule.find_conflicts(attendance=[(person, open_ended, True), (person, next_day, True)]) == []


def test_date_only_sessions_on_consecutive_days_in_other_cities_are_a_travel_to_confirm(cities):
    person = PersonFactory()
    sg = SessionFactory(meeting=MeetingFactory(venue=cities["Singapore"]), title="SG day", starts_on=DAY)
    jkt_meeting = MeetingFactory(venue=cities["Jakarta"], start_date=DAY + dt.timedelta(1))
    jkt = SessionFactory(meeting=jkt_meeting, title="JKT day", starts_on=DAY + dt.timedelta(1))
    # The Singapore day ends at 16:00 UTC, the Jakarta day begins at 17:00 UTC: one hour, if both took all day.
    conflicts = schedule.find_conflicts(attendance=[(person, sg, True), (person, jkt, True)])
    assert kinds(conflicts) == [("to_confirm", "SG day", "JKT day")]
    assert conflicts[0].message == (
        f"{person.name} goes from Singapore (“SG day”) to Jakarta (“JKT day”); their times are not all announced "
        "yet, so the time to travel is to be confirmed."
    )


def test_cancelled_sessions_never_conflict(cities):
    person = PersonFactory()
    a = session_at(cities["Singapore"], 9, hours=2)
    b = session_at(cities["Singapore"], 10, status=Status.CANCELLED)
    assert schedule.find_conflicts(attendance=[(person, a, True), (person, b, True)]) == []


def test_delegation_schedule_members_without_sessions_attend_all(cities):
    meeting = MeetingFactory(venue=cities["Singapore"])
    one = SessionFactory(meeting=meeting, title="One", starts_on=DAY)
    SessionFactory(meeting=meeting, title="Two", starts_on=DAY + dt.timedelta(1))
    SessionFactory(meeting=meeting, title="Secret", starts_on=DAY, access=Access.RESTRICTED)
    delegation = DelegationFactory(meeting=meeting, country="ID")
    everything = DelegationMemberFactory(delegation=delegation, person=PersonFactory(name="All"))
    chosen = DelegationMemberFactory(delegation=delegation, person=PersonFactory(name="Chosen"))
    chosen.sessions.set([one])
    delegations, rows, conflicts = schedule.delegation_schedule(country="ID", user=AnonymousUser())
    assert delegations == [delegation]
    assert [(r.session.title, [m.person.name for m in r.delegates]) for r in rows] == [
        ("One", ["All", "Chosen"]),
        ("Two", ["All"]),
    ]
    assert conflicts == []
    _, rows, _ = schedule.delegation_schedule(country="ID", user=StaffFactory())
    assert [r.session.title for r in rows] == ["One", "Secret", "Two"]
    assert everything.pk


def test_delegation_schedule_hides_restricted_meetings_from_anonymous(cities):
    meeting = MeetingFactory(access=Access.RESTRICTED)
    DelegationFactory(meeting=meeting, country="ID")
    assert schedule.delegation_schedule(country="ID", user=AnonymousUser()) == ([], [], [])


def test_meeting_family_orders_related_meetings_before_the_summit():
    summit = MeetingFactory(title="Summit", start_date=dt.date(2030, 4, 25), end_date=dt.date(2030, 4, 28))
    som = MeetingFactory(title="SOM", parent=summit, start_date=dt.date(2030, 4, 26), end_date=dt.date(2030, 4, 26))
    cpr = MeetingFactory(title="CPR", parent=summit, start_date=dt.date(2030, 4, 25), end_date=dt.date(2030, 4, 25))
    amm = MeetingFactory(title="AMM", parent=summit, start_date=dt.date(2030, 4, 27), end_date=dt.date(2030, 4, 27))
    expected = [cpr, som, amm, summit]
    assert schedule.meeting_family(meeting=summit, user=AnonymousUser()) == expected
    assert schedule.meeting_family(meeting=som, user=AnonymousUser()) == expected
    assert schedule.meeting_family(meeting=MeetingFactory(), user=AnonymousUser()) == []


def test_shown_time_converts_to_viewer_zone_and_marks_another_day(cities):
    session = session_at(cities["Singapore"], 8, hours=2)
    local = schedule.shown_time(session, "Asia/Singapore")
    assert (local.text, local.offset, local.differs_in_day) == ("08:00–10:00", "UTC+8", False)
    theirs = schedule.shown_time(session, "America/New_York")
    assert (theirs.text, theirs.offset, theirs.differs_in_day) == ("Thu 28 Feb 19:00–21:00", "UTC−5", True)
    assert schedule.shown_time(session, "Asia/Kolkata").offset == "UTC+5:30"


def test_shown_time_of_date_only_session_is_none(cities):
    session = SessionFactory(meeting=MeetingFactory(venue=cities["Singapore"]), starts_on=DAY)
    assert schedule.shown_time(session, "America/New_York") is None


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
    changes = schedule.schedule_changes(user=AnonymousUser(), since=DAY - dt.timedelta(days=3650))
    assert sorted((c.kind, c.what, c.title) for c in changes) == [
        ("added", "meeting", "M"),
        ("added", "session", "Plenary"),
        ("moved", "session", "Plenary"),
        ("postponed", "session", "Plenary"),
    ]
    staff_changes = schedule.schedule_changes(user=StaffFactory(), since=DAY - dt.timedelta(days=3650))
    assert ("removed", "Secret") in {(c.kind, c.title) for c in staff_changes}


def test_event_json_ld_of_in_person_meeting_has_place_only():
    meeting = MeetingFactory(mode=Mode.IN_PERSON)
    data = schedule.event_json_ld(
        meeting=meeting, parent=None, sessions=[], absolute=lambda path: "https://x.test" + path
    )
    assert data["location"] == {
        "@type": "Place",
        "name": meeting.venue.name,
        "address": {"@type": "PostalAddress", "addressLocality": "Singapore", "addressCountry": "SG"},
    }
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["url"] == f"https://x.test/meetings/{meeting.slug}/"
    assert "subEvent" not in data


def test_event_json_ld_without_announced_format_omits_attendance_mode():
    meeting = MeetingFactory(mode="", status=Status.TENTATIVE)
    data = schedule.event_json_ld(meeting=meeting, parent=None, sessions=[], absolute=str)
    assert "eventAttendanceMode" not in data
    assert data["eventStatus"] == "https://schema.org/EventScheduled"

