"""A real PgBouncer in transaction pooling mode on a free loopback port, in front of the
tests' PostgreSQL server, as production deployments run it (Debian package `pgbouncer`)."""

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections

from tests.databases import PG_SERVER
from tests.servers import free_port

# A pool smaller than the clients: several clients' transactions take turns on each server
# connection, so anything that outlives a transaction (a server-side cursor, a session
# setting) lands on a connection that does not have it.
POOL_SIZE = 2


def _config(port: int, folder: Path, pool_size: int) -> str:
    server = urlsplit(PG_SERVER)
    return f"""\
[databases]
* = host={server.hostname or "127.0.0.1"} port={server.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
server_login_retry = 1
"""


@contextmanager
def pgbouncer(folder: Path, pool_size: int = POOL_SIZE) -> Iterator[str]:
    """PgBouncer started for the block: the PostgreSQL server URL through it (no database).
    The benchmark compares pool sizes; the tests keep POOL_SIZE."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        pytest.skip("pgbouncer is not installed (bin/system-deps installs it)")
    port = free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(_config(port, folder, pool_size))
    for path in (folder, config, folder / "users.txt"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    # PgBouncer refuses to run as root: it then drops to an unprivileged user.
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    with (folder / "pgbouncer.log").open("ab") as log:
        process = subprocess.Popen([binary, *user, str(config)], stdout=log, stderr=log)
    try:
        _wait_for_port(port, process, folder / "pgbouncer.log")
        user_part = urlsplit(PG_SERVER).username or "postgres"
        yield f"postgres://{user_part}@127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not start: {log.read_text()[-2000:]}")


@contextmanager
def through_pooler(db_id: str, pooler: str) -> Iterator[None]:
    """db_id's connections (the requests', the refreshes', a lock holder's) go through the
    pooler."""
    address = urlsplit(pooler)
    config = connections[db_id].settings_dict
    saved = {key: config[key] for key in ("HOST", "PORT")}
    connections[db_id].close()
    config.update(HOST=address.hostname, PORT=address.port)
    try:
        yield
    finally:
        connections[db_id].close()
        config.update(saved)
