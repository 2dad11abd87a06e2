"""The project's log lines: plain text or one JSON object per line (AGENTOS_LOG_FORMAT), each
with the request's id, and an access line per request written by the application itself.

Imports nothing of Django's: granian's main process formats its own lines with these
formatters too (bin/serve gives it agentos/granian-logging.json), before any settings exist.
"""

import datetime
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

# The attributes every LogRecord has: anything else on a record came as `extra` and is data.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, the record's
    structured extras (a deletion's fields, an access line's), and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        data.update((key, value) for key, value in record.__dict__.items() if key not in _STANDARD)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class PlainFormatter(logging.Formatter):
    """`time LEVEL logger message`, ending with `request_id=...` within a request."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        # A message may quote a client (a path whose %0d%0a was decoded): its control
        # characters are escaped, so no client writes a line of its own into the log.
        line = _CONTROL.sub(_escaped, super().formatMessage(record))
        request_id = getattr(record, "request_id", None)
        return f"{line} request_id={request_id}" if request_id else line


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


access_logger = logging.getLogger("agentos.access")


class AccessLogMiddleware:
    """One INFO line per request on `agentos.access` (the server's own access log is off):
    written inside the request, so it carries the request's id like every other line."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        started = time.perf_counter()
        response = self.get_response(request)
        fields = {
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        }
        access_logger.info(
            '%(remote_addr)s "%(method)s %(path)s" %(status)s %(duration_ms).3fms',
            fields,
            extra=fields,
        )
        return response
