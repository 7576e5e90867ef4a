"""Remove control characters (all but tab and newline) from every text column, history included.

Entry refuses them from now on (events/text.py); rows written before could hold them and took the
Atom changes feed and the XLSX export down. The pattern is copied here so the migration never changes.
"""

import re

from django.db import migrations, models

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]|\r(?!\n)")
BATCH = 1000


def clean_rows(apps, schema_editor):
    for model in apps.get_app_config("events").get_models():
        names = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField) and not field.choices
        ]
        if not names:
            continue
        pk = model._meta.pk.name
        changed = []
        for row in model._base_manager.only(pk, *names).iterator(chunk_size=BATCH):
            dirty = False
            for name in names:
                value = getattr(row, name)
                if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
                    setattr(row, name, CONTROL_CHARACTERS.sub("", value))
                    dirty = True
            if dirty:
                changed.append(row)
        if changed:
            model._base_manager.bulk_update(changed, names, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("events", "0006_hostile_input_revisions")]

    operations = [migrations.RunPython(clean_rows, migrations.RunPython.noop, elidable=True)]
