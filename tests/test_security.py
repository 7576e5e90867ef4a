"""Hardening: deploy checks, security headers, login throttling, staff roles."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.test import Client, override_settings
from django.urls import reverse

from events.models import Access, Meeting

from .conftest import role_user, signed_in
from .factories import MeetingFactory, SeriesFactory, UserFactory, VenueFactory

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "ascn_events.settings_production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Production settings ---------------------------------------------------------


def test_check_deploy_with_production_settings_reports_nothing():
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", SECRET_KEY=secrets.token_urlsafe(50))
    assert (result.returncode, result.stdout.strip()) == (0, "System check identified no issues (0 silenced)."), (
        result.stderr[-2000:]
    )


def test_check_deploy_with_development_settings_reports_the_insecure_switches():
    result = run_manage(
        "check", "--deploy", DJANGO_SETTINGS_MODULE="ascn_events.settings", SECRET_KEY=secrets.token_urlsafe(50)
    )
    assert "security.W008" in result.stdout + result.stderr


def test_production_settings_without_secret_key_refuse_to_start():
    result = run_manage("check")
    assert result.returncode == 1
    assert "SECRET_KEY must be set in the environment" in result.stderr


def test_production_settings_with_a_short_secret_key_refuse_to_start():
    result = run_manage("check", SECRET_KEY="short")
    assert "SECRET_KEY must be set in the environment" in result.stderr


def test_production_secret_key_and_database_come_from_the_environment():
    key = secrets.token_urlsafe(50)
    script = "from django.conf import settings as s; print(s.SECRET_KEY, s.DATABASES['default']['NAME'], s.DEBUG)"
    result = run_manage(
        "shell", "--no-imports", "-c", script, SECRET_KEY=key, DATABASE_URL="sqlite:////tmp/from-env.sqlite3"
    )
    assert result.stdout.split() == [key, "/tmp/from-env.sqlite3", "False"]


# --- Headers ---------------------------------------------------------------------


@pytest.mark.django_db
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


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True)
def test_https_responses_send_hsts():
    response = Client().get(reverse("events:meeting_list"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_plain_http_is_redirected_to_https_unless_the_proxy_says_https():
    client = Client()
    plain = client.get("/meetings/")
    proxied = client.get("/meetings/", headers={"X-Forwarded-Proto": "https"})
    assert (plain.status_code, plain["Location"]) == (301, "https://testserver/meetings/")
    assert proxied.status_code == 200


# --- Login throttling (django-axes) -------------------------------------------------


@pytest.mark.django_db
def test_admin_login_is_locked_after_five_failures_even_with_the_right_password(client):
    user = UserFactory(username="alice", is_staff=True)
    user.set_password("correct horse battery staple")
    user.save()
    url = reverse("admin:login")
    for _ in range(5):
        failed = client.post(url, {"username": "alice", "password": "wrong", "next": "/admin/"})
        assert failed.status_code in {200, 429}
    locked = client.post(url, {"username": "alice", "password": "correct horse battery staple", "next": "/admin/"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="alice").failures_since_start >= 5


@pytest.mark.django_db
def test_admin_login_succeeds_after_fewer_failures_than_the_limit(client):
    user = UserFactory(username="bob", is_staff=True)
    user.set_password("correct horse battery staple")
    user.save()
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": "bob", "password": "wrong", "next": "/admin/"})
    ok = client.post(url, {"username": "bob", "password": "correct horse battery staple", "next": "/admin/"})
    assert (ok.status_code, ok["Location"]) == (302, "/admin/")
    assert client.session["_auth_user_id"] == str(user.pk)


# --- Roles ---------------------------------------------------------------------------


def perms(group_name):
    return set(Permission.objects.filter(group__name=group_name).values_list("content_type__app_label", "codename"))


@pytest.mark.django_db
def test_roles_exist_with_growing_permissions():
    viewer, data_entry, editor, administrator = (
        perms(name) for name in ("Viewer", "Data entry", "Editor", "Administrator")
    )
    assert ("events", "view_meeting") in viewer
    assert ("events", "view_restricted") in viewer
    assert ("events", "change_meeting") not in viewer
    assert viewer < data_entry < editor < administrator
    assert {("events", "add_session"), ("events", "change_session")} <= data_entry
    assert ("events", "delete_meeting") not in data_entry
    assert ("events", "publish_meeting") not in data_entry
    assert {("events", "publish_meeting"), ("events", "delete_meeting"), ("events", "view_confidential")} <= editor
    assert {("auth", "change_user"), ("auth", "change_group")} <= administrator
    assert ("auth", "change_user") not in editor


@pytest.mark.django_db
def test_viewer_sees_meetings_in_admin_but_cannot_change_them():
    meeting = MeetingFactory()
    client = signed_in(role_user("Viewer", "viewer"))
    assert client.get(reverse("admin:events_meeting_changelist")).status_code == 200
    response = client.post(reverse("admin:events_meeting_change", args=[meeting.pk]), {"title": "Changed"})
    assert response.status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).title == meeting.title


def new_meeting_post(access):
    series, venue = SeriesFactory(), VenueFactory()
    data = {
        "title": "Special Meeting",
        "slug": "special-meeting",
        "series": series.pk,
        "start_date": "2030-05-01",
        "end_date": "2030-05-02",
        "venue": venue.pk,
        "mode": "in_person",
        "status": "scheduled",
        "access": access,
    }
    for prefix in ("sessions", "documents", "delegations"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


@pytest.mark.django_db
def test_data_entry_cannot_publish_a_meeting():
    client = signed_in(role_user("Data entry", "clerk"))
    response = client.post(reverse("admin:events_meeting_add"), new_meeting_post(Access.PUBLIC))
    assert response.status_code == 200
    form = response.context["adminform"].form
    # The access choices offered are the policy's: a clerk creates restricted items only.
    assert [value for value, _label in form.fields["access"].choices] == [Access.RESTRICTED]
    assert form.errors["access"] == ["Select a valid choice. public is not one of the available choices."]
    assert Meeting.objects.count() == 0


@pytest.mark.django_db
def test_data_entry_may_save_a_restricted_meeting_and_an_editor_may_publish():
    clerk = signed_in(role_user("Data entry", "clerk"))
    response = clerk.post(reverse("admin:events_meeting_add"), new_meeting_post(Access.RESTRICTED))
    assert response.status_code == 302
    assert Meeting.objects.get().access == Access.RESTRICTED

    editor = signed_in(role_user("Editor", "editor"))
    response = editor.post(reverse("admin:events_meeting_add"), {**new_meeting_post(Access.PUBLIC), "slug": "other"})
    assert response.status_code == 302
    assert Meeting.objects.get(slug="other").access == Access.PUBLIC


@pytest.mark.django_db
def test_data_entry_cannot_delete_meetings():
    meeting = MeetingFactory()
    client = signed_in(role_user("Data entry", "clerk"))
    response = client.post(reverse("admin:events_meeting_delete", args=[meeting.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Meeting.objects.filter(pk=meeting.pk).exists()
