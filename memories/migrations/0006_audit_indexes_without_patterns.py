# The audit records' text fields keep one index each and lose PostgreSQL's second one.
#
# `db_index=True` on a CharField makes two indexes on PostgreSQL: the field's, and one with
# `varchar_pattern_ops` for `LIKE 'prefix%'` lookups, which nothing here makes (the admin
# filters by value, its searches are `icontains`). Every deletion inserts a record and writes
# each of its indexes: the models now declare one plain index per field (Meta.indexes).
#
# In the database nothing is rebuilt: the audit tables grow by a record per deletion, and
# building an index holds the table's writes (every deletion) until it is done. Each field's
# index is renamed to its declared name (SQLite, which cannot rename one, builds it again) and
# the pattern index dropped; backwards, the names and the pattern indexes come back.

from typing import Any

from django.db import migrations, models, router

CHANNELS = [
    ("api", "API"),
    ("admin", "Django admin"),
    ("command", "Management command"),
    ("retention", "Retention rule"),
]

# model -> {field: the index's declared name}
INDEXES = {
    "memorydeletion": {
        "actor": "memories_del_actor",
        "channel": "memories_del_channel",
        "db_id": "memories_del_db_id",
        "request_id": "memories_del_request_id",
    },
    "memoryexport": {
        "actor": "memories_exp_actor",
        "channel": "memories_exp_channel",
        "db_id": "memories_exp_db_id",
        "user_id": "memories_exp_user_id",
        "request_id": "memories_exp_request_id",
    },
}


def _field_indexes(schema_editor: Any, table: str) -> dict[str, list[str]]:
    """The table's indexes that are no primary key or unique constraint: name -> columns."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: constraint["columns"]
        for name, constraint in constraints.items()
        if constraint["index"] and not constraint["primary_key"] and not constraint["unique"]
    }


def _each_index(apps: Any, schema_editor: Any) -> Any:
    """(model, field, Django's name for the field's own index, the declared name, the
    pattern index's name) for every index this migration renames, on this database."""
    for model_name, names in INDEXES.items():
        model = apps.get_model("memories", model_name)
        if not router.allow_migrate_model(schema_editor.connection.alias, model):
            continue
        table = model._meta.db_table
        for field_name, declared in names.items():
            field = model._meta.get_field(field_name)
            # The names Django gave the field's indexes when db_index made them.
            implicit = schema_editor._create_index_name(table, [field.column])
            pattern = schema_editor._create_index_name(table, [field.column], suffix="_like")
            yield model, field, implicit, declared, pattern


def _rename(schema_editor: Any, model: Any, field: Any, old: str, new: str) -> None:
    """The field's index renamed from `old` to `new`. One already named `new` stays: MySQL
    and MariaDB commit each change at once, so a run that failed halfway leaves some renamed.
    Where no index is named `old` (a table these migrations did not make), the field's one
    index under another name is renamed; only where it has none is `new` built."""
    indexes = _field_indexes(schema_editor, model._meta.db_table)
    if new in indexes:
        return
    new_index = models.Index(fields=[field.name], name=new)
    if old not in indexes:
        others = [
            name
            for name, columns in indexes.items()
            if columns == [field.column] and not name.endswith("_like")
        ]
        if len(others) != 1:
            schema_editor.add_index(model, new_index)
            return
        (old,) = others
    schema_editor.rename_index(model, models.Index(fields=[field.name], name=old), new_index)


def declare_indexes(apps: Any, schema_editor: Any) -> None:
    is_postgresql = schema_editor.connection.vendor == "postgresql"
    for model, field, implicit, declared, pattern in _each_index(apps, schema_editor):
        _rename(schema_editor, model, field, implicit, declared)
        if is_postgresql:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(pattern)}")


def restore_implicit_indexes(apps: Any, schema_editor: Any) -> None:
    is_postgresql = schema_editor.connection.vendor == "postgresql"
    for model, field, implicit, declared, pattern in _each_index(apps, schema_editor):
        _rename(schema_editor, model, field, declared, implicit)
        if is_postgresql:
            table = schema_editor.quote_name(model._meta.db_table)
            column = schema_editor.quote_name(field.column)
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(pattern)}"
                f" ON {table} ({column} varchar_pattern_ops)"
            )


def _plain(max_length: int, **options: Any) -> models.CharField:  # type: ignore[type-arg]
    return models.CharField(max_length=max_length, **options)


class Migration(migrations.Migration):
    dependencies = [
        ("memories", "0005_audit_request_id"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(declare_indexes, restore_implicit_indexes),
            ],
            state_operations=[
                migrations.AlterField("memorydeletion", "actor", _plain(255)),
                migrations.AlterField("memorydeletion", "channel", _plain(16, choices=CHANNELS)),
                migrations.AlterField("memorydeletion", "db_id", _plain(255)),
                migrations.AlterField(
                    "memorydeletion", "request_id", _plain(128, null=True, blank=True)
                ),
                migrations.AlterField("memoryexport", "actor", _plain(255)),
                migrations.AlterField("memoryexport", "channel", _plain(16, choices=CHANNELS)),
                migrations.AlterField("memoryexport", "db_id", _plain(255)),
                migrations.AlterField(
                    "memoryexport", "request_id", _plain(128, null=True, blank=True)
                ),
                migrations.AlterField(
                    "memoryexport", "user_id", _plain(255, null=True, blank=True)
                ),
                *(
                    migrations.AddIndex(model_name, models.Index(fields=[field], name=name))
                    for model_name, names in INDEXES.items()
                    for field, name in names.items()
                ),
            ],
        ),
    ]
