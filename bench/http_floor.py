"""The HTTP part of a request's floor: a WSGI application that reads the request's body and
answers 204, served by granian as bin/serve serves the project (bench/paths.py)."""

import sys
from collections.abc import Callable, Iterable
from typing import Any


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    environ["wsgi.input"].read()
    start_response("204 No Content", [])
    return []


def granian(application: str, port: int) -> list[str]:
    """granian serving application with bin/serve's options (2 workers of 4 threads, HTTP/1,
    no access log)."""
    return [
        sys.executable,
        "-m",
        "granian",
        application,
        "--interface=wsgi",
        "--host=127.0.0.1",
        f"--port={port}",
        "--workers=2",
        "--blocking-threads=4",
        "--http=1",
        "--no-ws",
        "--http1-buffer-size=65536",
        "--no-access-log",
    ]


def command(port: int) -> list[str]:
    return granian("bench.http_floor:application", port)
