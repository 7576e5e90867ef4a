"""Reference data (events/reference.py): venues, series and chairmanships."""

import pytest
from django.core.exceptions import ValidationError

from events.models import Chairmanship
from events.models import Meeting
from events.models import Session
from events.models import Venue

from .conftest import rejected_by_database
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db


def test_venue_unknown_timezone_is_rejected_by_validator_and_malformed_by_database():
    venue = VenueFactory.build(timezone="Asia/Atlantis")
    with pytest.raises(ValidationError) as error:
        venue.full_clean()
    assert error.value.message_dict["timezone"] == ["“Asia/Atlantis” is not a known IANA time zone."]
    assert rejected_by_database(lambda: VenueFactory(timezone="Asia/Jakarta; DROP TABLE"))


def test_venue_rename_bumps_revisions_of_its_meetings_and_sessions():
    session = SessionFactory()
    before = Session.objects.get(pk=session.pk).updated
    venue = Venue.objects.get(pk=session.venue_id)
    venue.name = "Shangri-La"
    venue.save()
    assert Session.objects.get(pk=session.pk).revision == 2
    assert Session.objects.get(pk=session.pk).updated > before
    assert Meeting.objects.get(pk=session.meeting_id).revision == 2


def test_series_str_follows_the_active_language():
    from django.utils import translation

    series = SeriesFactory(name="ASEAN Summit", name_id="KTT ASEAN")
    with translation.override("id"):
        assert str(series) == "KTT ASEAN"
    assert str(series) == "ASEAN Summit"


def test_chairmanship_unique_per_body_and_year():
    Chairmanship.objects.create(body="ascn", year=2023, country="ID")
    assert rejected_by_database(lambda: Chairmanship.objects.create(body="ascn", year=2023, country="KH"))
    assert rejected_by_database(lambda: Chairmanship.objects.create(body="asean", year=1900, country="KH"))
