"""Each engine's DELETE statements against the plain ORM way: on the same rows, a statement
deletes exactly the rows the ORM loads and Python's `==` selects (MariaDB's own `=` would merge
'alice', 'Alice' and 'alice '), and returns each as it was."""

import pytest
from django.db import transaction

from memories.selectors import MemoryFilter, memory_matching
from memories.statements import (
    DeletedMemory,
    FilterBatch,
    IdSelection,
    condition_of,
    statements_for,
)
from memories.statements.mysql import MySQLStatements
from memories.statements.postgresql import PostgreSQLStatements
from memories.statements.sqlite import SQLiteStatements
from tests.factories import memory_create, memory_ids_in, model_of, target

pytestmark = pytest.mark.django_db(databases="__all__")

# Owners that a case- or space-insensitive collation (MariaDB's usual one) would merge.
OWNERS = ["alice", "Alice", "alice ", "bob", None]


@pytest.fixture
def rows(db_id):
    """Three memories of each owner on db_id: {memory_id: user_id}."""
    created = {}
    for number, owner in enumerate(OWNERS * 3):
        memory = memory_create(db_id, memory_id=f"m{number:02}", user_id=owner)
        created[memory.memory_id] = owner
    return created


def orm_selects(db_id, **filters):
    """The ids of the ORM's rows on db_id's default table whose fields equal filters."""
    memories = model_of(db_id)._default_manager.using(target(db_id).alias)
    return {
        m.memory_id for m in memories.all() if all(getattr(m, k) == v for k, v in filters.items())
    }


def delete(db_id, selection):
    chosen = target(db_id)
    with transaction.atomic(using=chosen.alias):
        return statements_for(chosen.alias).delete(chosen, selection)


def test_each_engine_gets_its_own_statements(db_id):
    vendors = {
        "sqlite": SQLiteStatements,
        "postgresql": PostgreSQLStatements,
        "mysql": MySQLStatements,
    }
    statements = statements_for(target(db_id).alias)

    assert type(statements) is vendors[statements.connection.vendor]


@pytest.mark.parametrize("owner", [None, "alice", "Alice", "alice "])
def test_ids_of_an_owner_delete_what_the_orm_selects(db_id, rows, owner):
    asked = ("m00", "m01", "m02", "m05", "m06", "missing")
    expected = set(asked) & set(rows)
    if owner is not None:
        expected &= orm_selects(db_id, user_id=owner)

    deleted = delete(db_id, IdSelection(memory_ids=asked, user_id=owner))

    assert sorted(deleted) == sorted(DeletedMemory(i, rows[i]) for i in expected)
    assert memory_ids_in(db_id) == set(rows) - expected


@pytest.mark.parametrize("owner", ["alice", "Alice", "alice ", "bob"])
def test_a_filter_batch_deletes_only_rows_the_orm_condition_matches(db_id, rows, owner):
    condition = condition_of(
        memory_matching(target=target(db_id), memory_filter=MemoryFilter(user_id=owner))
    )
    matching = orm_selects(db_id, user_id=owner)

    first = delete(db_id, FilterBatch(condition=condition, size=2, user_id=owner))
    rest = delete(db_id, FilterBatch(condition=condition, size=10, user_id=owner))

    assert len(first) == 2
    assert {row.memory_id for row in first + rest} == matching
    assert {row.user_id for row in first + rest} == {owner}
    assert memory_ids_in(db_id) == set(rows) - matching
