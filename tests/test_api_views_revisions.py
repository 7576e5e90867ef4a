"""Optimistic locking in the API (events/api_views.py If-Match, events/serializers.py body `revision`): 428
without a revision, 412 or 409 for a stale one, and two writers racing on PostgreSQL lose nothing."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from .conftest import api_token
from .conftest import snapshot
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["documents", "series"])
def test_api_update_without_a_revision_is_428_and_changes_nothing(staff_api, kind):
    obj = DocumentFactory() if kind == "documents" else SeriesFactory()
    before = snapshot()
    key = obj.pk if kind == "documents" else obj.slug
    response = staff_api.patch(f"/api/v1/{kind}/{key}/", {"title": "x", "name": "x"}, format="json")
    assert response.status_code == 428
    assert response.json()["detail"].startswith("Say which revision you are changing")
    assert snapshot() == before


def test_api_document_stale_if_match_is_412_and_stale_body_revision_is_409(staff_api):
    document = DocumentFactory(title="Draft")
    document.title = "Colleague's title"
    document.save()
    before = snapshot()

    stale_header = staff_api.patch(
        f"/api/v1/documents/{document.pk}/", {"title": "Mine"}, format="json", HTTP_IF_MATCH='"1"'
    )
    stale_body = staff_api.patch(f"/api/v1/documents/{document.pk}/", {"title": "Mine", "revision": 1}, format="json")

    assert stale_header.status_code == 412
    assert stale_body.status_code == 409
    assert stale_body.json()["changed_fields"] == ["title (English)"]
    assert snapshot() == before
    fresh = staff_api.patch(f"/api/v1/documents/{document.pk}/", {"title": "Mine"}, format="json", HTTP_IF_MATCH='"2"')
    assert (fresh.status_code, fresh["ETag"], fresh.json()["title"]) == (200, '"3"', "Mine")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["documents", "series", "meetings", "sessions"])
def test_concurrent_api_writers_on_postgresql_lose_nothing(kind):
    staff = StaffFactory(username="writer")
    obj = {
        "documents": DocumentFactory,
        "series": SeriesFactory,
        "meetings": MeetingFactory,
        "sessions": SessionFactory,
    }[kind]()
    key = obj.slug if kind in {"series", "meetings"} else obj.pk
    field = "name" if kind == "series" else "title"
    barrier, answers = threading.Barrier(2), {}

    def write(value):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(staff)}")
        barrier.wait()
        answers[value] = client.patch(f"/api/v1/{kind}/{key}/", {field: value}, format="json", HTTP_IF_MATCH='"1"')
        connection.close()

    threads = [threading.Thread(target=write, args=(value,)) for value in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 412]
    [winner] = [value for value, answer in answers.items() if answer.status_code == 200]
    obj.refresh_from_db()
    assert (getattr(obj, field), obj.revision) == (winner, 2)
