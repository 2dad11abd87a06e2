"""The statement time limit, MEMORIES["STATEMENT_TIMEOUT"]: inside `statement_time_limit()`
each statement the app runs on its memory databases and its audit database is cut by the
database past the limit, and raises StatementTimeoutError.

Each engine is told the limit within the statement's own query, so it costs no round trip (but
the one below, once per connection) and outlives the statement's transaction nowhere:
- PostgreSQL: `SET LOCAL statement_timeout` heads the query string, so it lasts for the
  statement's transaction only (the implicit one of a query string, or the caller's: there it
  stays until that transaction ends). A pooler in transaction mode (PgBouncer) never hands it
  on to another client's transaction, as a session's `SET` would. A server-side cursor's
  statement, or one of several parameter sets, takes its own `SET LOCAL` first (a round trip).
- MariaDB: `SET STATEMENT max_statement_time=N FOR <statement>`, for that statement only.
- SQLite has no such setting: a progress handler interrupts a statement (and the reading of its
  rows) past its deadline.
- MySQL proper has none for DELETE and UPDATE (its MAX_EXECUTION_TIME hint takes SELECTs only):
  its statements run without a limit.
On PostgreSQL and MariaDB a stricter limit the database already sets is kept: the first time
the app uses a connection, it reads the connection's own limit (one round trip for the
connection's life) and applies the shorter of the two. PostgreSQL's is the value a session
starts with (a role's or a database's default, the server's configuration, startup options),
MariaDB's the session's max_statement_time.

Only the app's requests enter the block (the API views, the admin of its models, the chunks of
an export), on the current thread's connections and for the block's duration: the host's own
views and connections, on the same aliases too, are left as they are. Host code that runs inside
one of the app's requests (a `memory_deleted` receiver) runs under the limit too.
"""

import contextlib
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from memories.audit import audit_alias
from memories.conf import memories_settings
from memories.exceptions import StatementTimeoutError
from memories.sqlstates import IN_FAILED_SQL_TRANSACTION, QUERY_CANCELED, sqlstate
from memories.targets import configured_db_ids
from memories.transactions import read_committed

# Savepoints need no limit, and a rollback to one must run even in a failed transaction,
# where PostgreSQL refuses any other statement (the limit's SET LOCAL too).
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK")

Execute = Callable[[str, Any, bool, dict[str, Any]], Any]

_active: ContextVar[bool] = ContextVar("memories_statement_limit", default=False)


# Each connection's own limit in seconds (0: none), by the driver's connection object: read
# the first time the app uses that connection, and dropped with it. A role's or a database's
# default does not change for a session; Django's pool hands the same connections round.
_own_limits: "weakref.WeakKeyDictionary[Any, float]" = weakref.WeakKeyDictionary()


def applied_limit(
    seconds: float, connection: BaseDatabaseWrapper, read: Callable[[Any], float]
) -> float:
    """The limit for the connection's next statement: `seconds`, or the connection's own
    limit (`read` from its driver connection) where that is shorter."""
    raw = connection.connection
    try:
        own = _own_limits[raw]
    except KeyError:
        try:
            own = read(raw)
        except connection.Database.Error as error:  # type: ignore[attr-defined]
            if sqlstate(error) == IN_FAILED_SQL_TRANSACTION:
                # The statement fails as well; the limit is read once the transaction is over.
                return seconds
            own = 0.0  # a server that keeps the setting to itself sets none the app can see
        _own_limits[raw] = own
    return min(seconds, own) if own > 0 else seconds


class _ServerLimit:
    """A limit the server applies to each statement: the app's `seconds`, or the connection's
    own where that is shorter, written into the statement's text by `_set_limit`."""

    applied: float  # the limit the statement's text carries now

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._set_limit(seconds)

    def _set_limit(self, seconds: float) -> None:
        raise NotImplementedError

    @staticmethod
    def _read_limit(raw: Any) -> float:
        raise NotImplementedError

    def _limit_for(self, connection: BaseDatabaseWrapper) -> float:
        """The limit of the connection's next statement, its text rewritten when it changes."""
        applied = applied_limit(self.seconds, connection, self._read_limit)
        if applied != self.applied:
            self._set_limit(applied)
        return applied


_POSTGRESQL_LONGEST_MS = 2**31 - 1


