"""PostgreSQL with a health check that costs no round trip while the connection is idle.

Django's health check (CONN_HEALTH_CHECKS) sends `SELECT 1` before the first query of every
request: a second round trip for a one-statement delete. A connection the server has closed
(restart, pg_terminate_backend, idle_session_timeout) first makes its idle socket readable,
with the termination notice or the end of the stream. So an idle socket with nothing to read
is healthy as it is; one with something to read gets Django's own `SELECT 1` check.

    DATABASES = {"default": {"ENGINE": "memories.db.postgresql", ...}}  # needs psycopg 3
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    health_check_done: bool  # set by Django's BaseDatabaseWrapper, missing from its stubs

    def close_if_health_check_failed(self) -> None:
        # Only when a check is due: this runs before every query.
        due = not self.health_check_done and self.connection is not None and not self.pool
        if due and self.idle_and_quiet():
            self.health_check_done = True
        super().close_if_health_check_failed()

    def idle_and_quiet(self) -> bool:
        """Open, outside a transaction, and nothing from the server waiting to be read."""
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            return False
        if pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        poller = select.poll()  # unlike select(), any descriptor number
        poller.register(pgconn.socket, select.POLLIN)
        return not poller.poll(0)
