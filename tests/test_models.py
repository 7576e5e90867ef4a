"""Meetings and sessions (events/models.py): their rules in clean() and in the database, revisions,
visibility querysets, source notes and status flags."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from events.models import Access
from events.models import Meeting
from events.models import Mode
from events.models import Session
from events.models import Status

from .conftest import labuan_bajo_summit
from .conftest import meeting_change_form
from .conftest import rejected_by_database
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory
from .factories import timed

pytestmark = pytest.mark.django_db


# --- Meeting rules ----------------------------------------------------------


def test_meeting_clean_rejects_end_before_start():
    meeting = MeetingFactory.build(start_date=dt.date(2030, 3, 5), end_date=dt.date(2030, 3, 1))
    with pytest.raises(ValidationError) as error:
        meeting.full_clean(exclude=["series", "venue"])
    assert error.value.message_dict["end_date"] == ["The meeting cannot end before it starts."]


def test_meeting_database_rejects_end_before_start():
    meeting = MeetingFactory()
    assert rejected_by_database(lambda: Meeting.objects.filter(pk=meeting.pk).update(end_date=dt.date(2030, 2, 1)))


def test_meeting_ordinal_unique_per_series_in_clean_and_database():
    first = MeetingFactory(ordinal=32)
    duplicate = MeetingFactory.build(series=first.series, ordinal=32, venue=first.venue, slug="other")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "__all__" in error.value.message_dict
    assert rejected_by_database(lambda: MeetingFactory(series=first.series, ordinal=32))


def test_meeting_same_ordinal_in_other_series_is_allowed():
    first = MeetingFactory(ordinal=3)
    other = MeetingFactory(ordinal=3)
    assert (first.ordinal, other.ordinal) == (3, 3)
    assert first.series_id != other.series_id


def test_meeting_slug_unique_in_clean_and_database():
    MeetingFactory(slug="32nd-asean-summit")
    with pytest.raises(ValidationError) as error:
        MeetingFactory.build(slug="32nd-asean-summit", series=SeriesFactory(), venue=VenueFactory()).full_clean()
    assert list(error.value.message_dict) == ["slug"]
    assert rejected_by_database(lambda: MeetingFactory(slug="32nd-asean-summit"))


def test_meeting_timezone_comes_from_venue_when_blank():
    venue = VenueFactory(city="Jakarta", country="ID", timezone="Asia/Jakarta")
    meeting = MeetingFactory(venue=venue, timezone="")
    assert meeting.timezone == "Asia/Jakarta"


def test_meeting_without_venue_or_zone_is_rejected_twice():
    meeting = MeetingFactory.build(venue=None, timezone="", series=SeriesFactory())
    with pytest.raises(ValidationError) as error:
        meeting.full_clean()
    assert "timezone" in error.value.message_dict
    assert rejected_by_database(lambda: MeetingFactory(venue=None, timezone=""))


def test_meeting_cannot_be_its_own_parent_at_database_level():
    meeting = MeetingFactory()
    assert rejected_by_database(lambda: Meeting.objects.filter(pk=meeting.pk).update(parent=meeting.pk))


def revision_after_saving(item, **changes):
    """The revision `item` carries once `changes` are set on it and it is saved."""
    for name, value in changes.items():
        setattr(item, name, value)
    item.save()
    return item.revision


def test_meeting_revision_rises_only_on_visible_change():
    meeting = MeetingFactory()
    assert meeting.revision == 1
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert revision_after_saving(meeting, external_uid="imported@partner.example") == 1  # bookkeeping, not an edit
    assert revision_after_saving(meeting, participant_count=300) == 2  # staff edit: guards a concurrent overwrite
    revision_after_saving(meeting, status=Status.POSTPONED)
    assert Meeting.objects.get(pk=meeting.pk).revision == 3


def test_meeting_revision_compares_with_refreshed_values():
    meeting = MeetingFactory(title="Before")
    Meeting.objects.filter(pk=meeting.pk).update(title="After")
    meeting.refresh_from_db()
    meeting.save()  # nothing changed since the refresh
    assert Meeting.objects.get(pk=meeting.pk).revision == 1


def test_session_moved_to_a_younger_meeting_keeps_its_feed_sequence_rising():
    old = MeetingFactory()
    for status in (Status.TENTATIVE, Status.SCHEDULED, Status.RESCHEDULED):
        old.status = status
        old.save()
    assert old.revision == 4
    session = SessionFactory(meeting=old)
    sequence_before = session.revision + old.revision - 1
    young = MeetingFactory(start_date=old.start_date, end_date=old.end_date, venue=old.venue)
    session = Session.objects.get(pk=session.pk)
    session.meeting = young
    session.save()
    assert session.revision + young.revision - 1 > sequence_before


# --- Session rules -----------------------------------------------------------


def test_session_timed_in_venue_zone_derives_local_dates():
    meeting = MeetingFactory()
    start, end = timed(dt.date(2030, 3, 2), 9)
    session = SessionFactory(meeting=meeting, start=start, end=end, starts_on=None)
    assert session.starts_on == dt.date(2030, 3, 2)
    assert session.start == dt.datetime(2030, 3, 2, 1, 0, tzinfo=dt.UTC)
    assert session.local_start.strftime("%H:%M %Z") == "09:00 +08"


def test_session_clean_rejects_end_before_start():
    meeting = MeetingFactory()
    start, _ = timed(dt.date(2030, 3, 2), 9)
    session = SessionFactory.build(meeting=meeting, start=start, end=start - dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert error.value.message_dict["end"] == ["The session must end after it starts."]


def test_session_database_rejects_end_before_start():
    meeting = MeetingFactory()
    start, end = timed(dt.date(2030, 3, 2), 9)
    session = SessionFactory(meeting=meeting, start=start, end=end)
    assert rejected_by_database(lambda: Session.objects.filter(pk=session.pk).update(end=start))
    assert rejected_by_database(lambda: Session.objects.filter(pk=session.pk).update(start=None))


def test_session_with_a_start_and_no_announced_end_is_valid_and_dated_from_its_start():
    meeting = MeetingFactory()
    session = SessionFactory(meeting=meeting, start=timed(dt.date(2030, 3, 2), 23, 30)[0], end=None, starts_on=None)

    session.full_clean()
    session.refresh_from_db()
    assert (session.starts_on, session.ends_on, session.end) == (dt.date(2030, 3, 2), dt.date(2030, 3, 2), None)
    assert Session.objects.filter(pk=session.pk).update(end=None) == 1  # the database allows it too


def test_session_with_an_end_and_no_start_is_refused():
    session = SessionFactory.build(meeting=MeetingFactory(), start=None, end=timed(dt.date(2030, 3, 2), 9)[1])
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert error.value.message_dict["start"] == ["Give the start too, or neither time for a date-only session."]


def test_session_outside_meeting_dates_in_venue_zone_is_rejected_by_clean():
    meeting = MeetingFactory(start_date=dt.date(2030, 3, 1), end_date=dt.date(2030, 3, 3))
    # 23:30 on 3 March in Singapore is still inside; 00:30 on 4 March is not,
    # although both are 3 March in UTC.
    inside = SessionFactory.build(
        meeting=meeting,
        start=timed(dt.date(2030, 3, 3), 23, 0, hours=0.5)[0],
        end=timed(dt.date(2030, 3, 3), 23, 30)[0],
    )
    inside.full_clean()
    start, end = timed(dt.date(2030, 3, 4), 0, 30)
    assert start.astimezone(dt.UTC).date() == dt.date(2030, 3, 3)
    outside = SessionFactory.build(meeting=meeting, start=start, end=end, starts_on=None)
    with pytest.raises(ValidationError) as error:
        outside.full_clean()
    assert "lies outside the meeting's dates" in error.value.message_dict["start"][0]


def test_session_virtual_needs_join_link_twice():
    meeting = MeetingFactory()
    session = SessionFactory.build(meeting=meeting, mode=Mode.VIRTUAL, venue=None, join_url="")
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert error.value.message_dict["join_url"] == ["A virtual session needs a join link."]
    assert rejected_by_database(lambda: SessionFactory(meeting=meeting, mode=Mode.VIRTUAL, venue=None, join_url=""))


def test_session_in_person_needs_venue_twice():
    meeting = MeetingFactory()
    session = SessionFactory.build(meeting=meeting, mode=Mode.IN_PERSON, venue=None)
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert error.value.message_dict["venue"] == ["An in-person session needs a venue."]
    assert rejected_by_database(lambda: SessionFactory(meeting=meeting, mode=Mode.IN_PERSON, venue=None))


def test_session_closed_listing_only_for_restricted_twice():
    meeting = MeetingFactory()
    session = SessionFactory.build(meeting=meeting, show_as_closed=True, access=Access.PUBLIC)
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert list(error.value.message_dict) == ["show_as_closed"]
    assert rejected_by_database(lambda: SessionFactory(meeting=meeting, show_as_closed=True, access=Access.PUBLIC))


def test_session_revision_rises_when_moved_to_another_venue():
    session = Session.objects.get(pk=SessionFactory().pk)
    session.venue = VenueFactory(city="Jakarta", country="ID", timezone="Asia/Jakarta")
    session.save()
    assert Session.objects.get(pk=session.pk).revision == 2


def test_session_revision_rises_on_time_change_only():
    session = SessionFactory()
    session = Session.objects.get(pk=session.pk)
    assert revision_after_saving(session) == 1
    revision_after_saving(session, status=Status.CANCELLED)
    assert Session.objects.get(pk=session.pk).revision == 2


def test_session_duplicate_date_only_is_ordered_before_timed_on_same_day():
    meeting = MeetingFactory()
    timed_session = SessionFactory(
        meeting=meeting, title="B", start=timed(meeting.start_date, 9)[0], end=timed(meeting.start_date, 10)[0]
    )
    all_day = SessionFactory(meeting=meeting, title="A")
    assert list(meeting.sessions.all()) == [all_day, timed_session]


# --- Feed tokens -------------------------------------------------------------------


# --- Visibility and querysets ------------------------------------------------------


def test_meeting_queryset_visible_to_anonymous_hides_restricted_and_confidential():
    from django.contrib.auth.models import AnonymousUser

    public = MeetingFactory(access=Access.PUBLIC)
    MeetingFactory(access=Access.RESTRICTED)
    MeetingFactory(access=Access.CONFIDENTIAL)
    assert list(Meeting.objects.visible_to(AnonymousUser())) == [public]


def test_session_queryset_hides_public_session_of_restricted_meeting():
    from django.contrib.auth.models import AnonymousUser

    SessionFactory(meeting=MeetingFactory(access=Access.RESTRICTED))
    visible = SessionFactory()
    assert list(Session.objects.visible_to(AnonymousUser())) == [visible]


def test_meeting_upcoming_includes_running_meetings():
    running = MeetingFactory(start_date=dt.date(2030, 3, 1), end_date=dt.date(2030, 3, 3))
    MeetingFactory(start_date=dt.date(2030, 2, 1), end_date=dt.date(2030, 2, 2))
    assert list(Meeting.objects.upcoming(today=dt.date(2030, 3, 2))) == [running]


@pytest.mark.parametrize(
    ("status", "flags"),
    [
        (Status.SCHEDULED, (False, False, False)),
        (Status.CANCELLED, (True, False, True)),
        (Status.POSTPONED, (False, True, True)),
        (Status.RESCHEDULED, (False, False, False)),
    ],
)
def test_status_flags_keep_cancelled_and_postponed_apart(status, flags):
    for item in (Meeting(status=status), Session(status=status)):
        assert (item.is_cancelled, item.is_postponed, item.is_called_off) == flags


# --- Source notes: flagged for review when a fact they speak of changes ----------------------------


def test_meeting_source_note_is_flagged_for_review_when_the_venue_it_speaks_of_is_added_in_the_admin(
    administrator_client,
):
    summit = labuan_bajo_summit(source_note="The sources give no venue.")
    assert summit.source_note_review is False
    other = VenueFactory(name="Komodo hall", city="Labuan Bajo", country="ID", timezone="Asia/Makassar")

    response = administrator_client.post(
        reverse("admin:events_meeting_change", args=[summit.pk]),
        meeting_change_form(summit, venue=other.pk, source_note="The sources give no venue."),
    )

    assert response.status_code == 302, response.context["errors"]
    summit.refresh_from_db()
    assert (summit.venue, summit.source_note_review) == (other, True)
    listed = administrator_client.get(reverse("admin:events_meeting_changelist"), {"source_note_review__exact": "1"})
    assert [m.pk for m in listed.context["cl"].result_list] == [summit.pk]


def test_meeting_source_note_is_flagged_when_session_times_are_added_unless_the_note_is_edited_too(
    administrator_client,
):
    summit = labuan_bajo_summit(source_note="Times not given.")
    session = {"title": "Plenary", "starts_on": "2023-05-10", "start_time": "09:00"}
    url = reverse("admin:events_meeting_change", args=[summit.pk])

    edited = meeting_change_form(summit, sessions=[session], source_note="Times from the chair's programme.")
    assert administrator_client.post(url, edited).status_code == 302
    summit.refresh_from_db()
    assert summit.source_note_review is False

    SessionFactory(meeting=summit, starts_on=dt.date(2023, 5, 11))  # e.g. added through the API or an import
    summit.refresh_from_db()
    assert summit.source_note_review is True