class PostgreSQLLimit(_ServerLimit):
    """`SET LOCAL statement_timeout` in the statement's own query string: one round trip."""

    def __init__(self, seconds: float, connection: BaseDatabaseWrapper) -> None:
        super().__init__(seconds)
        # Server-side binding (psycopg 3's extended protocol) takes one statement per query.
        options = connection.settings_dict["OPTIONS"]
        self.is_one_per_query = bool(options.get("server_side_binding"))
        # psycopg 3 shows the first result of a query string (SET's), psycopg2 the last.
        # Imported here: a host without PostgreSQL may have no driver for it.
        from django.db.backends.postgresql.psycopg_any import is_psycopg3

        self.is_first_result_shown = is_psycopg3

    def __call__(
        self, execute: Execute, sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        if sql.startswith(_TRANSACTION_CONTROL):
            return execute(sql, params, many, context)
        applied = self._limit_for(context["connection"])
        # A server-side cursor's statement becomes `DECLARE ... CURSOR FOR <statement>`,
        # which takes one statement: a host's `iterator()` in a receiver, for one.
        is_named = bool(getattr(context["cursor"].cursor, "name", None))
        try:
            if many or self.is_one_per_query or is_named:
                return self._set_before(execute, sql, params, many, context)
            result = execute(f"{self.set_local}; {sql}", params, many, context)
        except DatabaseError as error:
            if sqlstate(error.__cause__) == QUERY_CANCELED:
                raise StatementTimeoutError(applied, str(error)) from error
            raise
        if self.is_first_result_shown:
            context["cursor"].nextset()
        return result

    def _set_limit(self, seconds: float) -> None:
        self.applied = seconds
        # statement_timeout is an integer of milliseconds: a longer limit (past about 24.8
        # days) would fail every statement as out of range. MariaDB truncates its own.
        milliseconds = min(max(1, round(seconds * 1000)), _POSTGRESQL_LONGEST_MS)
        self.set_local = f"SET LOCAL statement_timeout = {milliseconds}"

    @staticmethod
    def _read_limit(raw: Any) -> float:
        # The value a session starts with (the role's or the database's default, the server's
        # configuration, the connection's startup options), in ms whatever unit it was given
        # in. Not the current one: a SET LOCAL in force, or behind a pooler in transaction
        # mode another client's session SET, is no limit of this connection's.
        with raw.cursor() as cursor:
            cursor.execute("SELECT reset_val FROM pg_settings WHERE name = 'statement_timeout'")
            return int(cursor.fetchone()[0]) / 1000

    def _set_before(
        self, execute: Execute, sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        # A round trip more (and in autocommit mode a transaction): only where the statement
        # cannot share its query string.
        connection = context["connection"]
        # A deletion's single statement included, which runs at READ COMMITTED too.
        with read_committed(connection.alias, savepoint=False):
            # On a cursor of its own: the statement's may be a server-side one. Its errors
            # as Django's, as the statement's would be (a failed transaction, a lost
            # connection): no caller catches the driver's own.
            with connection.wrap_database_errors, connection.connection.cursor() as plain:
                plain.execute(self.set_local)
            return execute(sql, params, many, context)


class MariaDBLimit(_ServerLimit):
    """`SET STATEMENT max_statement_time=N FOR` each statement (MySQL proper: no limit)."""

    # ER_STATEMENT_TIMEOUT: "Query execution was interrupted (max_statement_time exceeded)".
    TIMED_OUT = 1969

    def _set_limit(self, seconds: float) -> None:
        self.applied = seconds
        self.prefix = f"SET STATEMENT max_statement_time={seconds:.6f} FOR "

    @staticmethod
    def _read_limit(raw: Any) -> float:
        # The session's: the server's default, or what the host set on connecting (an
        # init_command); in seconds.
        cursor = raw.cursor()
        try:
            cursor.execute("SELECT @@max_statement_time")
            return float(cursor.fetchone()[0])
        finally:
            cursor.close()

    @staticmethod
    def is_mariadb(connection: BaseDatabaseWrapper) -> bool:
        # From the server's greeting: Django's mysql_is_mariadb asks the server once per
        # connection wrapper, a query that would come through this wrapper again (a thread's
        # first statement inside the block would recurse).
        return "mariadb" in connection.connection.get_server_info().lower()

    def __call__(
        self, execute: Execute, sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        if sql.startswith(_TRANSACTION_CONTROL) or not self.is_mariadb(context["connection"]):
            return execute(sql, params, many, context)
        applied = self._limit_for(context["connection"])
        try:
            return execute(self.prefix + sql, params, many, context)
        except DatabaseError as error:
            if error.args and error.args[0] == self.TIMED_OUT:
                raise StatementTimeoutError(applied, str(error)) from error
            raise


class SQLiteLimit:
    """A progress handler that interrupts the running statement, or the reading of its rows,
    past the deadline its execution set. Installed on each connection the block uses, and
    removed when the block ends."""

    # SQLite's virtual machine instructions between two looks at the clock: a few
    # microseconds of work, so the clock costs little and a statement stops soon after.
    INSTRUCTIONS = 10_000

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = 0.0
        self._handled: list[Any] = []

    def __call__(
        self, execute: Execute, sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        raw = context["connection"].connection
        if raw not in self._handled:
            raw.set_progress_handler(self._is_late, self.INSTRUCTIONS)
            self._handled.append(raw)
        self.deadline = time.monotonic() + self.seconds
        try:
            return execute(sql, params, many, context)
        except DatabaseError as error:
            if str(error) == "interrupted":
                raise StatementTimeoutError(self.seconds, str(error)) from error
            raise

    def _is_late(self) -> bool:
        return time.monotonic() > self.deadline

    def close(self) -> None:
        for raw in self._handled:
            # A connection closed within the block needs no handler removed.
            with contextlib.suppress(Exception):
                raw.set_progress_handler(None, 0)
        self._handled.clear()


Limit = PostgreSQLLimit | MariaDBLimit | SQLiteLimit


def statement_timeout_of(error: BaseException) -> StatementTimeoutError | None:
    """The error as the statement limit's StatementTimeoutError, or None when the limit did not
    cut it; asked inside `statement_time_limit()`. The limit raises one around a statement's
    execution; a statement it cuts while its rows are read (SQLite's progress handler in a
    fetch, a FETCH of PostgreSQL's server-side cursor) raises the driver's error, told apart
    here."""
    if isinstance(error, StatementTimeoutError):
        return error
    seconds = memories_settings.STATEMENT_TIMEOUT
    # Outside the block (a command, a host's view) a cancelled statement is no limit's of
    # the app: an operator's cancel, a role's own timeout.
    if seconds is None or not _active.get() or not isinstance(error, DatabaseError):
        return None
    cause = error.__cause__
    is_cut = (
        (isinstance(cause, sqlite3.OperationalError) and str(cause) == "interrupted")
        or sqlstate(cause) == QUERY_CANCELED
        or error.args[:1] == (MariaDBLimit.TIMED_OUT,)
    )
    if not is_cut:
        return None
    timed_out = StatementTimeoutError(float(seconds), str(error))
    timed_out.__cause__ = error
    return timed_out


# Each connection's limit, built once and reused by every block on it while the limit stays
# the same: building one per alias per request cost more than the limit's work in the
# statement (BENCHMARKS.md). A connection belongs to one thread, and so does its entry; the
# entry goes when the connection object does.
_limits: "weakref.WeakKeyDictionary[BaseDatabaseWrapper, Limit | None]" = (
    weakref.WeakKeyDictionary()
)


def limit_for(connection: BaseDatabaseWrapper, seconds: float) -> Limit | None:
    """The engine's way to limit the connection's statements to `seconds`, if it has one."""
    try:
        limit = _limits[connection]
    except KeyError:
        pass
    else:
        if limit is None or limit.seconds == seconds:
            return limit
    limit = _limits[connection] = _new_limit(connection, seconds)
    return limit


def _new_limit(connection: BaseDatabaseWrapper, seconds: float) -> Limit | None:
    if connection.vendor == "postgresql":
        return PostgreSQLLimit(seconds, connection)
    if connection.vendor == "mysql":
        return MariaDBLimit(seconds)
    if connection.vendor == "sqlite":
        return SQLiteLimit(seconds)
    return None


def limited_aliases() -> set[str]:
    """The app's own databases: every memory alias, and the audit records'."""
    return {*configured_db_ids().values(), audit_alias()}


@contextlib.contextmanager
def statement_time_limit() -> Iterator[None]:
    """Within the block, the app's statements on this thread's connections run under
    STATEMENT_TIMEOUT (none when it is None; a block within another adds nothing)."""
    seconds = memories_settings.STATEMENT_TIMEOUT
    if seconds is None or _active.get():
        yield
        return
    token = _active.set(True)
    wrapped: list[tuple[BaseDatabaseWrapper, Limit]] = []
    try:
        for alias in limited_aliases():
            connection = connections[alias]
            limit = limit_for(connection, float(seconds))
            if limit is not None:
                connection.execute_wrappers.append(limit)
                wrapped.append((connection, limit))
        yield
    finally:
        for connection, limit in wrapped:
            # Each one removed whatever another did: none may stay past the block.
            with contextlib.suppress(ValueError):
                connection.execute_wrappers.remove(limit)
            if isinstance(limit, SQLiteLimit):
                limit.close()
        _active.reset(token)
