"""Staff roles as groups: Viewer, Data entry, Editor (may publish), Administrator.

Permissions are normally created after the last migration; the roles need them
now, so they are created here first (the same call Django makes at post_migrate).
"""

from django.db import migrations

CONTENT = [
    "meeting", "session", "outcomedocument", "delegation", "delegationmember",
    "person", "venue", "series", "chairmanship", "networkcity",
]  # fmt: skip
HISTORY = ["historicalmeeting", "historicalsession", "historicaloutcomedocument", "historicaldelegation",
           "historicalperson", "historicalvenue", "historicalseries"]  # fmt: skip

VIEWER = [f"view_{m}" for m in CONTENT] + ["view_restricted"]
DATA_ENTRY = VIEWER + [f"{a}_{m}" for a in ("add", "change") for m in CONTENT]
EDITOR = (
    DATA_ENTRY
    + [f"delete_{m}" for m in CONTENT]
    + [f"view_{m}" for m in HISTORY]
    + ["publish_meeting", "view_confidential"]
)
ROLES = {"Viewer": VIEWER, "Data entry": DATA_ENTRY, "Editor": EDITOR}
ADMINISTRATOR_APPS = ["events", "auth", "authtoken", "axes", "admin"]


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for name, codenames in ROLES.items():
        group, _ = Group.objects.using(db).get_or_create(name=name)
        permissions = Permission.objects.using(db).filter(content_type__app_label="events", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Role {name}: permissions not found: {sorted(missing)}")
        group.permissions.set(permissions)
    administrator, _ = Group.objects.using(db).get_or_create(name="Administrator")
    administrator.permissions.set(
        Permission.objects.using(db).filter(content_type__app_label__in=ADMINISTRATOR_APPS)
    )


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(
        name__in=[*ROLES, "Administrator"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
