"""Personal feed tokens (events/feed_tokens.py): stored as a hash, and the page that issues, lists and revokes them."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from events.models import FeedToken

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_feed_token_stores_only_hash_and_finds_by_secret():
    user = UserFactory()
    token, secret = FeedToken.issue(user=user)
    assert secret not in token.token_hash
    assert len(secret) >= 40
    assert FeedToken.objects.for_secret(secret) == token
    token.revoke()
    assert FeedToken.objects.for_secret(secret) is None
    assert FeedToken.objects.for_secret("not-a-token") is None


def test_token_page_needs_login(client):
    response = client.get("/feeds/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_user_creates_a_token_and_sees_its_address_once(client, user):
    client.force_login(user)
    response = client.post("/feeds/tokens/", {"name": "Work phone"})
    assert response.status_code == 201
    token = FeedToken.objects.get(user=user)
    url = response.context["new_feed_url"]
    assert url.startswith("http://testserver/feeds/private/")
    secret = url.removeprefix("http://testserver/feeds/private/").removesuffix(".ics")
    assert FeedToken.objects.for_secret(secret) == token
    assert token.name == "Work phone"
    assert response["Cache-Control"] == "no-store"
    assert secret not in client.get("/feeds/tokens/").content.decode()
    assert client.get(url).status_code == 200


def test_token_with_blank_name_is_refused(client, user):
    client.force_login(user)
    response = client.post("/feeds/tokens/", {"name": ""})
    assert response.status_code == 400
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert FeedToken.objects.count() == 0


def test_user_revokes_own_token_but_not_anothers(client, user):
    mine, secret = FeedToken.issue(user=user)
    theirs, _ = FeedToken.issue(user=UserFactory())
    client.force_login(user)
    assert client.post(f"/feeds/tokens/{theirs.pk}/revoke/").status_code == 404
    response = client.post(f"/feeds/tokens/{mine.pk}/revoke/")
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.is_active, theirs.is_active) == (False, True)
    assert client.get(f"/feeds/private/{secret}.ics").status_code == 404
    assert client.get(f"/feeds/tokens/{mine.pk}/revoke/").status_code == 405


def test_token_page_lists_only_own_tokens(client, user):
    FeedToken.issue(user=user, name="Laptop")
    FeedToken.issue(user=UserFactory(), name="Someone else")
    client.force_login(user)
    page = client.get("/feeds/tokens/").content.decode()
    assert "Laptop" in page
    assert "Someone else" not in page
