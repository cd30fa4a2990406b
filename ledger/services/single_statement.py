"""A new transaction and everything its write does besides, in one PostgreSQL statement.

The statement sequence of ledger.services.transactions (BEGIN, version bump, INSERT, category name, dirty bucket,
COMMIT) costs six round trips and holds the user's version row lock across four of them. Data-modifying CTEs do the
same work in one statement, and a statement outside an explicit transaction is a transaction of its own: one round
trip, and the lock is held only while the statement runs. The statement writes only when nothing since the caller's
first read can make the sequence answer otherwise, and then writes all of it; otherwise it writes nothing and the
caller runs the sequence, which answers every other case (a moved version, a retry, a full volume) as it always did.

Why "the version is still the one read with the account" is enough: every write of a user's ledger (accounts,
transactions, transfers, imports) bumps the version in its own database transaction, and the bump's conflict waits
for a concurrent writer and compares with what it committed. So an unchanged version means that nothing was
committed since the account was read (it is still there and not archived: the rule of bookkeeping.confirm_account)
and nothing since this statement's snapshot (an idempotency key absent from the snapshot is still free).
"""

import functools

from django.db import connection

from ledger.balance_cache import bump_from_seen_version_sql, forget_superseded_figures
from ledger.categories import CATEGORY_NAME_UPSERT, category_key
from ledger.models import Transaction
from ledger.money import MAX_VOLUME_MINOR
from ledger.services.bookkeeping import DIRTY_BUCKET_UPSERT
from ledger.validation import month_of


def insert_in_one_statement(row: Transaction, *, version_seen: int) -> bool:
    """Insert `row`, a new transaction into an account read (not archived) together with the user's balance version
    `version_seen`, with the version bump adding its amount to the volume, its category name and its dirty bucket,
    in one statement; True when it did. False, having written nothing, when the version moved since, the row's
    idempotency key is taken, the volume has no room for the amount, or the database is not PostgreSQL (SQLite has
    no data-modifying CTEs, and no network to save)."""
    if connection.vendor != "postgresql" or row.amount_minor > MAX_VOLUME_MINOR:
        return False
    row.category_key = category_key(row.category)  # what Transaction.save() does
    fields = row._meta.local_concrete_fields
    params = {f"c{i}": field.get_db_prep_save(field.pre_save(row, True), connection) for i, field in enumerate(fields)}
    user_field, created_field = row._meta.get_field("user"), row._meta.get_field("created_at")
    params |= {
        "user": user_field.get_db_prep_save(row.user_id, connection),
        "seen": version_seen,
        "change": row.amount_minor,
        "key": row.idempotency_key,
        "category_key": row.category_key,
        "category": row.category,
        "month": month_of(row.date),
        "now": created_field.get_db_prep_save(row.created_at, connection),
    }
    with connection.cursor() as cursor:
        cursor.execute(_statement(with_key=row.idempotency_key is not None), params)
        bumped = cursor.fetchone()
    if bumped is None:
        return False
    forget_superseded_figures(row.user_id, bumped[0])
    row._state.adding = False
    row._state.db = connection.alias
    return True


@functools.cache
def _statement(*, with_key: bool) -> str:
    # Each CTE reads the one before it, so nothing is written unless the bump was.
    free_key = "NOT EXISTS (SELECT 1 FROM ledger_transaction WHERE user_id = %(user)s AND idempotency_key = %(key)s)"
    bump = bump_from_seen_version_sql(f"SELECT %(user)s, 1, %(change)s WHERE {free_key if with_key else 'TRUE'}")
    fields = Transaction._meta.local_concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = ", ".join(f"%(c{i})s" for i in range(len(fields)))
    name = CATEGORY_NAME_UPSERT.format(named="SELECT %(user)s, %(category_key)s, %(category)s, %(now)s FROM new_row")
    bucket = DIRTY_BUCKET_UPSERT.format(marked="SELECT %(user)s, %(month)s, 1, %(now)s FROM new_row")
    return (
        f"WITH bumped AS ({bump}), "
        f"new_row AS (INSERT INTO {Transaction._meta.db_table} ({columns}) SELECT {values} FROM bumped RETURNING 1), "
        f"named AS ({name}), marked AS ({bucket}) "
        "SELECT version FROM bumped"
    )
