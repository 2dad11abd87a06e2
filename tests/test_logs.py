"""agentos/logs.py: the project's log lines, one per event whatever a client sends."""

import io
import json
import logging

from django.http import HttpResponse
from django.test import RequestFactory

from agentos.logs import AccessLogMiddleware, JsonFormatter, PlainFormatter, access_logger


def access_lines(formatter: logging.Formatter, path: str) -> list[str]:
    """What the access log writes for one request to path, formatted by formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    access_logger.addHandler(handler)
    level, access_logger.level = access_logger.level, logging.INFO
    try:
        AccessLogMiddleware(lambda request: HttpResponse(status=404))(RequestFactory().get(path))
    finally:
        access_logger.removeHandler(handler)
        access_logger.level = level
    return stream.getvalue().splitlines()


def test_a_path_with_line_breaks_writes_one_plain_line():
    # Django hands the application the decoded path: %0d%0a is a line break.
    (line,) = access_lines(PlainFormatter(), "/x%0d%0a2026-01-01 00:00:00,000 INFO forged%1b[2J")

    assert '"GET /x\\r\\n2026-01-01 00:00:00,000 INFO forged\\x1b[2J" 404' in line


def test_the_json_line_keeps_the_path_as_sent():
    (line,) = access_lines(JsonFormatter(), "/x%0d%0aforged")

    record = json.loads(line)
    assert record["path"] == "/x\r\nforged"
    assert record["status"] == 404
