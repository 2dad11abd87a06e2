"""Retention rules: checked, planned, applied on every engine with the clock frozen."""

import datetime
import itertools
import threading
from io import StringIO

import pytest
import time_machine
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import OperationalError, connections
from django.test import override_settings

from memories.exceptions import MemoryNotFoundError
from memories.models import Channel, MemoryDeletion
from memories.retention import RetentionRule, retention_rules
from memories.services import DeletedBatch, memories_delete_matching, memory_update
from memories.signals import memory_deleted
from tests.factories import memory_create, memory_ids_in, target

pytestmark = pytest.mark.django_db(databases="__all__")

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
EPOCH_NOW = int(NOW.timestamp())
DAY = 86400


def configured(*rules: dict) -> override_settings:
    from django.conf import settings

    return override_settings(MEMORIES={**settings.MEMORIES, "RETENTION": list(rules)})


def apply(*args: str) -> str:
    out = StringIO()
    call_command("apply_memory_retention", *args, stdout=out, stderr=out)
    return out.getvalue()


def aged(db_id: str, memory_id: str, days: float, **fields) -> None:
    """A memory last written `days` ago (created a year before that)."""
    written = EPOCH_NOW - int(days * DAY)
    created = written - 365 * DAY
    memory_create(db_id, memory_id=memory_id, created_at=created, updated_at=written, **fields)


def refresh(db_id: str, memory_id: str) -> None:
    """What an agent does when it rewrites a memory: its updated_at becomes now."""
    memory_update(
        target=target(db_id), memory_id=memory_id, user_id=None, changes={"memory": "fresh"}
    )


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


@time_machine.travel(NOW, tick=False)
def test_deletes_exactly_what_is_past_the_age_on_each_side_of_the_boundary(
    db_id, django_capture_on_commit_callbacks
):
    aged(db_id, "old", 30.001)
    aged(db_id, "boundary", 30)  # exactly 30 days: not older than 30 days
    aged(db_id, "young", 29.999)
    memory_create(
        db_id, memory_id="never-updated", created_at=EPOCH_NOW - 31 * DAY, updated_at=None
    )
    aged(db_id, "other-agent", 90, agent_id="coach")
    everything = ["old", "boundary", "young", "never-updated", "other-agent"]
    received = []

    def on_deleted(sender, memory_id, channel, **kwargs):
        received.append((memory_id, channel))

    memory_deleted.connect(on_deleted)
    try:
        with configured({"db_id": db_id, "max_age_days": 30, "agent_id": "agent-1"}):
            dry = apply("--dry-run")
            assert memory_ids_in(db_id) == {*everything}
            with django_capture_on_commit_callbacks(using=db_id, execute=True):
                output = apply()
    finally:
        memory_deleted.disconnect(on_deleted)

    rule = f"Rule 1: {db_id}/*: updated_at older than 30 days, agent_id 'agent-1'"
    assert dry.startswith(rule) and f"  {db_id:<16} {'agno_memories':<32} 2" in dry
    assert "Deleted 2 memories under rule 1." in output
    assert memory_ids_in(db_id) == {"boundary", "young", "other-agent"}
    record = MemoryDeletion.objects.get()
    assert (sorted(record.memory_ids), record.channel) == (["never-updated", "old"], "retention")
    assert sorted(received) == [("never-updated", "retention"), ("old", "retention")]


@time_machine.travel(NOW, tick=False)
def test_by_created_at_and_per_table():
    aged("default", "elsewhere", 0)  # created a year ago, in a database the rule leaves alone
    long_ago = EPOCH_NOW - 8 * DAY
    memory_create("lite", memory_id="created-long-ago", created_at=long_ago, updated_at=EPOCH_NOW)
    memory_create("lite", memory_id="created-lately", created_at=EPOCH_NOW - 6 * DAY)
    rule = {"db_id": "lite", "table": "agno_memories", "max_age_days": 7, "age_of": "created_at"}

    with configured(rule):
        output = apply()

    assert "  lite             missing_memories" not in output
    assert memory_ids_in("lite") == {"created-lately"}
    assert memory_ids_in("default") == {"elsewhere"}


