"""Retention rules (MEMORIES["RETENTION"]): memories past a maximum age are deleted."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext, ngettext

from memories.conf import memories_settings
from memories.selectors import MemoryFilter
from memories.targets import MemoryTarget, all_targets, configured_db_ids, configured_tables

AGE_FIELDS = ("updated_at", "created_at")
RULE_KEYS = {"db_id", "table", "max_age_days", "age_of", "agent_id", "team_id"}
DAY = 24 * 60 * 60


@dataclass(frozen=True)
class RetentionRule:
    """Keep no memory of db_id's table (every table without one) older than max_age_days,
    by updated_at (last written: updated, else created) or created_at; optionally only an
    agent's or a team's."""

    db_id: str
    max_age_days: int
    table: str | None = None
    age_of: str = "updated_at"
    agent_id: str | None = None
    team_id: str | None = None

    def targets(self) -> list[MemoryTarget]:
        return [
            target
            for target in all_targets()
            if target.db_id == self.db_id and self.table in (None, target.table)
        ]

    def memory_filter(self, now: int) -> MemoryFilter:
        """The memories this rule deletes at `now` (epoch seconds)."""
        cutoff = now - self.max_age_days * DAY
        by_update = self.age_of == "updated_at"
        return MemoryFilter(
            agent_id=self.agent_id,
            team_id=self.team_id,
            updated_before=cutoff if by_update else None,
            created_before=None if by_update else cutoff,
        )

    def __str__(self) -> str:
        # English reads "days" whatever the number, as it always has; a language whose words
        # agree with the number translates both forms.
        text = ngettext(
            "%(where)s: %(age_of)s older than %(days)d days",
            "%(where)s: %(age_of)s older than %(days)d days",
            self.max_age_days,
        ) % {
            "where": f"{self.db_id}/{self.table or '*'}",
            "age_of": self.age_of,
            "days": self.max_age_days,
        }
        if self.agent_id is not None:
            text = gettext("%(rule)s, agent_id %(agent_id)s") % {
                "rule": text,
                "agent_id": repr(self.agent_id),
            }
        if self.team_id is not None:
            text = gettext("%(rule)s, team_id %(team_id)s") % {
                "rule": text,
                "team_id": repr(self.team_id),
            }
        return text


def rule_problems(raw: Any) -> list[str]:
    """What is wrong with one configured rule; nothing when it is valid."""
    if not isinstance(raw, Mapping):
        return ["a rule must be a dict"]
    problems = [f"unknown key {key!r}" for key in sorted(set(raw) - RULE_KEYS, key=str)]
    db_id = raw.get("db_id")
    # A list or an object (from JSON) is no db_id, and no key of the configured ones.
    if not isinstance(db_id, str) or db_id not in configured_db_ids():
        problems.append(f"db_id {db_id!r} is not a configured db_id")
    elif raw.get("table") is not None and raw["table"] not in configured_tables(db_id):
        problems.append(f"table {raw['table']!r} is not configured for db_id {db_id!r}")
    days = raw.get("max_age_days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        problems.append("max_age_days must be a whole number of days, at least 1")
    if raw.get("age_of", "updated_at") not in AGE_FIELDS:
        problems.append(f"age_of must be one of {', '.join(AGE_FIELDS)}")
    for key in ("agent_id", "team_id"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            problems.append(f"{key} must be a string")
    return problems


def retention_rules() -> list[RetentionRule]:
    """The configured rules, in order (checks.py reports the invalid ones)."""
    rules: list[Any] = list(memories_settings.RETENTION or [])
    return [RetentionRule(**raw) for raw in rules if not rule_problems(raw)]
