"""apply_memory_retention: delete the memories past the age the retention rules allow."""

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from memories.management.base import DeletionCommand
from memories.models import Channel
from memories.retention import retention_rules
from memories.selectors import deletion_plan


class Command(DeletionCommand):
    help = (
        "Apply MEMORIES['RETENTION']: for each rule, show how many memories are past its "
        "maximum age, then delete them (made to run from cron: it does not ask). Exits "
        "non-zero when a rule could not finish."
    )

    NO_RULES = _("No retention rules are configured (MEMORIES['RETENTION']).")
    RULE_HEADER = _("Rule %(number)d: %(rule)s")
    WHAT = _("under rule %(number)d")
    FAILED = _("%(count)d of %(total)d retention rules did not finish.")

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_deletion_arguments(parser, asks=False)

    def handle(self, *args: Any, **options: Any) -> None:
        rules = retention_rules()
        if not rules:
            self.stdout.write(str(self.NO_RULES))
            return
        now = int(time.time())  # one moment for every rule of the run
        failures = []
        for number, rule in enumerate(rules, start=1):
            memory_filter = rule.memory_filter(now)
            plan = deletion_plan(targets=rule.targets(), memory_filters=[memory_filter])
            self.stdout.write(self.RULE_HEADER % {"number": number, "rule": rule})
            self.write_plan(plan)
            try:
                self.delete_planned(
                    plan,
                    memory_filter,
                    what=self.WHAT % {"number": number},
                    channel=Channel.RETENTION,
                    options=options,
                )
            except CommandError as error:
                self.stderr.write(str(error))
                failures.append(number)
        if failures:
            raise CommandError(self.FAILED % {"count": len(failures), "total": len(rules)})
