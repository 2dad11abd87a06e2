"""PostgreSQL's SQLSTATE codes the app acts on, read from either driver's errors."""

DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
QUERY_CANCELED = "57014"
# Nothing but a rollback runs until the transaction ends.
IN_FAILED_SQL_TRANSACTION = "25P02"


def sqlstate(error: BaseException | None) -> str | None:
    """A PostgreSQL driver error's SQLSTATE: psycopg 3 names it `sqlstate`, psycopg2 `pgcode`."""
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
