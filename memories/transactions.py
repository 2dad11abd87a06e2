"""The app's transactions are its own, whatever the host's settings for its own say.

Each deletion is one transaction with its audit record, and a deletion by filter one per
batch, each committed before the next begins: a batch bounds what one transaction locks and
records, and an interruption leaves whole batches done. A host's ATOMIC_REQUESTS would wrap
each view in one transaction per database instead: every batch committed together when the
request ends, and on PostgreSQL a statement that fails and is reported (a table the statement
limit cut) failing every statement after it. So the app's views are out of it, as Django's
`non_atomic_requests` takes a view out, on every database: they run no statement of the host's
(its signal receivers run after the deletion commits), and a probe or a document opens no
connection for it. Where a caller's transaction is open all the same (a host calling a service
inside its own atomic block), a statement whose failure the app reports and goes past runs in a
savepoint.

The app's own write transactions (a deletion and its record, a memory's creation or change) run
at READ COMMITTED, Django's default on PostgreSQL and MySQL, whatever isolation the host
configured its connections with (OPTIONS["isolation_level"]): a DELETE at that level takes the
rows a concurrent writer has just updated as they now are, where at SERIALIZABLE PostgreSQL
fails it (could not serialize access) and MariaDB's locking reads deadlock, so a deletion
racing an agent's writes would fail instead of finishing, and of two concurrent deletes of a
memory one would answer an error instead of 404.
"""

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


class _EveryAlias(set[str]):
    """Django's handler asks `alias in view._non_atomic_requests` of each database with
    ATOMIC_REQUESTS, at each request: every one, whatever the host configures (or adds to
    it with Django's non_atomic_requests, which calls add). Only `in` answers so: the set
    itself is empty, and a copy of it (set(), |) a plain set."""

    def __contains__(self, alias: object) -> bool:
        return True


def in_own_transactions(view: ViewT) -> ViewT:
    """`view`, out of the host's ATOMIC_REQUESTS on every database."""
    view._non_atomic_requests = _EveryAlias()  # type: ignore[attr-defined]
    return view


def savepoint_if_in_transaction(alias: str) -> AbstractContextManager[object]:
    """A savepoint in a caller's transaction, so that a statement failing in it leaves the
    caller's work going on (PostgreSQL refuses every statement after a failed one); nothing
    outside a transaction, where each statement is its own."""
    in_transaction = transaction.get_connection(alias).in_atomic_block
    return transaction.atomic(using=alias) if in_transaction else nullcontext()


@contextlib.contextmanager
def read_committed(alias: str, *, savepoint: bool = True) -> Iterator[None]:
    """transaction.atomic(using=alias, savepoint=savepoint), at READ COMMITTED where it
    starts the transaction on a PostgreSQL or MySQL connection configured with a stricter
    level (in a caller's transaction, the caller's level: it is theirs, and a level is set
    before a transaction's first statement only)."""
    connection = transaction.get_connection(alias)
    # Autocommit off (AUTOCOMMIT False, or a caller's set_autocommit) is a transaction open.
    starts = connection.get_autocommit() and not connection.in_atomic_block
    with transaction.atomic(using=alias, savepoint=savepoint):
        if starts and _is_stricter_than_read_committed(connection):
            # Before the transaction's first query, as both engines require (MySQL's sets
            # the level of the transaction that query starts): on the driver's own cursor,
            # which no execute wrapper precedes with a query of its own (the statement limit
            # reads a new connection's limit first). Django's query log does not show it.
            with connection.wrap_database_errors, connection.connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        yield


def _is_stricter_than_read_committed(connection: BaseDatabaseWrapper) -> bool:
    # Django's own default on both engines is READ COMMITTED (MySQL's server default, which
    # an isolation_level of "" or None keeps, is REPEATABLE READ).
    level = getattr(connection, "isolation_level", None)
    if connection.vendor == "mysql":
        return level in ("repeatable read", "serializable", "", None)
    if connection.vendor != "postgresql":
        return False
    # Imported here: a host without PostgreSQL may have no driver for it.
    from django.db.backends.postgresql.psycopg_any import IsolationLevel

    return level in (IsolationLevel.REPEATABLE_READ, IsolationLevel.SERIALIZABLE)
