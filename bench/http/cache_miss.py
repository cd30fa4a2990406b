"""A pure balance cache miss on every request, without touching the server, in the state of the ledger a case names.

The balance key carries the user's version read from ledger_balanceversion (ledger/balance_cache.py). For the
miss cases the table is swapped for a view that hands out a new version (a sequence) on every read, so every
request looks up a key nobody has filled: a Redis GET that misses, the fill lock (SET NX), the figures computed from
the database, the SET and the lock release, with no concurrent request waiting on another's fill. Bumping the
version with writes instead would measure write + read pairs, and under 32 connections most reads would still hit
a key filled by a neighbour. The only extra server-side work is one nextval() per request, a few microseconds.

A miss computes clean months from the Go aggregator's rollups and dirty months from the rows (ledger.selectors.
figures). The data leaves the aggregator's steady state (every mark cleared: `balance_miss_steady`); for
`balance_miss` every (user, month) is marked dirty again during the case, as before the aggregator's first run
(the rollups stay, ignored under the marks), and the marks added are deleted afterwards.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from bench.http.data import MARK_EVERY_BUCKET_DIRTY


@contextmanager
def fresh_version_per_read(database_url: str) -> Iterator[None]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("ALTER TABLE ledger_balanceversion RENAME TO bench_balanceversion_stored")
            # Kept after the case (the database is the run's own): a later miss case continues the sequence
            # instead of asking again for the versions an earlier one filled in Redis, which would be hits.
            conn.execute("CREATE SEQUENCE IF NOT EXISTS bench_balance_version START 1000000")
            conn.execute(
                "CREATE VIEW ledger_balanceversion AS "
                "SELECT user_id, nextval('bench_balance_version') AS version FROM bench_balanceversion_stored"
            )
        try:
            yield
        finally:
            with conn.transaction():
                conn.execute("DROP VIEW ledger_balanceversion")
                conn.execute("ALTER TABLE bench_balanceversion_stored RENAME TO ledger_balanceversion")


@contextmanager
def every_bucket_dirty(database_url: str) -> Iterator[None]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        added = [row[0] for row in conn.execute(MARK_EVERY_BUCKET_DIRTY).fetchall()]
        conn.execute("ANALYZE ledger_dirtybucket")
        try:
            yield
        finally:
            conn.execute("DELETE FROM ledger_dirtybucket WHERE id = ANY(%s)", [added])
            conn.execute("VACUUM ANALYZE ledger_dirtybucket")
