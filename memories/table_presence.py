"""Whether one table exists, asked of its database by name.

Django's introspection answers the same question by listing every table of the database
(`table_names()`), with each table's comment on PostgreSQL: 30-50 ms for a database of 3000
tables on PostgreSQL and MariaDB, where asking for one name takes a fraction of
a millisecond (BENCHMARKS.md). A host's database may hold thousands (its own apps', Agno's,
partitions), and an export, an erasure, a deletion by filter and the report of a failed
statement each look their table up. Each query here answers exactly what
`name in connection.introspection.table_names()` answers on its engine (tables, foreign and
partitioned tables, not views or partitions; the name compared exactly as Python compares
it), which tests/test_table_presence.py holds it to; an engine not named here is asked
Django's way.
"""

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

# Per engine, the rows named like the table among what get_table_list() lists as tables
# ('t'), the names as the database holds them.
_TABLES_NAMED = {
    "postgresql": (
        "SELECT c.relname FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relname = %s AND c.relkind IN ('f', 'p', 'r') AND NOT c.relispartition"
        " AND n.nspname NOT IN ('pg_catalog', 'pg_toast')"
        " AND pg_catalog.pg_table_is_visible(c.oid)"
    ),
    # information_schema compares names as the server's case rules say: the exact
    # comparison is Python's, below.
    "mysql": (
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = DATABASE() AND table_name = %s AND table_type = 'BASE TABLE'"
    ),
    "sqlite": (
        "SELECT name FROM sqlite_master"
        " WHERE type = 'table' AND name = %s AND name != 'sqlite_sequence'"
    ),
}


def table_exists(connection: BaseDatabaseWrapper, cursor: CursorWrapper, name: str) -> bool:
    """Whether `name`, unqualified, is a table the connection sees (in its search path on
    PostgreSQL, in its database on MySQL), as Django's introspection tells it."""
    query = _TABLES_NAMED.get(connection.vendor)
    if query is None:
        return name in connection.introspection.table_names(cursor)
    cursor.execute(query, [name])
    return any(found == name for (found,) in cursor.fetchall())
