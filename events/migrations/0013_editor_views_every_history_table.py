"""The Editor role may read the three history tables made after it (migration 0006).

Migration 0002 gave Editor `view_` on the history tables of its day; chairmanships, delegation
members and network cities gained history later, so an Editor could read who changed a meeting but
not who changed a chair. Only those three permissions are added; anything else stays as adjusted.
"""

from django.db import migrations

LATER_HISTORY = ["historicalchairmanship", "historicaldelegationmember", "historicalnetworkcity"]


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor = Group.objects.using(using).filter(name="Editor").first()
    if editor is None:
        return  # made afresh, with these permissions, after the migration (events.roles)
    editor.permissions.add(
        *Permission.objects.using(using).filter(
            content_type__app_label="events", codename__in=[f"view_{model}" for model in LATER_HISTORY]
        )
    )


class Migration(migrations.Migration):
    dependencies = [("events", "0012_administrator_permissions_on_later_models")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
