"""The database connection on the hot path: a prepared statement for the per-request lookup, and health checks only
for connections that sat idle.

- Django sends every statement with client-side binding, so PostgreSQL parses and plans it each time. The one
  statement every authenticated request runs (ledger.selectors.users) is worth preparing: `prepared_cursor()`
  gives a server-side-binding cursor that prepares what it executes (once per connection; psycopg keeps the
  prepared statements per connection), wrapped like any Django cursor, so query capture still sees it.
- CONN_HEALTH_CHECKS costs a `SELECT 1` round trip at the start of every request. A connection that served a request
  less than DB_HEALTH_CHECK_AFTER_IDLE seconds ago is trusted instead: a database that went away since then fails
  that one request, and Django's end-of-request check (which runs after any database error) closes the broken
  connection, so the next request reconnects. Connections idle for longer are still checked before use.
"""

import contextlib
import functools
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.utils import CursorDebugWrapper

_LAST_REQUEST_END = "_finance_last_request_end"


@contextlib.contextmanager
def prepared_cursor() -> Iterator[object]:
    """A cursor whose statements PostgreSQL prepares once per connection (a plain cursor on other databases)."""
    # The wrapper itself, not the `connection` proxy: each attribute read through the proxy is a lookup of the alias.
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        with conn.cursor() as cursor:
            yield cursor
        return
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    conn.validate_thread_sharing()
    raw = _preparing_cursor_class()(conn.connection)
    # Query capture (tests, debug) logs the statement as written: Django's log reads the client-side-bound text,
    # which a prepared execution does not have.
    cursor = _LoggedAsWritten(raw, conn) if conn.queries_logged else conn.make_cursor(raw)
    with cursor:
        yield cursor


@functools.cache
def _preparing_cursor_class() -> type:
    # Built once, on first use (psycopg is imported only on PostgreSQL): a class statement per call cost about as
    # much as the rest of this function.
    from django.db.backends.postgresql.base import ServerBindingCursor  # noqa: PLC0415 (psycopg only)

    class Preparing(ServerBindingCursor):
        def execute(self, query, params=None, **options):  # noqa: ANN001, ANN202 (psycopg's signature)
            return super().execute(query, params, prepare=True)

    return Preparing


class _LoggedAsWritten(CursorDebugWrapper):
    def execute(self, sql, params=None):  # noqa: ANN001, ANN201 (Django's signature)
        with self.debug_sql(sql, params):
            return super(CursorDebugWrapper, self).execute(sql, params)


@contextlib.contextmanager
def read_snapshot() -> Iterator[None]:
    """Reads that must agree with each other (rows, dirty marks, rollups) in one REPEATABLE READ READ ONLY snapshot on
    PostgreSQL. Elsewhere, and inside a transaction already open, the reads run as they are: SQLite serializes its
    writers, and an atomic block there would take the write lock for a read."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _note_request_end(**kwargs: object) -> None:
    for conn in connections.all(initialized_only=True):
        setattr(conn, _LAST_REQUEST_END, time.monotonic())


def _trust_busy_connections(**kwargs: object) -> None:
    # Runs after Django's own request_started handler, which marks every connection as not yet checked.
    idle_limit = settings.DB_HEALTH_CHECK_AFTER_IDLE
    for conn in connections.all(initialized_only=True):
        last_end = getattr(conn, _LAST_REQUEST_END, None)
        busy = last_end is not None and time.monotonic() - last_end < idle_limit
        if conn.connection is not None and conn.health_check_enabled and busy and not conn.errors_occurred:
            conn.health_check_done = True


def connect_signals() -> None:
    request_started.connect(_trust_busy_connections, dispatch_uid="finance-trust-busy-connections")
    request_finished.connect(_note_request_end, dispatch_uid="finance-note-request-end")
