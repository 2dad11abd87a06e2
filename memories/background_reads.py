"""Reads that run in the background (a summary's refresh) without PostgreSQL's parallel workers.

A summary's refresh reads a whole table, and nobody waits for it: the stale value is served
meanwhile (memories/summaries.py). On PostgreSQL such a scan runs in parallel, the leader and
up to `max_parallel_workers_per_gather` worker processes, and on a small machine takes every
core for its duration: on 1,000,000 memories both cores of a 2-core machine for about a
second, while the requests served meanwhile waited for them (BENCHMARKS.md, "Large tables").
So a refresh reads on one core, for longer, and leaves the others to the requests; the
requests' own reads keep their parallel plans. Refreshes started together (a changelist's
three filters) still share every core: what this gained is in BENCHMARKS.md, "Third part".

`SET LOCAL max_parallel_workers_per_gather = 0` heads a transaction of the read's own, as the
statement limit's `SET LOCAL statement_timeout` heads a statement's (statement_limits): it
ends with that transaction, so neither the connection nor, behind a pooler in transaction mode
(PgBouncer), the server connection that another client's transaction gets next keeps it, as a
session's `SET` would. It costs a round trip and the transaction's BEGIN and COMMIT, on a read
of a second or more. The statement limit still heads each statement within it.

Other engines have no parallel query for these reads, so nothing to turn off there: MariaDB
and SQLite run a query on one thread, and MySQL's parallel reads serve only CHECK TABLE and
an unfiltered COUNT(*).
"""

import contextlib
from collections.abc import Iterator

from django.db import connections, transaction

SERIAL = "SET LOCAL max_parallel_workers_per_gather = 0"


@contextlib.contextmanager
def without_parallel_workers(alias: str) -> Iterator[None]:
    """Within the block, this thread's statements on `alias` run without parallel workers, in
    one transaction (PostgreSQL); other engines' statements run as they are."""
    if connections[alias].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute(SERIAL)
        yield
