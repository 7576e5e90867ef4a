"""Staff roles as groups (events/roles.py): a missing role is made again, an existing one left as it is."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission

from events.roles import create_missing_roles

pytestmark = pytest.mark.django_db


def test_missing_role_is_created_again_with_its_permissions():
    Group.objects.filter(name="Viewer").delete()
    create_missing_roles()
    codenames = set(Group.objects.get(name="Viewer").permissions.values_list("codename", flat=True))
    assert {"view_meeting", "view_restricted"} <= codenames
    assert "change_meeting" not in codenames


def test_existing_role_keeps_the_permissions_an_administrator_gave_it():
    editor = Group.objects.get(name="Editor")
    editor.permissions.set(Permission.objects.filter(codename="view_meeting"))
    create_missing_roles()
    assert list(editor.permissions.values_list("codename", flat=True)) == ["view_meeting"]


def test_editor_may_view_every_history_table():
    history_views = set(
        Permission.objects.filter(content_type__app_label="events", codename__regex=r"^view_historical").values_list(
            "codename", flat=True
        )
    )
    editor = set(Group.objects.get(name="Editor").permissions.values_list("codename", flat=True))
    assert len(history_views) == 10
    assert history_views - editor == set()


def test_editor_history_grant_adds_only_the_three_later_tables(django_db_blocker):
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    grant = import_module("events.migrations.0013_editor_views_every_history_table").grant
    editor = Group.objects.get(name="Editor")
    editor.permissions.set(Permission.objects.filter(codename="view_meeting"))
    grant(apps, connection.schema_editor())
    assert sorted(editor.permissions.values_list("codename", flat=True)) == [
        "view_historicalchairmanship",
        "view_historicaldelegationmember",
        "view_historicalnetworkcity",
        "view_meeting",
    ]
