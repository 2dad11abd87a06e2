"""list_memory_databases: the configured db_ids, their tables, and what they hold."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from memories.selectors import memory_queryset
from memories.targets import all_targets, has_table


class Command(BaseCommand):
    help = "List each configured db_id and table, whether the table exists, and its row count."

    HEADER = "{db_id:<16} {table:<32} {alias:<16} {state:<10} {rows:>10}"
    UNREACHABLE = "unreachable"
    MISSING = "missing"
    PRESENT = "present"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            self.HEADER.format(
                db_id="DB_ID", table="TABLE", alias="ALIAS", state="STATE", rows="ROWS"
            )
        )
        for target in all_targets():
            try:
                exists = has_table(target)
                rows = memory_queryset(target=target, user_id=None).count() if exists else None
                state = self.PRESENT if exists else self.MISSING
            except DatabaseError:
                state, rows = self.UNREACHABLE, None
            line = self.HEADER.format(
                db_id=target.db_id,
                table=target.table,
                alias=target.alias,
                state=state,
                rows="-" if rows is None else rows,
            )
            self.stdout.write(line)
