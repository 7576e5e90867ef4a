"""The filters shared by pages, API and feeds (events/filters.py): by series, country, mode, status, dates and
text, their errors, and the facet counts."""

import datetime as dt

import pytest
from django.http import QueryDict
from django.utils.http import urlencode

from events.filters import DocumentFilter
from events.filters import MeetingFilter
from events.filters import SessionFilter
from events.filters import meeting_facets
from events.models import Meeting
from events.models import Mode
from events.models import OutcomeDocument
from events.models import Session
from events.models import Status

from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db


def params(**values):
    """Query parameters as a browser sends them (`from` is a keyword, hence the dict form too)."""
    return QueryDict(urlencode(values, doseq=True))


def titles(filterset):
    assert filterset.is_valid(), filterset.errors
    return sorted(obj.title for obj in filterset.qs)


def test_meeting_filter_by_series_slug_country_mode_status(seed):
    qs = Meeting.objects.all()
    assert titles(MeetingFilter(params(**{"series": "asean-japan-scn-hlm"}), queryset=qs)) == [
        "3rd ASEAN-Japan Smart Cities Network High Level Meeting"
    ]
    assert len(titles(MeetingFilter(params(**{"country": "sg"}), queryset=qs))) == 4
    assert titles(MeetingFilter(params(**{"mode": "hybrid"}), queryset=qs)) == [
        "3rd ASEAN-Japan Smart Cities Network High Level Meeting"
    ]
    assert titles(MeetingFilter(params(**{"status": "cancelled"}), queryset=qs)) == []


def test_meeting_filter_date_range_selects_overlapping_meetings(seed):
    qs = Meeting.objects.all()
    # 28 April 2018 is inside the summit week only.
    assert titles(MeetingFilter(params(**{"from": "2018-04-28", "to": "2018-04-28"}), queryset=qs)) == [
        "32nd ASEAN Summit"
    ]


def test_meeting_filter_text_search_matches_indonesian_title(seed):
    found = titles(MeetingFilter(params(**{"q": "KTT ke-32"}), queryset=Meeting.objects.all()))
    # The summit and its three related meetings carry "(KTT ASEAN ke-32)" in their Indonesian titles.
    assert found == [
        "32nd ASEAN Summit",
        "ASEAN Foreign Ministers' Meeting (32nd ASEAN Summit)",
        "Committee of Permanent Representatives Meeting (32nd ASEAN Summit)",
        "Senior Officials' Meeting (32nd ASEAN Summit)",
    ]


def test_meeting_filter_rejects_reversed_range_with_message():
    filterset = MeetingFilter(params(**{"from": "2030-03-05", "to": "2030-03-01"}), queryset=Meeting.objects.all())
    assert not filterset.is_valid()
    assert filterset.errors["to"] == ["The end of the date range is before its start."]


def test_meeting_filter_rejects_absurd_dates_unknown_series_and_mode():
    filterset = MeetingFilter(
        params(**{"from": "0001-01-01", "series": "no-such-series", "mode": "telepathy", "country": "XX"}),
        queryset=Meeting.objects.all(),
    )
    assert not filterset.is_valid()
    assert sorted(filterset.errors) == ["country", "from", "mode", "series"]


def test_session_filter_uses_meeting_facets_and_session_dates():
    jakarta = VenueFactory(city="Jakarta", country="ID", timezone="Asia/Jakarta")
    meeting = MeetingFactory(venue=jakarta, start_date=dt.date(2030, 3, 1), end_date=dt.date(2030, 3, 3))
    SessionFactory(meeting=meeting, title="Day one", starts_on=dt.date(2030, 3, 1))
    SessionFactory(meeting=meeting, title="Day three", starts_on=dt.date(2030, 3, 3))
    SessionFactory(title="Elsewhere")
    qs = Session.objects.all()
    assert titles(SessionFilter(params(**{"country": "ID", "from": "2030-03-02"}), queryset=qs)) == ["Day three"]
    assert titles(SessionFilter(params(**{"series": meeting.series.slug}), queryset=qs)) == ["Day one", "Day three"]


