"""Domain errors raised by services, and the API errors they become."""

import warnings
from typing import Any

from django.db import Error, OperationalError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException

from memories.wording import memories_counted

BAD_REQUEST = "BAD_REQUEST"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
LENGTH_REQUIRED = "LENGTH_REQUIRED"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
VALIDATION_ERROR = "VALIDATION_ERROR"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
DELETION_UNFINISHED = "DELETION_UNFINISHED"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
NOT_READY = "NOT_READY"
THROTTLE_UNAVAILABLE = "THROTTLE_UNAVAILABLE"
EXPORTS_BUSY = "EXPORTS_BUSY"
STATEMENT_TIMEOUT = "STATEMENT_TIMEOUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


# A database's failure as Django raises it: DatabaseError and its kinds, and InterfaceError,
# which is none of them. psycopg2 raises InterfaceError for each statement on a connection the
# server ended, after the OperationalError of the statement that found it so (psycopg 3 raises
# OperationalError for each). Where the app tells a database's failure apart, it catches this.
DatabaseFailure = Error


# Domain errors: raised by targets, selectors and services, whatever the channel. Their text
# is rendered when read (str()), in the language active then: a log line reads it in English
# (memories.wording.in_english), the caller's response in the caller's language.


class MemoriesError(Exception):
    """Base of the app's domain errors."""


class MemoryNotFoundError(MemoriesError):
    """No memory with that id that the caller may act on."""

    def __str__(self) -> str:
        return gettext("Memory not found")


class DatabaseNotFoundError(MemoriesError):
    def __init__(self, db_id: str) -> None:
        super().__init__(db_id)
        self.db_id = db_id

    def __str__(self) -> str:
        return gettext("No database found with id '%(db_id)s'") % {"db_id": self.db_id}


class TableNotFoundError(MemoriesError):
    def __init__(self, db_id: str, table: str) -> None:
        super().__init__(db_id, table)
        self.db_id, self.table = db_id, table

    def __str__(self) -> str:
        return gettext("No table '%(table)s' found in database '%(db_id)s'") % {
            "table": self.table,
            "db_id": self.db_id,
        }


class TableWithoutDatabaseError(MemoriesError):
    def __str__(self) -> str:
        return gettext("The db_id query parameter is required when passing a table")


class FilterRequiredError(MemoriesError):
    def __str__(self) -> str:
        return gettext(
            "A deletion by filter needs at least one filter: there is no 'delete everything'"
        )


class DatabasesUnreachableError(MemoriesError):
    """Some databases of an operation could not be reached: it did what it says for the
    others (`done`), and nothing in these, which it names by db_id and table (never by the
    driver's reason, which names hosts: that goes to the log). `timed_out`: the seconds of
    the statement limit, when it is what cut each of them (they answered, too slowly)."""

    def __init__(
        self, unreachable: list[tuple[str, str]], *, done: str, timed_out: float | None = None
    ) -> None:
        super().__init__(unreachable, done)
        self.unreachable, self.done, self.timed_out = unreachable, done, timed_out

    def __str__(self) -> str:
        names = ", ".join(f"{db_id}/{table}" for db_id, table in self.unreachable)
        if self.timed_out is not None:
            explanation = StatementTimeoutError(self.timed_out, "").explanation
            return gettext("%(explanation)s (%(names)s): %(done)s") % {
                "explanation": explanation,
                "names": names,
                "done": self.done,
            }
        return gettext("Database unreachable (%(names)s): %(done)s") % {
            "names": names,
            "done": self.done,
        }


class DeletionUnfinishedError(MemoriesError):
    """An erasure or filtered deletion ended with matching memories left.

    `deleted` counts what was deleted (and audited) per (db_id, table); `remaining` what the
    final count found left, or None for a table whose database failed; `timed_out` the
    seconds of the statement limit that cut a failed table's statement, where it did.
    """

    def __init__(
        self,
        *,
        deleted: dict[tuple[str, str], int],
        remaining: dict[tuple[str, str], int | None],
        timed_out: dict[tuple[str, str], float] | None = None,
    ) -> None:
        super().__init__(deleted, remaining)
        self.deleted, self.remaining = deleted, remaining
        self.timed_out = timed_out or {}

    def __str__(self) -> str:
        left = "; ".join(self._left_in(where, count) for where, count in self.remaining.items())
        done = memories_counted(sum(self.deleted.values()))
        return gettext("Unfinished after deleting %(done)s (%(left)s)") % {
            "done": done,
            "left": left,
        }

    def _left_in(self, where: tuple[str, str], count: int | None) -> str:
        """What is left in one table: how many, or why its database gave no count."""
        fields = {"where": f"{where[0]}/{where[1]}", "count": count}
        if count is not None:
            return gettext("%(where)s: %(count)d left") % fields
        if where in self.timed_out:
            seconds = f"{self.timed_out[where]:g}"
            return gettext("%(where)s: no answer within %(seconds)s seconds") % {
                **fields,
                "seconds": seconds,
            }
        return gettext("%(where)s: database failed") % fields

    @property
    def has_unreachable(self) -> bool:
        """Whether a database failed (rather than writers outpacing the deletion)."""
        return None in self.remaining.values()

    @property
    def is_timed_out(self) -> bool:
        """Whether every database that failed was cut by the statement limit."""
        failed = [where for where, count in self.remaining.items() if count is None]
        return bool(failed) and all(where in self.timed_out for where in failed)


