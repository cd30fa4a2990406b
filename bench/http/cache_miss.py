"""A pure balance cache miss on every request, without touching the server.

The balance key carries the user's version read from ledger_balanceversion (ledger/balance_cache.py). For the
miss case the table is swapped for a view that hands out a new version (a sequence) on every read, so every
request looks up a key nobody has filled: a Redis GET that misses, the fill lock (SET NX), the aggregate over all
the user's rows, the SET and the lock release, with no concurrent request waiting on another's fill. Bumping the
version with writes instead would measure write + read pairs, and under 32 connections most reads would still hit
a key filled by a neighbour. The only extra server-side work is one nextval() per request, a few microseconds.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def fresh_version_per_read(database_url: str) -> Iterator[None]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("ALTER TABLE ledger_balanceversion RENAME TO bench_balanceversion_stored")
            conn.execute("CREATE SEQUENCE bench_balance_version START 1000000")
            conn.execute(
                "CREATE VIEW ledger_balanceversion AS "
                "SELECT user_id, nextval('bench_balance_version') AS version FROM bench_balanceversion_stored"
            )
        try:
            yield
        finally:
            with conn.transaction():
                conn.execute("DROP VIEW ledger_balanceversion")
                conn.execute("DROP SEQUENCE bench_balance_version")
                conn.execute("ALTER TABLE bench_balanceversion_stored RENAME TO ledger_balanceversion")
