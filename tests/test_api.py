"""Pagination of the JSON API (events/api.py): a page size out of range is refused with a message, never capped."""

import pytest

from events.models import Series

from .factories import MeetingFactory

pytestmark = pytest.mark.django_db


def test_huge_page_size_is_refused_with_a_message(anon):
    response = anon.get("/api/v1/series/?page_size=1000000000000000000000")

    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give a whole number from 1 to 200."]}


def test_page_size_of_200_is_served(anon):
    Series.objects.bulk_create(Series(name=f"S{i:03}", slug=f"s{i:03}") for i in range(205))

    response = anon.get("/api/v1/series/?page_size=200")

    assert len(response.json()["results"]) == 200
    assert response.json()["count"] == 205


def test_page_past_the_end_is_404_not_500(anon):
    MeetingFactory()

    assert anon.get("/api/v1/meetings/?page=99").status_code == 404
