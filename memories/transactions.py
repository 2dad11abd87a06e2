"""The app's transactions are its own, whatever a host's ATOMIC_REQUESTS says.

Each deletion is one transaction with its audit record, and a deletion by filter one per
batch, each committed before the next begins: a batch bounds what one transaction locks and
records, and an interruption leaves whole batches done. ATOMIC_REQUESTS would wrap each view in
one transaction per database instead: every batch committed together when the request ends,
and on PostgreSQL a statement that fails and is reported (a table the statement limit cut)
failing every statement after it. So the app's views leave its own databases out, as Django's
`non_atomic_requests` does; the host's other databases stay as it set them. Where a caller's
transaction is open all the same (a host calling a service inside its own atomic block), a
statement whose failure the app reports and goes past runs in a savepoint.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from django.db import transaction

from memories.audit import audit_alias
from memories.targets import configured_db_ids

View = TypeVar("View", bound=Callable[..., Any])


def own_aliases() -> set[str]:
    """The app's own databases: every memory alias, and the audit records'."""
    return {*configured_db_ids().values(), audit_alias()}


def in_own_transactions(view: View) -> View:
    """`view`, out of the host's ATOMIC_REQUESTS on the app's own databases."""
    # What Django's non_atomic_requests(using=alias) sets, for each alias; Django reads it
    # at each request.
    excluded = {*getattr(view, "_non_atomic_requests", ()), *own_aliases()}
    view._non_atomic_requests = excluded  # type: ignore[attr-defined]
    return view


def savepoint_if_in_transaction(alias: str) -> AbstractContextManager[object]:
    """A savepoint in a caller's transaction, so that a statement failing in it leaves the
    caller's work going on (PostgreSQL refuses every statement after a failed one); nothing
    outside a transaction, where each statement is its own."""
    in_transaction = transaction.get_connection(alias).in_atomic_block
    return transaction.atomic(using=alias) if in_transaction else nullcontext()
