"""Transactions for 10,000 users, generated in PostgreSQL (INSERT ... SELECT generate_series), grown size by size.

Rows are what the API writes (uuid id, amount_minor > 0, income/expense, a category, a date in the last 5 years,
timestamps); one in ten is income. Every user has two ledger accounts (a default checking account and a savings
account, created here unless the user has them already); nine in ten transactions go to the default one. Loading
10M rows row by row into the indexes would take longer than the benchmark, so the load drops ledger_transaction's
indexes, inserts with FK triggers off (the user and account ids come from accounts_user and ledger_account, so the
rows are valid by construction), and recreates the indexes from their saved definitions.
VACUUM ANALYZE then sets the hint bits, so no measured scan pays for writing them.

Every (user, month) the load touched is marked dirty with the API's upsert: the rollups are stale for exactly those
buckets, as if the API had written the rows.
"""

import psycopg

from bench.stack import log
from bench.users import insert_users

USERS = 10_000
USER_PREFIX = "agg_user_"
DAYS = 5 * 365
CATEGORIES = ["Groceries", "Rent", "Transport", "Dining", "Utilities", "Health", "Fun", "Other"]


def create_users(conn: psycopg.Connection) -> list[str]:
    """10,000 users (the first one through the ORM), each with ACCOUNTS; returns their ids as text."""
    insert_users(conn, first=f"{USER_PREFIX}main", prefix=USER_PREFIX, count=USERS - 1, password_hash="!")
    create_accounts(conn)
    return [str(row[0]) for row in conn.execute("SELECT id FROM accounts_user ORDER BY id")]


# (name, kind, is_default) of the accounts every bench user gets.
ACCOUNTS = [("Checking", "checking", True), ("Savings", "savings", False)]


def create_accounts(conn: psycopg.Connection) -> None:
    """ACCOUNTS for every user without an account (one the ORM created, if any, is kept as it is)."""
    for name, kind, is_default in ACCOUNTS:
        conn.execute(
            """
            INSERT INTO ledger_account (id, user_id, name, name_key, kind, currency, opening_balance_minor,
                                        is_default, archived, created_at, updated_at)
            SELECT gen_random_uuid(), u.id, %(name)s::text, lower(%(name)s::text), %(kind)s, 'USD', 0, %(default)s,
                   false, now(), now()
            FROM accounts_user u
            WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.user_id = u.id
                              AND (a.name_key = lower(%(name)s::text) OR (a.is_default AND %(default)s)))
            """,
            {"name": name, "kind": kind, "default": is_default},
        )


def default_accounts(conn: psycopg.Connection) -> dict[str, str]:
    """Each user's default account id (text), by user id (text)."""
    return dict(conn.execute("SELECT user_id::text, id::text FROM ledger_account WHERE is_default").fetchall())


def savings_accounts(conn: psycopg.Connection) -> dict[str, str]:
    """Each user's first account that is not the default (text), by user id (text)."""
    return dict(
        conn.execute(
            "SELECT DISTINCT ON (user_id) user_id::text, id::text FROM ledger_account WHERE NOT is_default "
            "ORDER BY user_id, id"
        ).fetchall()
    )


def grow_transactions(conn: psycopg.Connection, *, add: int, seed: float) -> None:
    """Add `add` random transactions spread over all users and the last 5 years."""
    indexes = _drop_indexes(conn)
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")  # no FK trigger per row
        conn.execute("SELECT setseed(%s)", [seed])  # the same data on every run
        conn.execute(
            """
            INSERT INTO ledger_transaction (id, user_id, account_id, amount_minor, type, description, category,
                                            category_key, date, idempotency_key, created_at, updated_at)
            SELECT gen_random_uuid(), users.id, accounts.id,
                   CASE WHEN income THEN 150000 + (random() * 350000)::int ELSE 100 + (random() * 25000)::int END,
                   CASE WHEN income THEN 'income' ELSE 'expense' END,
                   '',
                   CASE WHEN income THEN 'Salary' ELSE spent_on END,
                   lower(CASE WHEN income THEN 'Salary' ELSE spent_on END),
                   current_date - (random() * %(days)s)::int,
                   NULL, now(), now()
            FROM (SELECT g, random() < 0.1 AS income, (random() * %(users)s)::int %% %(users)s AS n,
                         (%(categories)s::text[])[1 + (random() * 7)::int] AS spent_on,
                         random() < 0.1 AS to_other_account
                  FROM generate_series(1, %(add)s) AS g) AS rows
            JOIN (SELECT id, (row_number() OVER (ORDER BY id)) - 1 AS n FROM accounts_user) AS users USING (n)
            JOIN (SELECT DISTINCT ON (user_id, NOT is_default) id, user_id, NOT is_default AS other
                  FROM ledger_account ORDER BY user_id, NOT is_default, id) AS accounts
              ON accounts.user_id = users.id AND accounts.other = rows.to_other_account
            """,
            {"categories": CATEGORIES, "days": DAYS, "users": USERS, "add": add},
        )
    _recreate_indexes(conn, indexes)
    log("marking the loaded buckets dirty")
    conn.execute(
        """
        INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at)
        SELECT DISTINCT user_id, to_char(date, 'YYYY-MM'), 1, now() FROM ledger_transaction
        ON CONFLICT (user_id, month) DO UPDATE
          SET generation = ledger_dirtybucket.generation + 1, marked_at = excluded.marked_at
        """
    )
    conn.execute("VACUUM ANALYZE ledger_transaction")
    conn.execute("VACUUM ANALYZE ledger_dirtybucket")


def _drop_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop every index of ledger_transaction; returns the statements that recreate them."""
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'ledger_transaction'::regclass AND contype IN ('p', 'u')"
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ledger_transaction' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'ledger_transaction'::regclass)"
    ).fetchall()
    recreate = [
        f'ALTER TABLE ledger_transaction ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints
    ]
    recreate += [definition for _, definition in indexes]
    with conn.transaction():
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for name, _ in constraints:
            conn.execute(f'ALTER TABLE ledger_transaction DROP CONSTRAINT "{name}"')
    return recreate


def _recreate_indexes(conn: psycopg.Connection, statements: list[str]) -> None:
    conn.execute("SET maintenance_work_mem = '1GB'")
    for statement in statements:
        log(f"recreating: {statement[:90]}")
        conn.execute(statement)
