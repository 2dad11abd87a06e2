"""A redis-server of the test's own on a free loopback port, to kill, freeze and restore for
real (the shared Redis is never touched)."""

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import free_port


class PrivateRedis:
    """One redis-server process at a time, always on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
                + ["--appendonly", "no", "--dir", str(self.folder)],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        output = (self.folder / "redis.log").read_text()
        raise RuntimeError(f"redis-server did not start: {output}")

    def kill(self) -> None:
        """Down: the process is gone and its port refuses connections."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)
        self.process = None

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Stalled: the port accepts connections (the kernel does), nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)


@contextmanager
def private_redis(folder: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(folder)
    redis.start()
    try:
        yield redis
    finally:
        if redis.process is not None:
            redis.process.send_signal(signal.SIGCONT)
            redis.process.kill()
            redis.process.wait(timeout=30)
