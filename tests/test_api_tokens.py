"""API tokens (events/api.py TokenAuthentication over django-rest-knox): malformed or non-ASCII headers are a
401, the admin shows a new token once, and the old plain-token table is gone."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from .conftest import signed_in
from .factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("header", ["Token", "Token not-a-token", "Token a b", "Bearer \u00ff\u00fe"])
def test_malformed_api_tokens_are_401_with_a_message(unchanged, header):
    response = Client().post(
        "/api/v1/meetings/", {"title": "Nope"}, content_type="application/json", headers={"Authorization": header}
    )
    assert response.status_code in {401, 403}
    assert response.json()["detail"]


def test_non_ascii_token_is_a_401_not_a_500(unchanged):
    response = Client().get("/api/v1/meetings/", headers={"Authorization": "Token ascn_\u00ff\u00fe"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_admin_shows_a_new_token_once():
    client = signed_in(StaffFactory(username="admin"))
    robot = StaffFactory(username="robot")
    response = client.post(
        reverse("admin:knox_authtoken_add"), {"user": robot.pk, "expiry_0": "", "expiry_1": ""}, follow=True
    )
    [message] = [str(m) for m in response.context["messages"] if str(m).startswith("TOKEN ")]
    token = AuthToken.objects.get()
    assert message.removeprefix("TOKEN ").startswith(token.token_key)
    assert (
        client.get(reverse("admin:knox_authtoken_change", args=[token.pk]))
        .content.decode()
        .count(message.removeprefix("TOKEN "))
        == 0
    )


def test_migration_drops_the_plain_token_table():
    migration = importlib.import_module("events.migrations.0010_retire_plain_api_tokens")

    class Editor:  # the migration needs only these two of a schema editor
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    editor = Editor()
    editor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer)")
    editor.execute("INSERT INTO authtoken_token VALUES ('plain-secret', 1)")
    migration.drop_plain_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
