import pytest
from django.contrib.auth.models import Group, Permission

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
