"""migrate_memory_databases: migrate every configured memory database beside `default`,
skipping with a warning the ones that cannot be reached."""

import logging
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _

from memories.exceptions import DatabaseFailure, database_reason
from memories.targets import configured_db_ids

logger = logging.getLogger("memories.databases")


class Command(BaseCommand):
    help = (
        "Apply the memories app's migrations to every configured memory database other than "
        "`default` (`migrate memories --database ALIAS --fake-initial` each, adopting an "
        "existing Agno table as it is). A database that cannot be reached is skipped with a "
        "warning, so the others can serve; --strict makes that an error."
    )

    SKIPPED = "memory database %s (db_id %s) not migrated, its requests will fail: %s"
    FAILED = _("Not migrated: %(aliases)s.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Exit non-zero when a memory database could not be migrated.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        db_ids_of: dict[str, list[str]] = {}
        for db_id, alias in configured_db_ids().items():
            if alias != DEFAULT_DB_ALIAS:
                db_ids_of.setdefault(alias, []).append(db_id)
        failed = []
        for alias, db_ids in db_ids_of.items():
            try:
                call_command(
                    "migrate",
                    "memories",
                    database=alias,
                    fake_initial=True,
                    interactive=False,
                    verbosity=max(options["verbosity"] - 1, 0),
                    stdout=self.stdout,
                    stderr=self.stderr,
                )
            except DatabaseFailure as error:
                logger.warning(self.SKIPPED, alias, ", ".join(db_ids), database_reason(error))
                failed.append(alias)
        if failed and options["strict"]:
            raise CommandError(self.FAILED % {"aliases": ", ".join(failed)})
