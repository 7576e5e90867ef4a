"""Malformed personal feed addresses (events/feeds.py, PrivateFeed): a 404, never an injected header."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("token", ["x", "A" * 500, "%00%0d%0aSet-Cookie:x=1", "..%2F..%2Fetc%2Fpasswd"])
def test_malformed_feed_tokens_are_404_with_a_message(unchanged, token):
    response = Client().get(f"/feeds/private/{token}.ics")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers
