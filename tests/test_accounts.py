import pytest
from django.urls import reverse

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_lets_an_ordinary_user_reach_their_feed_tokens(client):
    user = UserFactory(username="planner")
    user.set_password("a long planner passphrase")
    user.save()
    page = client.get(reverse("events:feed_tokens"))
    assert page.status_code == 302
    assert page["Location"] == f"{reverse('login')}?next={reverse('events:feed_tokens')}"
    response = client.post(
        reverse("login"),
        {"username": "planner", "password": "a long planner passphrase", "next": reverse("events:feed_tokens")},
    )
    assert response["Location"] == reverse("events:feed_tokens")
    assert client.get(reverse("events:feed_tokens")).context["user"] == user


def test_login_with_wrong_password_shows_form_error(client):
    UserFactory(username="planner")
    response = client.post(reverse("login"), {"username": "planner", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"][0].startswith("Please enter a correct username and password")


def test_header_offers_sign_in_to_anonymous_and_sign_out_to_users(client):
    assert "Sign in" in client.get(reverse("events:home")).content.decode()
    client.force_login(UserFactory())
    page = client.get(reverse("events:home")).content.decode()
    assert "Sign out" in page
    assert "My calendar feeds" in page
