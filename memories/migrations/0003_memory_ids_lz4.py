# PostgreSQL compresses the audit records' id lists with lz4 rather than its default pglz:
# an erasure batch records thousands of ids, and lz4 compresses them several times faster,
# for records about a fifth larger. Only new values are affected; other databases are not.

from typing import Any

from django.db import migrations, router


def _set_compression(method: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model("memories", "MemoryDeletion")
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        if not router.allow_migrate_model(connection.alias, model):
            return
        table = schema_editor.quote_name(model._meta.db_table)
        column = schema_editor.quote_name(model._meta.get_field("memory_ids").column)
        # A server built without lz4 refuses it, and keeps pglz.
        schema_editor.execute(
            f"DO $$ BEGIN ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method};"
            " EXCEPTION WHEN feature_not_supported THEN NULL; END $$"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("memories", "0002_memorydeletion"),
    ]

    operations = [
        migrations.RunPython(_set_compression("lz4"), _set_compression("default")),
    ]
