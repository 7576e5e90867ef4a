import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from events.access import visible_levels
from events.editions import replace_ordinal
from events.models import (
    Access,
    Chairmanship,
    Delegation,
    DelegationMember,
    FeedToken,
    Meeting,
    Mode,
    OutcomeDocument,
    Session,
    Status,
    Venue,
)

from .factories import (
    DelegationFactory,
    DelegationMemberFactory,
    DocumentFactory,
    MeetingFactory,
    PersonFactory,
    SeriesFactory,
    SessionFactory,
    StaffFactory,
    UserFactory,
    VenueFactory,
    timed,
)

pytestmark = pytest.mark.django_db


def rejected_by_database(write):
    """True when the database itself refuses `write` (model validation bypassed)."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


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


def test_venue_unknown_timezone_is_rejected_by_validator_and_malformed_by_database():
    venue = VenueFactory.build(timezone="Asia/Atlantis")
    with pytest.raises(ValidationError) as error:
        venue.full_clean()
    assert error.value.message_dict["timezone"] == ["“Asia/Atlantis” is not a known IANA time zone."]
    assert rejected_by_database(lambda: VenueFactory(timezone="Asia/Jakarta; DROP TABLE"))


def test_meeting_cannot_be_its_own_parent_at_database_level():
    meeting = MeetingFactory()
    assert rejected_by_database(lambda: Meeting.objects.filter(pk=meeting.pk).update(parent=meeting.pk))


def test_meeting_revision_rises_only_on_visible_change():
    meeting = MeetingFactory()
    assert meeting.revision == 1
    meeting = Meeting.objects.get(pk=meeting.pk)
    meeting.external_uid = "imported@partner.example"  # bookkeeping, not an edit
    meeting.save()
    assert meeting.revision == 1
    meeting.participant_count = 300  # staff edit: guards against a concurrent overwrite
    meeting.save()
    assert meeting.revision == 2
    meeting.status = Status.POSTPONED
    meeting.save()
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


def test_meeting_revision_rises_when_a_document_is_added():
    meeting = MeetingFactory()
    DocumentFactory(meeting=meeting)
    assert Meeting.objects.get(pk=meeting.pk).revision == 2


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
    session.save()
    assert session.revision == 1
    session.status = Status.CANCELLED
    session.save()
    assert Session.objects.get(pk=session.pk).revision == 2


def test_session_duplicate_date_only_is_ordered_before_timed_on_same_day():
    meeting = MeetingFactory()
    timed_session = SessionFactory(
        meeting=meeting, title="B", start=timed(meeting.start_date, 9)[0], end=timed(meeting.start_date, 10)[0]
    )
    all_day = SessionFactory(meeting=meeting, title="A")
    assert list(meeting.sessions.all()) == [all_day, timed_session]


# --- Documents, delegations, chairs, tokens -------------------------------------


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


def test_delegation_one_per_country_and_one_head():
    delegation = DelegationFactory(country="ID")
    assert rejected_by_database(lambda: DelegationFactory(meeting=delegation.meeting, country="ID"))
    DelegationMemberFactory(delegation=delegation, is_head=True)
    assert rejected_by_database(lambda: DelegationMemberFactory(delegation=delegation, is_head=True))
    member = DelegationMemberFactory(delegation=delegation, person=PersonFactory(name="Safrizal ZA"))
    assert delegation.head != member
    assert DelegationMember.objects.filter(delegation=delegation).count() == 2


def test_chairmanship_unique_per_body_and_year():
    Chairmanship.objects.create(body="ascn", year=2023, country="ID")
    assert rejected_by_database(lambda: Chairmanship.objects.create(body="ascn", year=2023, country="KH"))
    assert rejected_by_database(lambda: Chairmanship.objects.create(body="asean", year=1900, country="KH"))


def test_feed_token_stores_only_hash_and_finds_by_secret():
    user = UserFactory()
    token, secret = FeedToken.issue(user=user)
    assert secret not in token.token_hash
    assert len(secret) >= 40
    assert FeedToken.objects.for_secret(secret) == token
    token.revoke()
    assert FeedToken.objects.for_secret(secret) is None
    assert FeedToken.objects.for_secret("not-a-token") is None


# --- Visibility and querysets ------------------------------------------------------


def test_visible_levels_by_user_kind():
    assert visible_levels(None) == ["public"]
    assert visible_levels(UserFactory()) == ["public"]
    assert visible_levels(StaffFactory()) == ["public", "restricted", "confidential"]


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


def test_meeting_revision_rises_when_a_document_is_deleted():
    document = DocumentFactory()
    before = Meeting.objects.get(pk=document.meeting_id)
    OutcomeDocument.objects.filter(pk=document.pk).delete()
    after = Meeting.objects.get(pk=document.meeting_id)
    assert after.revision == before.revision + 1
    assert after.updated > before.updated


def test_venue_rename_bumps_revisions_of_its_meetings_and_sessions():
    session = SessionFactory()
    before = Session.objects.get(pk=session.pk).updated
    venue = Venue.objects.get(pk=session.venue_id)
    venue.name = "Shangri-La"
    venue.save()
    assert Session.objects.get(pk=session.pk).revision == 2
    assert Session.objects.get(pk=session.pk).updated > before
    assert Meeting.objects.get(pk=session.meeting_id).revision == 2


# --- Duplicate as next edition -----------------------------------------------------------


def test_duplicate_as_next_edition_copies_with_ordinal_and_shifted_sessions():
    meeting = MeetingFactory(
        title="32nd ASEAN Summit",
        title_id="KTT ASEAN ke-32",
        ordinal=32,
        start_date=dt.date(2030, 3, 1),
        end_date=dt.date(2030, 3, 3),
    )
    start, end = timed(dt.date(2030, 3, 2), 9)
    SessionFactory(meeting=meeting, title="Plenary", start=start, end=end)
    SessionFactory(meeting=meeting, title="Retreat", starts_on=dt.date(2030, 3, 3))

    copy = meeting.duplicate_as_next_edition(shift_days=182)

    assert (copy.ordinal, copy.title, copy.title_id) == (33, "33rd ASEAN Summit", "KTT ASEAN ke-33")
    assert (copy.start_date, copy.end_date) == (dt.date(2030, 8, 30), dt.date(2030, 9, 1))
    assert copy.status == Status.TENTATIVE
    sessions = list(copy.sessions.order_by("title"))
    assert [(s.title, s.starts_on) for s in sessions] == [
        ("Plenary", dt.date(2030, 8, 31)),
        ("Retreat", dt.date(2030, 9, 1)),
    ]
    assert sessions[0].local_start.time() == dt.time(9, 0)
    assert meeting.sessions.count() == 2


def test_duplicate_as_next_edition_does_not_copy_imported_uids():
    meeting = MeetingFactory(ordinal=3, external_uid="hlm-3@partner.example")
    SessionFactory(meeting=meeting, external_uid="forum@partner.example")
    copy = meeting.duplicate_as_next_edition(shift_days=365)
    assert copy.external_uid == ""
    assert list(copy.sessions.values_list("external_uid", flat=True)) == [""]


def test_document_visible_to_anonymous_hides_restricted_meeting_and_session_documents():
    from django.contrib.auth.models import AnonymousUser

    public = DocumentFactory(title="Chairman's statement")
    DocumentFactory(meeting=MeetingFactory(access=Access.RESTRICTED))
    session = SessionFactory(meeting=public.meeting, access=Access.RESTRICTED)
    DocumentFactory(meeting=public.meeting, session=session)
    assert list(OutcomeDocument.objects.visible_to(AnonymousUser())) == [public]
    assert OutcomeDocument.objects.visible_to(StaffFactory()).count() == 3


def test_replace_ordinal_handles_english_and_indonesian():
    assert replace_ordinal("3rd ASEAN-Japan HLM", 3, 4) == "4th ASEAN-Japan HLM"
    assert replace_ordinal("KTT ASEAN ke-32", 32, 33) == "KTT ASEAN ke-33"
    assert replace_ordinal("11th Meeting", 11, 12) == "12th Meeting"


def test_series_str_follows_the_active_language():
    from django.utils import translation

    series = SeriesFactory(name="ASEAN Summit", name_id="KTT ASEAN")
    with translation.override("id"):
        assert str(series) == "KTT ASEAN"
    assert str(series) == "ASEAN Summit"


def test_delegation_visible_to_follows_its_meeting_and_meeting_is_visible_to_agrees():
    from django.contrib.auth.models import AnonymousUser

    public = DelegationFactory(meeting=MeetingFactory(access=Access.PUBLIC))
    hidden = DelegationFactory(meeting=MeetingFactory(access=Access.RESTRICTED))
    assert list(Delegation.objects.visible_to(AnonymousUser())) == [public]
    anonymous = AnonymousUser()
    assert (public.meeting.is_visible_to(anonymous), hidden.meeting.is_visible_to(anonymous)) == (True, False)
    assert hidden.meeting.is_visible_to(StaffFactory()) is True


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
