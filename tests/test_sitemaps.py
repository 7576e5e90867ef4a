import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Access

from .factories import MeetingFactory
from .factories import SeriesFactory

pytestmark = pytest.mark.django_db


def test_sitemap_lists_public_meetings_and_series_only(client):
    series = SeriesFactory(slug="asean-summit")
    MeetingFactory(series=series, slug="32nd-asean-summit-2018")
    MeetingFactory(series=series, slug="secret-retreat", access=Access.RESTRICTED)
    MeetingFactory(series=series, slug="closed-door", access=Access.CONFIDENTIAL)
    body = client.get("/sitemap.xml").content.decode()
    assert "http://testserver/meetings/32nd-asean-summit-2018/" in body
    assert "http://testserver/series/asean-summit/" in body
    assert "secret-retreat" not in body
    assert "closed-door" not in body


def test_sitemap_query_count_constant_from_1_to_20_meetings(client):
    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get("/sitemap.xml")
        return len(queries)

    MeetingFactory()
    one = count()
    MeetingFactory.create_batch(19)
    assert count() == one
