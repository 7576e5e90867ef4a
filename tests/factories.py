"""Factories with plain, predictable defaults: a public, scheduled, in-person
meeting in Singapore on 1–3 March 2030, and date-only sessions on its first day."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from events import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")


class StaffFactory(UserFactory):
    """A staff member holding one role (`role="Editor"`; default Administrator), as staff are set up.

    Never a superuser: a superuser passes every permission check, so a test signed in as one
    could not meet a permission. Tests about the superuser use SuperuserFactory.
    """

    class Meta:
        skip_postgeneration_save = True  # the role is a many-to-many row; the user needs no second save

    is_staff = True

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create:
            from django.contrib.auth.models import Group

            user.groups.add(Group.objects.get(name=extracted or "Administrator"))


class SuperuserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Series

    name = factory.Sequence(lambda n: f"Series {n}")
    abbreviation = factory.Sequence(lambda n: f"S{n}")
    slug = factory.Sequence(lambda n: f"series-{n}")
    organising_body = "ASEAN"


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Venue

    name = factory.Sequence(lambda n: f"Convention Centre {n}")
    city = "Singapore"
    country = "SG"
    timezone = "Asia/Singapore"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Meeting

    series = factory.SubFactory(SeriesFactory)
    title = factory.Sequence(lambda n: f"Meeting {n}")
    title_id = factory.Sequence(lambda n: f"Pertemuan {n}")
    slug = factory.Sequence(lambda n: f"meeting-{n}")
    start_date = dt.date(2030, 3, 1)
    end_date = dt.date(2030, 3, 3)
    venue = factory.SubFactory(VenueFactory)
    timezone = factory.LazyAttribute(lambda m: m.venue.timezone if m.venue else "Asia/Jakarta")
    mode = models.Mode.IN_PERSON


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Session

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    kind = models.SessionKind.PLENARY
    starts_on = factory.LazyAttribute(lambda s: s.meeting.start_date)
    venue = factory.LazyAttribute(lambda s: s.meeting.venue)
    mode = models.Mode.IN_PERSON


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OutcomeDocument

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Declaration {n}")
    kind = models.OutcomeDocument.Kind.DECLARATION


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Person

    name = factory.Sequence(lambda n: f"Delegate {n}")
    country = "ID"


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Delegation

    meeting = factory.SubFactory(MeetingFactory)
    country = "ID"


class DelegationMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DelegationMember

    delegation = factory.SubFactory(DelegationFactory)
    person = factory.SubFactory(PersonFactory)
    role = models.DelegateRole.MINISTER


def timed(day, hour, minute=0, zone="Asia/Singapore", hours=1):
    """An aware (start, end) pair at a local wall-clock time in `zone`."""
    import zoneinfo

    start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(zone))
    return start, start + dt.timedelta(hours=hours)


def bilingual_summit(*, slug, plenary_day):
    """The 32nd ASEAN Summit named in English and Indonesian, 25–28 April 2030, in person, with a
    two-hour plenary from 09:00 Singapore time on `plenary_day` (the pages' and browser's summit)."""
    series = SeriesFactory(name="ASEAN Summit", name_id="KTT ASEAN", slug="asean-summit")
    summit = MeetingFactory(
        series=series,
        title="32nd ASEAN Summit",
        title_id="KTT ASEAN ke-32",
        slug=slug,
        start_date=dt.date(2030, 4, 25),
        end_date=dt.date(2030, 4, 28),
        mode=models.Mode.IN_PERSON,
    )
    start, end = timed(plenary_day, 9, hours=2)
    SessionFactory(meeting=summit, title="Plenary Session", title_id="Sesi Pleno", start=start, end=end)
    return summit
