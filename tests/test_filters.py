import datetime as dt

import pytest
from django.http import QueryDict
from django.utils.http import urlencode

from events.filters import DocumentFilter, MeetingFilter, SessionFilter
from events.models import Meeting, OutcomeDocument, Session

from .factories import DocumentFactory, MeetingFactory, SessionFactory, VenueFactory

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
