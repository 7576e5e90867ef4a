"""What ascn_events/settings.py switches on: security headers and HTTPS, signing in (login URL, the
header's links) and django-axes locking a username after 5 failed logins."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.test import override_settings
from django.urls import reverse

from .factories import UserFactory

pytestmark = pytest.mark.django_db


# --- Headers ---------------------------------------------------------------------


def test_pages_send_csp_nosniff_and_referrer_policy(client):
    response = client.get(reverse("events:meeting_list"))
    assert response.status_code == 200
    policy = dict(directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True)
def test_https_responses_send_hsts():
    response = Client().get(reverse("events:meeting_list"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_plain_http_is_redirected_to_https_unless_the_proxy_says_https():
    client = Client()
    plain = client.get("/meetings/")
    proxied = client.get("/meetings/", headers={"X-Forwarded-Proto": "https"})
    assert (plain.status_code, plain["Location"]) == (301, "https://testserver/meetings/")
    assert proxied.status_code == 200


# --- Signing in -------------------------------------------------------------------


def user_with_password(username, password, **fields):
    """A user who signs in with `password`."""
    user = UserFactory(username=username, **fields)
    user.set_password(password)
    user.save()
    return user


def test_login_page_lets_an_ordinary_user_reach_their_feed_tokens(client):
    user = user_with_password("planner", "a long planner passphrase")
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


# --- Login throttling (django-axes) -------------------------------------------------


def test_admin_login_is_locked_after_five_failures_even_with_the_right_password(client):
    user_with_password("alice", "correct horse battery staple", is_staff=True)
    url = reverse("admin:login")
    for _ in range(5):
        failed = client.post(url, {"username": "alice", "password": "wrong", "next": "/admin/"})
        assert failed.status_code in {200, 429}
    locked = client.post(url, {"username": "alice", "password": "correct horse battery staple", "next": "/admin/"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="alice").failures_since_start >= 5


def test_admin_login_succeeds_after_fewer_failures_than_the_limit(client):
    user = user_with_password("bob", "correct horse battery staple", is_staff=True)
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": "bob", "password": "wrong", "next": "/admin/"})
    ok = client.post(url, {"username": "bob", "password": "correct horse battery staple", "next": "/admin/"})
    assert (ok.status_code, ok["Location"]) == (302, "/admin/")
    assert client.session["_auth_user_id"] == str(user.pk)
