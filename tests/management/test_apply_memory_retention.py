"""apply_memory_retention: each rule planned, then applied, on every engine with the clock
frozen."""

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from memories.models import MemoryDeletion
from memories.signals import memory_deleted
from tests.factories import memory_create, memory_ids_in
from tests.test_retention import DAY, EPOCH_NOW, NOW, aged, configured

pytestmark = pytest.mark.django_db(databases="__all__")


def apply(*args: str) -> str:
    out = StringIO()
    call_command("apply_memory_retention", *args, stdout=out, stderr=out)
    return out.getvalue()


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
