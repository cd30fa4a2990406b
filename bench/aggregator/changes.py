"""10,000 random API-style changes, made with the SQL of ledger/services/ and ledger/balance_cache.py.

Each change is its own database transaction, as each API write is: the balance version bump (whose row lock
serializes one user's writes), the row change (updates and deletes lock the row first, as select_for_update does),
and the dirty-bucket upsert for every affected month (old and new month when an update moves the date).
A third are creates dated today (the API's default date; one in four of them a transfer from the user's default
account to their savings account, whose two legs the aggregator rolls up on their accounts), a third updates of
random existing transactions (a third of them to another date), a third deletes of random existing transactions.
The Redis tidy-up after commit does not touch the database and is left out.
"""

import datetime
import random
import uuid

import psycopg

from bench.aggregator.data import CATEGORIES, DAYS, default_accounts, savings_accounts

# The API's bump (ledger.balance_cache): the version, and the change's amount added to the user's volume.
BUMP_VERSION = (
    "INSERT INTO ledger_balanceversion (user_id, version, volume_minor) VALUES (%s, 1, %s) "
    "ON CONFLICT (user_id) DO UPDATE SET version = ledger_balanceversion.version + 1, "
    "volume_minor = ledger_balanceversion.volume_minor + excluded.volume_minor RETURNING version"
)
MARK_DIRTY = (
    "INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) VALUES (%s, %s, 1, %s) "
    "ON CONFLICT (user_id, month) DO UPDATE SET "
    "generation = ledger_dirtybucket.generation + 1, marked_at = excluded.marked_at"
)
CREATE = (
    "INSERT INTO ledger_transaction (id, user_id, account_id, amount_minor, type, description, category, category_key, "
    "date, idempotency_key, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, '', %s, lower(%s), %s, NULL, %s, %s)"
)
TRANSFER = (
    "INSERT INTO ledger_transfer (id, user_id, from_account_id, to_account_id, amount_minor, to_amount_minor, date, "
    "description, idempotency_key, idempotency_fingerprint, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, '', NULL, NULL, %s, %s)"
)
LOCK_ROW = "SELECT id, date FROM ledger_transaction WHERE user_id = %s AND id = %s FOR UPDATE"
UPDATE = (
    "UPDATE ledger_transaction SET amount_minor = %s, category = %s, category_key = lower(category), date = %s, "
    "updated_at = %s WHERE id = %s"
)
DELETE = "DELETE FROM ledger_transaction WHERE id = %s"


def apply_changes(conn: psycopg.Connection, *, user_ids: list[str], count: int, seed: int) -> dict[str, int]:
    """Make `count` changes; returns how many of each kind."""
    rng = random.Random(seed)
    accounts = default_accounts(conn)  # creates go to the user's default account, as the API's do by default
    savings = savings_accounts(conn)
    total = conn.execute("SELECT count(*) FROM ledger_transaction").fetchone()[0]
    wanted = 2 * count // 3 + 1
    # A Bernoulli sample with a fixed seed: distinct existing rows without sorting the whole table.
    percent = min(100.0, 300.0 * wanted / max(total, 1))
    targets = conn.execute(
        f"SELECT id, user_id, date FROM ledger_transaction TABLESAMPLE BERNOULLI ({percent}) REPEATABLE ({seed})"
    ).fetchall()
    rng.shuffle(targets)
    targets = targets[:wanted]
    today = datetime.date.today()
    done = {"create": 0, "transfer": 0, "update": 0, "delete": 0}
    with conn.pipeline():
        for n in range(count):
            kind = ("create", "update", "delete")[n % 3]
            if kind != "create" and not targets:
                kind = "create"
            if kind == "create" and n % 12 == 0:
                kind = "transfer"
            now = datetime.datetime.now(datetime.UTC)
            with conn.transaction():
                if kind == "create":
                    user_id, amount = rng.choice(user_ids), rng.randint(100, 25_000)
                    conn.execute(BUMP_VERSION, [user_id, amount])
                    category = rng.choice(CATEGORIES)
                    conn.execute(
                        CREATE,
                        [uuid.uuid4(), user_id, accounts[user_id], amount, "expense", category, category, today]
                        + [now, now],
                    )
                    months = {today}
                elif kind == "transfer":
                    user_id, amount = rng.choice(user_ids), rng.randint(100, 25_000)
                    conn.execute(BUMP_VERSION, [user_id, 2 * amount])  # both legs count in the volume
                    conn.execute(
                        TRANSFER,
                        [uuid.uuid4(), user_id, accounts[user_id], savings[user_id], amount, amount, today, now, now],
                    )
                    months = {today}
                else:
                    row_id, user_id, old_date = targets.pop()
                    conn.execute(BUMP_VERSION, [user_id, 0])  # the volume is the API's bound, not measured here
                    conn.execute(LOCK_ROW, [user_id, row_id])
                    if kind == "update":
                        new_date = old_date
                        if rng.random() < 1 / 3:
                            new_date = today - datetime.timedelta(days=rng.randrange(DAYS))
                        conn.execute(UPDATE, [rng.randint(100, 25_000), rng.choice(CATEGORIES), new_date, now, row_id])
                        months = {old_date, new_date}
                    else:
                        conn.execute(DELETE, [row_id])
                        months = {old_date}
                for month in sorted({day.strftime("%Y-%m") for day in months}):
                    conn.execute(MARK_DIRTY, [user_id, month, now])
            done[kind] += 1
    return done
