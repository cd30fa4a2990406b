"""The HTTP benchmark's data, generated in the database (INSERT ... SELECT generate_series), not through the API.

One main user with 100,000 transactions spread over the last 5 years and 1,000 other users with 5 each. Every row
is one the API could have written: uuid id, amount_minor > 0, type income/expense, a category, dates, timestamps.
Consistency with the API's bookkeeping:
- ledger_balanceversion: a row (version 1) per user, as after a first write, so balance keys are per version.
- ledger_dirtybucket: every (user, month) holding transactions is marked dirty and ledger_monthlyrollup is left
  empty: exactly the state the API leaves before the Go aggregator's first run (analytics then aggregate live).
"""

import base64
import datetime
import time
import uuid
from dataclasses import dataclass

import psycopg

from bench.django_setup import setup_django
from bench.stack import log
from bench.users import insert_users

MAIN_USERNAME = "bench_main"
OTHER_USERS = 1_000
MAIN_TRANSACTIONS = 100_000
OTHER_TRANSACTIONS_EACH = 5
YEARS_DAYS = 5 * 365
PASSWORD = "bench-password-0123"
OTHER_PREFIX = "bench_user_"

CATEGORIES = ["Groceries", "Rent", "Transport", "Dining", "Utilities", "Health", "Fun", "Other"]


@dataclass(frozen=True)
class Dataset:
    main_user_id: uuid.UUID
    other_usernames: list[str]
    deep_cursor: str  # `after` for a page 99,900 rows deep
    deep_page_first_id: uuid.UUID


def other_username(n: int) -> str:
    return f"{OTHER_PREFIX}{n}"


def hash_password(database_url: str) -> str:
    """PASSWORD hashed by Django's own hasher and settings, so the server verifies it like any user's password.
    Hashed once: PBKDF2 takes a good fraction of a second."""
    setup_django(database_url)
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def generate(database_url: str, password_hash: str) -> Dataset:
    with psycopg.connect(database_url, autocommit=True) as conn:
        insert_users(conn, first=MAIN_USERNAME, prefix=OTHER_PREFIX, count=OTHER_USERS, password_hash=password_hash)
        main_id = conn.execute("SELECT id FROM accounts_user WHERE username = %s", [MAIN_USERNAME]).fetchone()[0]
        _insert_transactions(conn, main_id)
        _insert_bookkeeping(conn)
        _vacuum_until_all_visible(conn)
        deep_cursor, first_id = _deep_cursor(conn, main_id)
    return Dataset(
        main_user_id=main_id,
        other_usernames=[other_username(n) for n in range(OTHER_USERS)],
        deep_cursor=deep_cursor,
        deep_page_first_id=first_id,
    )


def _insert_transactions(conn: psycopg.Connection, main_id: uuid.UUID) -> None:
    # Deterministic spread (no random()): reruns build the same data. One in ten rows is income. (%% is SQL's
    # modulo escaped for psycopg's placeholders.)
    rows = """
        INSERT INTO ledger_transaction (id, user_id, amount_minor, type, description, category, category_key, date,
                                        idempotency_key, created_at, updated_at)
        SELECT gen_random_uuid(), user_id,
               CASE WHEN g %% 10 = 0 THEN 150000 + (g * 7919) %% 350000 ELSE 100 + (g * 7919) %% 25000 END,
               CASE WHEN g %% 10 = 0 THEN 'income' ELSE 'expense' END,
               'bench transaction ' || g,
               CASE WHEN g %% 10 = 0 THEN 'Salary' ELSE (%(categories)s::text[])[1 + g %% 8] END,
               -- the category key (ledger.categories): lower() is the case folding for these ASCII names
               lower(CASE WHEN g %% 10 = 0 THEN 'Salary' ELSE (%(categories)s::text[])[1 + g %% 8] END),
               current_date - ((g * 104729) %% %(days)s)::int,
               NULL, now(), now()
        FROM {source}
    """
    conn.execute(
        rows.format(source="generate_series(1::bigint, %(count)s) AS g, (SELECT %(main)s::uuid AS user_id) AS u"),
        {"categories": CATEGORIES, "days": YEARS_DAYS, "count": MAIN_TRANSACTIONS, "main": main_id},
    )
    conn.execute(
        rows.format(
            source="generate_series(1::bigint, %(count)s) AS g, "
            "(SELECT id AS user_id FROM accounts_user WHERE username <> %(main)s) AS u"
        ),
        {"categories": CATEGORIES, "days": YEARS_DAYS, "count": OTHER_TRANSACTIONS_EACH, "main": MAIN_USERNAME},
    )


def _insert_bookkeeping(conn: psycopg.Connection) -> None:
    conn.execute(
        "INSERT INTO ledger_balanceversion (user_id, version, volume_minor) "
        "SELECT u.id, 1, COALESCE(sum(t.amount_minor), 0) FROM accounts_user u "
        "LEFT JOIN ledger_transaction t ON t.user_id = u.id GROUP BY u.id"
    )
    conn.execute(
        """
        INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at)
        SELECT DISTINCT user_id, to_char(date, 'YYYY-MM'), 1, now() FROM ledger_transaction
        """
    )


def _vacuum_until_all_visible(conn: psycopg.Connection) -> None:
    """Index-only scans (the balance aggregate) skip the heap only for pages marked all-visible, which only VACUUM
    does, and only for rows older than every open snapshot: an autovacuum worker that started during the load holds
    the horizon back, and one VACUUM then marks nothing (measured: 100,000 heap fetches on a cache miss)."""
    for _ in range(60):
        conn.execute("VACUUM ANALYZE ledger_transaction")
        pages, visible = conn.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'ledger_transaction'"
        ).fetchone()
        if visible >= pages:
            return
        time.sleep(0.5)
    log(f"warning: VACUUM left {pages - visible} of {pages} pages not all-visible: cache misses will read the heap")


def _deep_cursor(conn: psycopg.Connection, main_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    """The cursor of row 99,900 in the API's order (date desc, id desc) and the id of the row after it."""
    rows = conn.execute(
        "SELECT date, id FROM ledger_transaction WHERE user_id = %s ORDER BY date DESC, id DESC OFFSET %s LIMIT 2",
        [main_id, MAIN_TRANSACTIONS - 101],
    ).fetchall()
    (day, row_id), (_, next_id) = rows
    return encode_cursor(day, row_id), next_id


def encode_cursor(day: datetime.date, row_id: uuid.UUID) -> str:
    """The same bytes as ledger.selectors.encode_cursor (checked against the API before the run)."""
    return base64.urlsafe_b64encode(f"{day.isoformat()}|{row_id.hex}".encode()).decode()
