"""Retention rules (memories/retention.py): checked, and what each covers; the moment and the
memories aged from it that the tests of the rules' command and purge share."""

import datetime

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from memories.retention import RetentionRule, retention_rules
from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases="__all__")

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
EPOCH_NOW = int(NOW.timestamp())
DAY = 86400


def configured(*rules: dict) -> override_settings:
    from django.conf import settings

    return override_settings(MEMORIES={**settings.MEMORIES, "RETENTION": list(rules)})


def aged(db_id: str, memory_id: str, days: float, **fields) -> None:
    """A memory last written `days` ago (created a year before that)."""
    written = EPOCH_NOW - int(days * DAY)
    created = written - 365 * DAY
    memory_create(db_id, memory_id=memory_id, created_at=created, updated_at=written, **fields)


class RuleTests:
    def test_checks_report_each_invalid_rule(self):
        with configured(
            {"db_id": "nope", "max_age_days": 30},
            {"db_id": "lite", "table": "other", "max_age_days": 30},
            {"db_id": "lite", "max_age_days": 0, "age_of": "deleted_at", "colour": "red"},
            {"db_id": "lite", "max_age_days": 30},
        ):
            errors = [e for e in run_checks() if e.id == "memories.E007"]
            rules = retention_rules()

        assert [e.msg for e in errors] == [
            "MEMORIES['RETENTION'][0]: db_id 'nope' is not a configured db_id.",
            "MEMORIES['RETENTION'][1]: table 'other' is not configured for db_id 'lite'.",
            "MEMORIES['RETENTION'][2]: unknown key 'colour'.",
            "MEMORIES['RETENTION'][2]: max_age_days must be a whole number of days, at least 1.",
            "MEMORIES['RETENTION'][2]: age_of must be one of updated_at, created_at.",
        ]
        assert rules == [RetentionRule(db_id="lite", max_age_days=30)]

    def test_values_json_cannot_key_are_reported_too(self):
        # A list or an object where a db_id belongs: no db_id, and unhashable.
        with configured(
            {"db_id": ["lite"], "max_age_days": 30},
            {"db_id": {"id": "lite"}, "table": ["agno_memories"], "max_age_days": 30},
            {"db_id": "lite", "table": {}, "max_age_days": 30},
        ):
            errors = [e.msg for e in run_checks() if e.id == "memories.E007"]
            rules = retention_rules()

        assert errors == [
            "MEMORIES['RETENTION'][0]: db_id ['lite'] is not a configured db_id.",
            "MEMORIES['RETENTION'][1]: db_id {'id': 'lite'} is not a configured db_id.",
            "MEMORIES['RETENTION'][2]: table {} is not configured for db_id 'lite'.",
        ]
        assert rules == []

    def test_a_rule_without_a_table_covers_every_table_of_its_db_id(self):
        rule = RetentionRule(db_id="lite", max_age_days=1)

        assert [t.table for t in rule.targets()] == ["agno_memories", "missing_memories"]
        assert str(rule) == "lite/*: updated_at older than 1 days"
