"""erase_user_memories: delete every memory of one user, in every configured table."""

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext_lazy as _

from memories.management.base import DeletionCommand
from memories.models import Channel
from memories.selectors import MemoryFilter, deletion_plan


class Command(DeletionCommand):
    help = (
        "Permanently delete every memory of USER_ID in every configured database and table "
        "(the right to be forgotten). Shows the counts first and asks for confirmation."
    )

    PLAN_HEADER = _("Memories of %(user_id)s to delete:")
    WHAT = _("of %(user_id)s")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user_id", help="The owner whose memories are erased.")
        self.add_db_id_argument(parser)
        self.add_deletion_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user_id: str = options["user_id"]
        memory_filter = MemoryFilter(user_id=user_id)
        targets = self.selected_targets(options["db_ids"])
        plan = deletion_plan(targets=targets, memory_filters=[memory_filter])
        self.stdout.write(self.PLAN_HEADER % {"user_id": repr(user_id)})
        self.write_plan(plan)
        self.delete_planned(
            plan,
            memory_filter,
            what=self.WHAT % {"user_id": repr(user_id)},
            channel=Channel.COMMAND,
            options=options,
        )
