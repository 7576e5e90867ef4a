"""Staff roles as groups: Viewer, Data entry, Editor (may publish), Administrator.

Permissions are normally created after the last migration; the roles need them
now, so they are created here first (the same call Django makes at post_migrate).
"""

from django.db import migrations

def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None

    from events.roles import create_missing_roles

    create_missing_roles(using=schema_editor.connection.alias, apps=apps)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    from events.roles import ROLES

    Group.objects.using(schema_editor.connection.alias).filter(name__in=[*ROLES, "Administrator"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
