"""Request limits of the API (events/api.py): JSON bodies' size, depth and encoding (LimitedJSONParser),
page size and page number (Pagination), each refused with a message."""

import pytest
from django.test import Client

from .conftest import signed_in
from .factories import MeetingFactory
from .factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/meetings/"),
        ("post", "/api/v1/sessions/"),
        ("post", "/api/v1/documents/"),
        ("post", "/api/v1/series/"),
        ("patch", "/api/v1/meetings/steady-summit/"),
    ],
)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "The JSON body is nested more than 20 levels deep."),
        ('{"title": ' + "[" * 21 + "]" * 21 + "}", "The JSON body is nested more than 20 levels deep."),
        (
            '{"title": "' + "a" * (1024 * 1024) + '"}',
            "The JSON body is larger than 1,048,576 bytes; send less at a time.",
        ),
    ],
    ids=["very-deep", "21-levels", "over-1-MB"],
)
def test_deep_or_large_json_is_a_400_with_a_message_on_every_endpoint(unchanged, method, path, body, message):
    client = signed_in(StaffFactory(username="apistaff"))
    response = getattr(client, method)(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": message}


def test_non_utf8_body_is_a_400_in_the_api(unchanged, administrator_client):
    response = administrator_client.post(
        "/api/v1/meetings/", b'{"title": "\xff\xfe\xfa"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_oversized_body_is_a_400(unchanged, administrator_client):
    body = b'{"title": "' + b"a" * (11 * 1024 * 1024) + b'"}'
    response = administrator_client.post("/api/v1/meetings/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("size", ["1000000000", "0", "-5", "ten", "²", "1\u00b2", "\u0663"])
def test_huge_or_malformed_page_size_is_400_with_a_message(db, size):
    MeetingFactory.create_batch(4)
    response = Client().get("/api/v1/meetings/", {"page_size": size})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give a whole number from 1 to 200."]}


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "abc"])
def test_absurd_page_numbers_are_404_with_a_message(unchanged, page):
    response = Client().get("/api/v1/meetings/", {"page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}
