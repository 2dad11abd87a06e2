"""delete_memories: delete every memory matching a filter (agent, team, topics, age, user)."""

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from memories.management.base import DeletionCommand
from memories.models import Channel
from memories.selectors import MemoryFilter, deletion_plan


def moment(value: str) -> int:
    """Epoch seconds of an ISO 8601 date (midnight UTC) or date and time (UTC unless it
    says otherwise)."""
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        parsed = datetime.datetime.combine(day, datetime.time())
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp())


class Command(DeletionCommand):
    help = (
        "Permanently delete every memory matching all the given filters (at least one), in "
        "every configured database and table or those of --db-id. Shows the counts first and "
        "asks for confirmation."
    )

    PLAN_HEADER = _("Memories matching %(description)s to delete:")
    WHAT = _("matching %(description)s")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user-id", help="Only memories of this user_id (exactly).")
        parser.add_argument("--agent-id", help="Only memories of this agent_id (exactly).")
        parser.add_argument("--team-id", help="Only memories of this team_id (exactly).")
        parser.add_argument(
            "--topic",
            action="append",
            dest="topics",
            metavar="TOPIC",
            help="Only memories with this topic (repeat: with every one of them).",
        )
        parser.add_argument(
            "--updated-before",
            metavar="WHEN",
            help="Only memories last written (updated, else created) before this ISO 8601 "
            "date or time (UTC unless it says otherwise).",
        )
        parser.add_argument(
            "--created-before", metavar="WHEN", help="Only memories created before this time."
        )
        self.add_db_id_argument(parser)
        self.add_deletion_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        memory_filter = self._filter(options)
        description = self._describe(options)
        targets = self.selected_targets(options["db_ids"])
        plan = deletion_plan(targets=targets, memory_filters=[memory_filter])
        self.stdout.write(self.PLAN_HEADER % {"description": description})
        self.write_plan(plan)
        self.delete_planned(
            plan,
            memory_filter,
            what=self.WHAT % {"description": description},
            channel=Channel.COMMAND,
            options=options,
        )

    def _filter(self, options: dict[str, Any]) -> MemoryFilter:
        times = {}
        for name in ("updated_before", "created_before"):
            if options[name] is not None:
                try:
                    times[name] = moment(options[name])
                except ValueError:
                    option = "--" + name.replace("_", "-")
                    raise CommandError(
                        gettext("%(option)s: not an ISO 8601 date or time") % {"option": option}
                    ) from None
        memory_filter = MemoryFilter(
            user_id=options["user_id"],
            agent_id=options["agent_id"],
            team_id=options["team_id"],
            topics=tuple(options["topics"] or ()),
            **times,
        )
        if memory_filter.is_empty:
            raise CommandError(
                gettext(
                    "Give at least one filter (--user-id, --agent-id, --team-id, --topic, "
                    "--updated-before, --created-before): there is no 'delete everything'."
                )
            )
        return memory_filter

    def _describe(self, options: dict[str, Any]) -> str:
        names = ("user_id", "agent_id", "team_id", "updated_before", "created_before")
        parts = [f"{name}={options[name]!r}" for name in names if options[name] is not None]
        parts += [f"topic={topic!r}" for topic in options["topics"] or ()]
        return ", ".join(parts)