def test_document_filter_by_kind_and_series():
    document = DocumentFactory(kind="recommendations")
    DocumentFactory(kind="vision")
    qs = OutcomeDocument.objects.all()
    assert titles(DocumentFilter(params(**{"kind": "recommendations"}), queryset=qs)) == [document.title]
    assert titles(DocumentFilter(params(**{"series": document.meeting.series.slug}), queryset=qs)) == [document.title]


# --- Facets -------------------------------------------------------------------------


def facets_for(data):
    filterset = MeetingFilter(params(**data), queryset=Meeting.objects.all())
    return {facet.name: facet for facet in meeting_facets(filterset=filterset, queryset=Meeting.objects.all())}


def options(facet):
    return [(o.value, o.label, o.count, o.selected) for o in facet.options]


@pytest.fixture
def planner_world():
    summit = SeriesFactory(name="ASEAN Summit", slug="summit")
    ascn = SeriesFactory(name="ASEAN Smart Cities Network Annual Meeting", slug="ascn")
    jakarta = VenueFactory(name="JCC", city="Jakarta", country="ID", timezone="Asia/Jakarta")
    tokyo = VenueFactory(name="Hotel", city="Tokyo", country="JP", timezone="Asia/Tokyo")
    bangkok = VenueFactory(name="QSNCC", city="Bangkok", country="TH", timezone="Asia/Bangkok")
    MeetingFactory(series=summit, venue=jakarta, host_country="ID", start_date=dt.date(2023, 9, 5),
                   end_date=dt.date(2023, 9, 7), mode=Mode.IN_PERSON)  # fmt: skip
    MeetingFactory(series=summit, venue=bangkok, host_country="", start_date=dt.date(2019, 6, 22),
                   end_date=dt.date(2019, 6, 23), status=Status.SCHEDULED)  # fmt: skip
    MeetingFactory(series=ascn, venue=tokyo, host_country="JP", start_date=dt.date(2023, 10, 1),
                   end_date=dt.date(2023, 10, 1), mode=Mode.HYBRID, status=Status.CANCELLED)  # fmt: skip


def test_facets_count_what_each_option_would_list_given_the_other_filters(planner_world):
    facets = facets_for({"series": "summit"})

    # Series counts ignore the series filter itself; the others count within the summits.
    assert options(facets["series"]) == [
        ("ascn", "ASEAN Smart Cities Network Annual Meeting", 1, False),
        ("summit", "ASEAN Summit", 2, True),
    ]
    assert options(facets["year"]) == [("2023", "2023", 1, False), ("2019", "2019", 1, False)]
    assert options(facets["mode"]) == [("in_person", "In person", 2, False)]
    assert options(facets["status"]) == [("scheduled", "Scheduled", 2, False)]


def test_country_facet_offers_only_countries_with_meetings_asean_members_first(planner_world):
    country = facets_for({"country": "jp"})["country"]

    assert [(label, [(o.value, o.count, o.selected) for o in group]) for label, group in country.groups] == [
        ("ASEAN members", [("ID", 1, False), ("TH", 1, False)]),
        ("Other countries", [("JP", 1, True)]),
    ]


def test_year_filter_selects_meetings_starting_that_year(planner_world):
    assert len(MeetingFilter(params(year="2023"), queryset=Meeting.objects.all()).qs) == 2
    bad = MeetingFilter(params(year="1900"), queryset=Meeting.objects.all())
    assert not bad.is_valid()
    assert bad.errors["year"] == ["Ensure this value is greater than or equal to 1967."]


def test_dates_are_read_as_iso_or_in_the_page_language_short_format_only(planner_world):
    from django.utils import translation

    with translation.override("en"):
        assert len(MeetingFilter(params(**{"from": "09/01/2023"}), queryset=Meeting.objects.all()).qs) == 2
        assert not MeetingFilter(params(**{"from": "01-09-2023"}), queryset=Meeting.objects.all()).is_valid()
    with translation.override("id"):
        assert len(MeetingFilter(params(**{"from": "01-09-2023"}), queryset=Meeting.objects.all()).qs) == 2
        assert len(MeetingFilter(params(**{"from": "2023-09-01"}), queryset=Meeting.objects.all()).qs) == 2
        # 09/01/2023 would be 9 January here and 1 September in English: refused, not misread.
        assert not MeetingFilter(params(**{"from": "09/01/2023"}), queryset=Meeting.objects.all()).is_valid()