class ExportsBusyError(MemoriesError):
    """This process already streams as many exports as MEMORIES["EXPORT_MAX_CONCURRENT"]."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def __str__(self) -> str:
        return gettext(
            "Too many exports are running (%(limit)d at most per server process); "
            "try again when one has finished"
        ) % {"limit": self.limit}


class ExportTimeLimitError(MemoriesError):
    """An export ran past MEMORIES["EXPORT_MAX_SECONDS"]: its stream is cut, unfinished."""


class StatementTimeoutError(OperationalError):
    """A statement ran past MEMORIES["STATEMENT_TIMEOUT"] and its database cut it (nothing of
    it stays): a database failure as any other (a DatabaseError, whose text is the driver's),
    which the API and the admin tell apart."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds

    @property
    def explanation(self) -> str:
        """What a caller is told, in the active language."""
        return gettext("The database did not answer within %(seconds)s seconds") % {
            "seconds": f"{self.seconds:g}"
        }


def database_reason(error: Exception) -> str:
    """What a database error says went wrong, in one line (connection refused, no such
    database), without the hints some drivers add on further lines."""
    return next(iter(str(error).strip().splitlines()), type(error).__name__)


# API errors: what the edge raises; exception_handlers.py renders them.


class BadRequest(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Bad request")
    default_code = BAD_REQUEST


class NotFound(APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = _("Not found")
    default_code = NOT_FOUND


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = _("A request body needs a Content-Length header; chunked bodies are refused")
    default_code = LENGTH_REQUIRED


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("Request body too large")
    default_code = PAYLOAD_TOO_LARGE


class ValidationFailed(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("Validation error")
    default_code = VALIDATION_ERROR


class DeletionUnfinished(APIException):
    """Writers kept adding matching memories faster than a deletion by filter removed them."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The deletion did not finish")
    default_code = DELETION_UNFINISHED


class DatabaseUnavailable(APIException):
    """A database of the operation could not be reached: the detail names it, and says what
    was done in the others."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("A database cannot be reached")
    default_code = DATABASE_UNAVAILABLE


class NotProvided(APIException):
    """An Agno AgentOS route that this server, which administers memories only, lacks."""

    status_code = status.HTTP_501_NOT_IMPLEMENTED
    default_detail = _("This server administers memories only: it does not provide this route")
    default_code = NOT_IMPLEMENTED


class ThrottleUnavailable(APIException):
    """The throttle cache failed and MEMORIES["THROTTLE_FAIL_CLOSED"] refuses unchecked
    requests."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The request rate cannot be checked now; try again later")
    default_code = THROTTLE_UNAVAILABLE


class ExportsBusy(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Too many exports are running; try again later")
    default_code = EXPORTS_BUSY


class StatementTimeout(APIException):
    """A statement ran past MEMORIES["STATEMENT_TIMEOUT"]: a database failure, so a 500 as
    every other (the only failure status DELETE /memories/{memory_id} documents), with a code
    of its own."""

    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = _("The database did not answer within the time limit")
    default_code = STATEMENT_TIMEOUT


class InternalServerError(APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = _("Internal server error")
    default_code = INTERNAL_SERVER_ERROR


def api_error_for(error: MemoriesError) -> APIException:
    """The API error a domain error is reported as."""
    if isinstance(error, TableWithoutDatabaseError):
        return BadRequest(str(error))
    if isinstance(error, FilterRequiredError):
        return ValidationFailed(str(error))
    if isinstance(error, DatabasesUnreachableError):
        if error.timed_out is not None:
            return StatementTimeout(str(error))
        return DatabaseUnavailable(str(error))
    if isinstance(error, DeletionUnfinishedError):
        if error.is_timed_out:
            return StatementTimeout(str(error))
        if error.has_unreachable:
            return DatabaseUnavailable(str(error))
        return DeletionUnfinished(str(error))
    if isinstance(error, ExportsBusyError):
        return ExportsBusy(str(error))
    return NotFound(str(error))


# Names this module used to give, still importable while hosts move to the new ones.
_RENAMED = {"ErasureIncompleteError": "DeletionUnfinishedError"}


def __getattr__(name: str) -> Any:
    if name not in _RENAMED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    new_name = _RENAMED[name]
    warnings.warn(
        f"memories.exceptions.{name} is deprecated. "
        f"Please update your code to use memories.exceptions.{new_name} instead.",
        DeprecationWarning,
        stacklevel=2,
    )
    return globals()[new_name]
