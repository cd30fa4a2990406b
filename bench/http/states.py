"""The database as each case is measured in, and restored after it, so every round of `make bench` measures the
same data (bench.http.run runs the cases in interleaved rounds)."""

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg

from bench.http.cache_miss import every_bucket_dirty, fresh_version_per_read
from bench.http.cases import CREATE_CATEGORY, Case
from bench.http.data import MAIN_USERNAME, run_aggregator, vacuum_until_all_visible


@contextmanager
def case_state(case: Case, database_url: str) -> Iterator[None]:
    """The database as `case` is measured in, restored afterwards."""
    with ExitStack() as stack:
        if case.every_bucket_dirty:
            stack.enter_context(every_bucket_dirty(database_url))
        if case.fresh_version_per_read:
            stack.enter_context(fresh_version_per_read(database_url))
        if case.undo_writes:
            stack.enter_context(writes_undone(database_url))
        yield


@contextmanager
def writes_undone(database_url: str) -> Iterator[None]:
    """The main user's ledger as before the case, after a case that creates transactions (category
    CREATE_CATEGORY) for them: the next round's reads find the data and the answers the dataset describes.

    The rows and their change log entries are deleted and the user's volume and change sequence put back; the
    balance version moves forward (a cached balance of a version the case wrote must never be served again), then
    the aggregator clears the month the creates marked dirty and VACUUM restores index-only scans."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        user_id, volume, sequence = conn.execute(
            "SELECT v.user_id, v.volume_minor, v.change_sequence FROM ledger_balanceversion v "
            "JOIN accounts_user u ON u.id = v.user_id WHERE u.username = %s",
            [MAIN_USERNAME],
        ).fetchone()
        try:
            yield
        finally:
            _until_no_more_writes(conn, user_id)
            with conn.transaction():
                # The user's version row first: the lock every write of theirs takes.
                conn.execute(
                    "UPDATE ledger_balanceversion SET version = version + 1, volume_minor = %s, change_sequence = %s "
                    "WHERE user_id = %s",
                    [volume, sequence, user_id],
                )
                conn.execute("DELETE FROM ledger_change WHERE user_id = %s AND sequence > %s", [user_id, sequence])
                conn.execute(
                    "DELETE FROM ledger_transaction WHERE user_id = %s AND category = %s", [user_id, CREATE_CATEGORY]
                )
            run_aggregator(database_url, full=False)
            vacuum_until_all_visible(conn)


def _until_no_more_writes(conn: psycopg.Connection, user_id: object) -> None:
    """Wait until the case's rows stop growing for a second: requests wrk sent before it stopped can still be in the
    server's listen backlog after the idle check, and one committed after the undo would stay."""
    count = "SELECT count(*) FROM ledger_transaction WHERE user_id = %s AND category = %s"
    seen = None
    for _ in range(120):
        now = conn.execute(count, [user_id, CREATE_CATEGORY]).fetchone()[0]
        if now == seen:
            return
        seen = now
        time.sleep(1)
    raise RuntimeError("createTransaction's rows kept growing for 2 minutes after the case")
