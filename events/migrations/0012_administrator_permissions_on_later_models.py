"""The Administrator role gets the permissions of the models added after it was made.

Migration 0002 gave Administrator every permission of its apps as they stood; the
alert models (0004), three history tables (0006) and knox's tokens (0010) came later,
so an Administrator could not open the webhook delivery log or add an API token.
Only those models' permissions are added: anything else an administrator adjusted stays.
"""

from django.db import migrations

LATER_MODELS = {
    "events": ["change", "follow", "alert", "webhookdelivery", "alertprofile",
               "historicalchairmanship", "historicaldelegationmember", "historicalnetworkcity"],
    "knox": ["authtoken"],
}  # fmt: skip


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    using = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    administrator = Group.objects.using(using).filter(name="Administrator").first()
    if administrator is None:
        return  # made afresh, with every permission, after the migration (events.roles)
    for app_label, models in LATER_MODELS.items():
        administrator.permissions.add(
            *Permission.objects.using(using).filter(content_type__app_label=app_label, content_type__model__in=models)
        )


class Migration(migrations.Migration):
    dependencies = [("events", "0011_history_change_sets"), ("knox", "0009_extend_authtoken_field")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
