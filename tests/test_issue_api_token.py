"""The issue_api_token command: a token shown once, stored as a digest, expiring and revocable."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from .conftest import api_token
from .factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_issued_token_is_shown_once_stored_as_a_digest_and_authenticates(unchanged):
    StaffFactory(username="robot")
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_api_token", "robot", "--expires-in-days", "30", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    [token] = AuthToken.objects.all()
    assert secret.startswith("ascn_")
    assert "It is shown only now" in err.getvalue()
    assert secret not in {token.digest, token.token_key}
    assert len(token.digest) == 128
    assert token.expiry is not None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get("/api/v1/meetings/steady-summit/").json()["slug"] == "steady-summit"
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/meetings/").status_code == 401
    assert AuthToken.objects.count() == 0


def test_revoked_or_expired_tokens_no_longer_authenticate(unchanged):
    robot = StaffFactory(username="robot")
    expired, kept = api_token(robot), api_token(robot)
    AuthToken.objects.filter(token_key=expired[:15]).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {expired}")
    assert client.get("/api/v1/meetings/").json() == {"detail": "Invalid token."}
    call_command("issue_api_token", "robot", "--revoke-all", stdout=io.StringIO())
    client.credentials(HTTP_AUTHORIZATION=f"Token {kept}")
    assert client.get("/api/v1/meetings/").status_code == 401