def test_without_rules_it_says_so():
    with configured():
        assert apply() == "No retention rules are configured (MEMORIES['RETENTION']).\n"


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_rule_that_cannot_finish_fails_the_run_after_the_others(refilled):
    with time_machine.travel(NOW, tick=False):
        memory_create("lite", memory_id="a0", user_id="alice", created_at=1, updated_at=1)
        memory_create("default", memory_id="d0", user_id="bob", created_at=1, updated_at=1)
        rules = [{"db_id": "lite", "max_age_days": 1}, {"db_id": "default", "max_age_days": 1}]

        # The writer refills alice's memories with today's time: they are young, and the
        # rule finishes. Writers that add old memories keep a rule from finishing:
        with configured(*rules):
            output = apply()

    assert "Deleted 1 memory under rule 1." in output
    assert memory_ids_in("default") == set()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_memories_updated_during_a_purge_are_kept_and_old_ones_added_are_taken(db_id):
    with time_machine.travel(NOW, tick=False):
        for number in range(20):
            aged(db_id, f"old{number}", 40)
        rule = RetentionRule(db_id=db_id, max_age_days=30)
        refreshed: list[str] = []
        imported: list[str] = []

        def write_between_batches(batch: DeletedBatch) -> None:
            if refreshed:
                return

            def writer() -> None:
                # An agent touches two old memories and imports an old one, on its own
                # connection, between two batches of the purge.
                try:
                    for memory_id in sorted(memory_ids_in(db_id))[:2]:
                        refresh(db_id, memory_id)
                        refreshed.append(memory_id)
                    aged(db_id, "imported", 400)
                    imported.append("imported")
                finally:
                    connections.close_all()

            thread = threading.Thread(target=writer)
            thread.start()
            thread.join()

        deleted = memories_delete_matching(
            memory_filter=rule.memory_filter(EPOCH_NOW),
            targets=rule.targets(),
            actor="retention",
            channel=Channel.RETENTION,
            batch_size=5,
            on_batch=write_between_batches,
        )

    assert len(refreshed) == 2 and imported == ["imported"]
    assert memory_ids_in(db_id) == set(refreshed)
    assert sum(deleted.values()) == 19
    audited = [i for r in MemoryDeletion.objects.filter(db_id=db_id) for i in r.memory_ids]
    assert sorted(audited) == sorted(
        {f"old{n}" for n in range(20)} - set(refreshed) | {"imported"}
    )


@pytest.mark.parametrize("server_db_id", ["pg", "maria"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_purge_never_deletes_a_memory_an_agent_has_just_updated(server_db_id):
    from tests.conftest import require_db_id

    require_db_id(server_db_id)
    with time_machine.travel(NOW, tick=False):
        for number in range(300):
            aged(server_db_id, f"old{number:03}", 40)
        rule = RetentionRule(db_id=server_db_id, max_age_days=30)
        updated: list[str] = []
        stop = threading.Event()

        # The writers chase the purge's front: ids in the order it tends to take them.
        next_number = itertools.count()

        def writer() -> None:
            try:
                while not stop.is_set():
                    memory_id = f"old{next(next_number) % 300:03}"
                    try:
                        refresh(server_db_id, memory_id)
                    except MemoryNotFoundError:
                        continue  # already purged: nothing to refresh
                    except OperationalError as error:
                        if "Deadlock" in str(error):
                            continue  # the database chose this write as a deadlock's victim
                        raise
                    updated.append(memory_id)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            deleted = memories_delete_matching(
                memory_filter=rule.memory_filter(EPOCH_NOW),
                targets=rule.targets(),
                actor="retention",
                channel=Channel.RETENTION,
                batch_size=1,
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join()

    left = memory_ids_in(server_db_id)
    # Every memory an agent refreshed survives; every other one is gone.
    assert updated and left == set(updated)
    assert sum(deleted.values()) == 300 - len(left)
    audited = [i for r in MemoryDeletion.objects.filter(db_id=server_db_id) for i in r.memory_ids]
    assert sorted(audited) == sorted({f"old{n:03}" for n in range(300)} - left)
