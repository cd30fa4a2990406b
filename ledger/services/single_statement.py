"""A new transaction and everything its write does besides, in one PostgreSQL statement.

The statement sequence of ledger.services.transactions (BEGIN, version bump, INSERT, category name, dirty bucket,
change sequence, change row, COMMIT) costs eight round trips and holds the user's version row lock across six of
them. Data-modifying CTEs do the same work in one statement, and a statement outside an explicit transaction is a
transaction of its own: one round trip, and the lock is held only while the statement runs. It is prepared
(storage.connections), so it is not parsed and planned again on every create either. It writes only when nothing can
make the sequence answer otherwise, and then writes all of it; otherwise it writes nothing and the caller runs the
sequence, which answers every other case (a retry, an archived or deleted account, a full volume) as it always did.

Why the statement's own reads can be trusted: every write of a user's ledger (accounts, transactions, transfers,
imports) bumps the version in its own database transaction, and the bump's ON CONFLICT waits for a concurrent writer
and compares with what it committed. The statement bumps only a version equal to the one in its own snapshot, so
nothing was committed between that snapshot and the lock: what the snapshot shows (the account there, not archived,
in the currency the amount was parsed in; the idempotency key free) is still true when the row is written. Reading
them in the statement rather than trusting the caller's earlier read (bookkeeping.confirm_account's rule) matters
under load: a write of the same user committed in between no longer sends the create down the sequence.

A request's create usually reads its caller and account first (ledger.selectors.user_for_write), one round trip
before this one. After a user's create to an account, their next create to it skips that read
(ledger.services.write_targets): the statement then checks the caller too, in the same snapshot as the account (the
user active, of the token's generation: accounts.tokens.token_holder's rule), and writes nothing when any check fails,
so the path that reads the caller answers as it always did.

The change row (ledger.changes) joins the statement: the bump's upsert also takes the change sequence number (a row
can be modified only once per statement), and the row is inserted from it, so it is written exactly when the
transaction is, under the same lock; the subscription servers are woken after it, as record_changes wakes them.
"""

import functools

from django.db import DEFAULT_DB_ALIAS, connection, connections

from accounts.models import User
from ledger.balance_cache import bump_if_unchanged_sql, superseded_figures_deletion
from ledger.categories import CATEGORY_NAME_UPSERT, category_key
from ledger.changes import snapshot_of
from ledger.models import Change, ChangeOperation, EntityType, Transaction
from ledger.money import MAX_VOLUME_MINOR
from ledger.services.bookkeeping import ACCOUNT_COLUMNS, DIRTY_BUCKET_UPSERT, account_from_row
from ledger.validation import month_of
from storage.cache import send_after_commit
from storage.connections import prepared_cursor
from storage.live import publication


def insert_in_one_statement(
    row: Transaction, *, currency: str, token_version: object = None, default_account: bool = False
) -> bool:
    """Insert `row`, a new transaction into the account `row.account_id` (its amount parsed in `currency`), with the
    version bump adding its amount to the volume, its category name and its dirty bucket, in one statement; True when
    it did, with `row.account` as it was when the row was written. False, having written nothing, when the account is
    gone, archived or in another currency, the row's idempotency key is taken, a write of the same user committed
    while the statement ran, the volume has no room for the amount, or the database is not PostgreSQL (SQLite has no
    data-modifying CTEs, and no network to save).

    `token_version`: the caller's token generation when nothing has checked the caller yet; the statement then writes
    only for an active user of that generation (accounts.tokens.token_holder's rule), and is False otherwise.
    `default_account`: the create named no account, so the account must still be the user's default."""
    # The wrapper itself, not the `connection` proxy: each attribute read through the proxy is a lookup of the alias,
    # and preparing the parameters reads it some 25 times.
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor != "postgresql" or row.amount_minor > MAX_VOLUME_MINOR:
        return False
    check_caller = token_version is not None
    if check_caller and type(token_version) is not int:
        return False  # not a generation this table could hold: the path that reads the caller refuses the token
    row.category_key = category_key(row.category)  # what Transaction.save() does
    fields = row._meta.local_concrete_fields
    params = {f"c{i}": field.get_db_prep_save(field.pre_save(row, True), wrapper) for i, field in enumerate(fields)}
    snapshot = snapshot_of(row, currency=currency)  # after pre_save: with the timestamps
    params |= {
        "user": row._meta.get_field("user").get_db_prep_save(row.user_id, wrapper),
        "account": row._meta.get_field("account").get_db_prep_save(row.account_id, wrapper),
        "currency": currency,
        "change": row.amount_minor,
        "key": row.idempotency_key,
        "category_key": row.category_key,
        "category": row.category,
        "month": month_of(row.date),
        "now": row._meta.get_field("created_at").get_db_prep_save(row.created_at, wrapper),
        "snapshot": Change._meta.get_field("snapshot").get_db_prep_save(snapshot, wrapper),
    }
    if check_caller:
        params["token_version"] = token_version
    statement = _statement(
        with_key=row.idempotency_key is not None, check_caller=check_caller, default_account=default_account
    )
    with prepared_cursor() as cursor:
        for _ in range(ATTEMPTS):
            cursor.execute(statement, params)
            checked, version, sequence, *account = cursor.fetchone()
            # Conditions that held in this statement's snapshot without a bump: another write of this user committed
            # while it ran (or the volume is full). Nothing was written, and the next statement has a new snapshot.
            if version is not None or not checked:
                break
    if version is None:
        return False
    # What the statement sequence sends at its bump and its change row (the statement has committed): together.
    send_after_commit(superseded_figures_deletion(row.user_id, version), publication(row.user_id, str(sequence)))
    row.account = account_from_row(account)
    row._state.adding = False
    row._state.db = wrapper.alias
    return True


