"""Retire DRF's plain-text API tokens: their table held secrets that authenticate as they are.

API tokens are django-rest-knox's from now on (only a SHA-512 digest is stored). The old
`authtoken_token` table is dropped with every token in it; the README says how to issue new ones.
"""

from django.db import migrations


def drop_plain_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        schema_editor.execute("DROP TABLE authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("events", "0009_document_random_file_names"), ("knox", "0009_extend_authtoken_field")]

    operations = [migrations.RunPython(drop_plain_tokens, migrations.RunPython.noop)]
