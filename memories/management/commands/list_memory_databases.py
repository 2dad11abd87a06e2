"""list_memory_databases: the configured db_ids, their tables, and what they hold."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from memories.exceptions import DatabaseFailure
from memories.selectors import memory_queryset
from memories.targets import all_targets, has_table


class Command(BaseCommand):
    help = "List each configured db_id and table, whether the table exists, and its row count."

    HEADER = "{db_id:<16} {table:<32} {alias:<16} {state:<10} {rows:>10}"
    UNREACHABLE = _("unreachable")
    MISSING = _("missing")
    PRESENT = _("present")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            self.HEADER.format(
                db_id=gettext("DB_ID"),
                table=gettext("TABLE"),
                alias=gettext("ALIAS"),
                state=gettext("STATE"),
                rows=gettext("ROWS"),
            )
        )
        for target in all_targets():
            try:
                exists = has_table(target)
                rows = memory_queryset(target=target, user_id=None).count() if exists else None
                state = str(self.PRESENT if exists else self.MISSING)
            except DatabaseFailure:
                state, rows = str(self.UNREACHABLE), None
            line = self.HEADER.format(
                db_id=target.db_id,
                table=target.table,
                alias=target.alias,
                state=state,
                rows="-" if rows is None else rows,
            )
            self.stdout.write(line)