# Statements per create before the sequence takes over. Two API workers writing for one user made a quarter of the
# statements meet the other's commit (200 creates from two threads: 51 fell back to the eight-round-trip sequence,
# which holds the user's lock long enough to make the other worker's next statement fail too).
ATTEMPTS = 3


@functools.cache
def _statement(*, with_key: bool, check_caller: bool, default_account: bool) -> str:
    # Each CTE after the bump reads the one before it, so nothing is written unless the bump was.
    conditions = [
        "EXISTS (SELECT 1 FROM ledger_account WHERE id = %(account)s AND user_id = %(user)s AND NOT archived "
        f"AND currency = %(currency)s{' AND is_default' if default_account else ''})"
    ]
    if with_key:
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM ledger_transaction WHERE user_id = %(user)s AND idempotency_key = %(key)s)"
        )
    if check_caller:
        conditions.append(
            f"EXISTS (SELECT 1 FROM {User._meta.db_table} WHERE id = %(user)s AND is_active "
            "AND token_version = %(token_version)s)"
        )
    proposed = "SELECT %(user)s, 1, %(change)s, 1 FROM checked WHERE ok"
    bump = bump_if_unchanged_sql(proposed, "(SELECT version FROM seen)")
    fields = Transaction._meta.local_concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = ", ".join(f"%(c{i})s" for i in range(len(fields)))
    name = CATEGORY_NAME_UPSERT.format(named="SELECT %(user)s, %(category_key)s, %(category)s, %(now)s FROM new_row")
    bucket = DIRTY_BUCKET_UPSERT.format(marked="SELECT %(user)s, %(month)s, 1, %(now)s FROM new_row")
    change = (
        "INSERT INTO ledger_change (user_id, sequence, entity_type, entity_id, operation, at, snapshot) "
        f"SELECT %(user)s, bumped.change_sequence, '{EntityType.TRANSACTION}', %(c0)s, '{ChangeOperation.CREATED}', "
        "%(now)s, %(snapshot)s FROM bumped, new_row"
    )
    return (
        "WITH seen AS (SELECT version FROM ledger_balanceversion WHERE user_id = %(user)s), "
        f"checked AS (SELECT {' AND '.join(conditions)} AS ok), "
        f"bumped AS ({bump}), "
        f"new_row AS (INSERT INTO {Transaction._meta.db_table} ({columns}) SELECT {values} FROM bumped RETURNING 1), "
        f"named AS ({name}), marked AS ({bucket}), logged AS ({change}) "
        # One row whatever happened: whether the conditions held in this snapshot, and what was written if anything.
        f"SELECT checked.ok, bumped.version, bumped.change_sequence, {ACCOUNT_COLUMNS} FROM checked "
        "LEFT JOIN bumped ON TRUE LEFT JOIN ledger_account a ON bumped.version IS NOT NULL AND a.id = %(account)s"
    )
