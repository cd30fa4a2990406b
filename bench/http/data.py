"""The HTTP benchmark's data, generated in the database (INSERT ... SELECT generate_series), not through the API.

One main user with 100,000 transactions spread over the last 5 years in their default ledger account ("Main"), a
second account ("Savings") and a monthly transfer from Main to Savings (60 of them), and 1,000 other users with a
default account and 5 transactions each. Every row is one the API could have written: uuid id, amount_minor > 0,
type income/expense, a category, dates, timestamps, an account of the user's. Consistency with the API's
bookkeeping:
- ledger_balanceversion: a row (version 1) per user, as after a first write, so figures keys are per version; its
  volume is what the services would have added up (every amount, both amounts of each transfer).
- ledger_dirtybucket: every (user, month) holding transactions or transfers is marked dirty, as the API leaves it;
  then the Go aggregator runs once (`aggregator --full`), which writes the rollups (per account, transfer legs
  included) and clears the marks: the state of a deployment whose aggregator keeps up. Account registers
  (running balances), figures on a cache miss and analytics take clean months from those rollups; transaction
  pages do not read them.
"""

import base64
import datetime
import subprocess
import time
import uuid
from dataclasses import dataclass

import psycopg

from bench.django_setup import setup_django
from bench.http import planning
from bench.http.amounts import api_amount
from bench.stack import ROOT, log
from bench.users import insert_users

MAIN_USERNAME = "bench_main"
OTHER_USERS = 1_000
MAIN_TRANSACTIONS = 100_000
OTHER_TRANSACTIONS_EACH = 5
YEARS_DAYS = 5 * 365
PASSWORD = "bench-password-0123"
OTHER_PREFIX = "bench_user_"

CATEGORIES = ["Groceries", "Rent", "Transport", "Dining", "Utilities", "Health", "Fun", "Other"]
CURRENCY = "USD"  # the server's DEFAULT_CURRENCY unless the environment sets another
MAIN_ACCOUNT, SAVINGS_ACCOUNT = "Main", "Savings"
SAVINGS_OPENING_MINOR = 1_000_000
SAVINGS_TRANSFERS = 60  # one a month over the 5 years, from Main to Savings
SAVINGS_TRANSFER_MINOR = 50_000
# The entry after which entries_deep reads its page, counted from the newest of Main's register.
DEEP_ENTRY = 99_900
AGGREGATOR = ROOT / "go_aggregator" / "bin" / "aggregator"
# Every (user, month) holding transactions or transfers marked dirty, as the API leaves it before the aggregator's
# first run; marks that exist already are kept. Returns the ids of the marks it added.
MARK_EVERY_BUCKET_DIRTY = """
    INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at)
    SELECT user_id, month, 1, now() FROM (
        SELECT user_id, to_char(date, 'YYYY-MM') AS month FROM ledger_transaction
        UNION SELECT user_id, to_char(date, 'YYYY-MM') FROM ledger_transfer
    ) AS touched
    ON CONFLICT (user_id, month) DO NOTHING
    RETURNING id
"""


@dataclass(frozen=True)
class Dataset:
    main_user_id: uuid.UUID
    other_usernames: list[str]
    deep_cursor: str  # `after` for a page 99,900 rows deep
    deep_page_first_id: uuid.UUID
    main_account_id: uuid.UUID
    main_balance: str  # Main's balance as the API formats it
    newest_entry: str  # `"id":"...","runningBalance":"..."` of the register's first entry
    deep_entries_cursor: str  # `after` for the register page after entry DEEP_ENTRY
    deep_entry: str  # the same for the first entry of that page
    analytics_months: tuple[str, str]  # the last 12 months, "YYYY-MM": from 11 months ago to the current one
    first_month_summary: str  # monthlySummary's first month as the API answers it
    largest_category: str  # `"total":...,"transactionCount":...` of categoryBreakdown's first row
    planning: planning.Planning  # budgets and recurring rules (bench.http.planning)


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
        main_account, savings_account = _insert_accounts(conn, main_id)
        _insert_transactions(conn, main_id)
        _insert_transfers(conn, main_id, main_account, savings_account)
        budgets_and_rules = planning.insert(conn, main_id, main_account)
        _insert_bookkeeping(conn)
        run_aggregator(database_url)
        vacuum_until_all_visible(conn)
        deep_cursor, first_id = _deep_cursor(conn, main_id)
        register = _Register(conn, main_account)
        newest = register.entry(0)
        deep_entries_cursor = register.cursor(DEEP_ENTRY - 1)
        deep_entry = register.entry(DEEP_ENTRY)
        main_balance = register.balance()
        months, first_month, largest = _analytics(conn, main_id)
    return Dataset(
        main_user_id=main_id,
        other_usernames=[other_username(n) for n in range(OTHER_USERS)],
        deep_cursor=deep_cursor,
        deep_page_first_id=first_id,
        main_account_id=main_account,
        main_balance=main_balance,
        newest_entry=newest,
        deep_entries_cursor=deep_entries_cursor,
        deep_entry=deep_entry,
        analytics_months=months,
        first_month_summary=first_month,
        largest_category=largest,
        planning=budgets_and_rules,
    )


def _insert_accounts(conn: psycopg.Connection, main_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """A default account "Main" for every user, and "Savings" for the main user; returns the main user's two."""
    account = """
        INSERT INTO ledger_account (id, user_id, name, name_key, kind, currency, opening_balance_minor, is_default,
                                    archived, idempotency_key, idempotency_fingerprint, created_at, updated_at)
        SELECT gen_random_uuid(), id, %(name)s, %(name_key)s, %(kind)s, %(currency)s, %(opening)s, %(default)s,
               false, NULL, NULL, now(), now()
        FROM accounts_user WHERE {users}
        RETURNING id, user_id
    """
    main_account = conn.execute(
        account.format(users="true"),
        {
            "name": MAIN_ACCOUNT,
            "name_key": MAIN_ACCOUNT.casefold(),
            "kind": "checking",
            "currency": CURRENCY,
            "opening": 0,
            "default": True,
        },
    ).fetchall()
    savings = conn.execute(
        account.format(users="id = %(main)s"),
        {
            "name": SAVINGS_ACCOUNT,
            "name_key": SAVINGS_ACCOUNT.casefold(),  # ledger.models.account_name_key
            "kind": "savings",
            "currency": CURRENCY,
            "opening": SAVINGS_OPENING_MINOR,
            "default": False,
            "main": main_id,
        },
    ).fetchone()
    return next(account_id for account_id, user_id in main_account if user_id == main_id), savings[0]


def _insert_transactions(conn: psycopg.Connection, main_id: uuid.UUID) -> None:
    # Deterministic spread (no random()): reruns build the same data. One in ten rows is income. (%% is SQL's
    # modulo escaped for psycopg's placeholders.)
    rows = """
        INSERT INTO ledger_transaction (id, user_id, account_id, amount_minor, type, description, category,
                                        category_key, date, idempotency_key, created_at, updated_at)
        SELECT gen_random_uuid(), a.user_id, a.id,
               CASE WHEN g %% 10 = 0 THEN 150000 + (g * 7919) %% 350000 ELSE 100 + (g * 7919) %% 25000 END,
               CASE WHEN g %% 10 = 0 THEN 'income' ELSE 'expense' END,
               'bench transaction ' || g,
               CASE WHEN g %% 10 = 0 THEN 'Salary' ELSE (%(categories)s::text[])[1 + g %% 8] END,
               -- the category key (ledger.categories): lower() is the case folding for these ASCII names
               lower(CASE WHEN g %% 10 = 0 THEN 'Salary' ELSE (%(categories)s::text[])[1 + g %% 8] END),
               current_date - ((g * 104729) %% %(days)s)::int,
               NULL, now(), now()
        FROM {source}, ledger_account a
        WHERE a.user_id = u.user_id AND a.is_default
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


def _insert_transfers(
    conn: psycopg.Connection, main_id: uuid.UUID, main_account: uuid.UUID, savings_account: uuid.UUID
) -> None:
    conn.execute(
        """
        INSERT INTO ledger_transfer (id, user_id, from_account_id, to_account_id, amount_minor, to_amount_minor, date,
                                     description, idempotency_key, idempotency_fingerprint, created_at, updated_at)
        SELECT gen_random_uuid(), %(user)s, %(source)s, %(target)s, %(amount)s, %(amount)s,
               current_date - (g * 30), 'bench savings ' || g, NULL, NULL, now(), now()
        FROM generate_series(1, %(count)s) AS g
        """,
        {
            "user": main_id,
            "source": main_account,
            "target": savings_account,
            "amount": SAVINGS_TRANSFER_MINOR,
            "count": SAVINGS_TRANSFERS,
        },
    )


def _insert_bookkeeping(conn: psycopg.Connection) -> None:
    conn.execute(
        """
        INSERT INTO ledger_balanceversion (user_id, version, volume_minor)
        SELECT u.id, 1,
               COALESCE((SELECT sum(amount_minor) FROM ledger_transaction t WHERE t.user_id = u.id), 0)
               + COALESCE((SELECT sum(amount_minor + to_amount_minor) FROM ledger_transfer t WHERE t.user_id = u.id), 0)
               + (SELECT sum(abs(opening_balance_minor)) FROM ledger_account a WHERE a.user_id = u.id)
        FROM accounts_user u
        """
    )
    conn.execute(MARK_EVERY_BUCKET_DIRTY)


def run_aggregator(database_url: str, *, full: bool = True) -> None:
    """The Go aggregator, a full rebuild or (full=False) one incremental run: rollups for every dirty (user, month),
    marks cleared."""
    if not AGGREGATOR.exists():
        raise RuntimeError("go_aggregator/bin/aggregator is missing: run `make aggregator` (`make bench` does)")
    started = time.monotonic()
    result = subprocess.run(
        [str(AGGREGATOR), "--database-url", database_url, *(["--full"] if full else ["--once"])],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"aggregator failed ({result.returncode}): {result.stderr[-2000:]}")
    with psycopg.connect(database_url) as conn:
        rollups, dirty = conn.execute(
            "SELECT (SELECT count(*) FROM ledger_monthlyrollup), (SELECT count(*) FROM ledger_dirtybucket)"
        ).fetchone()
    if dirty:
        raise RuntimeError(f"the aggregator left {dirty} dirty buckets")
    log(f"aggregator{' --full' if full else ''}: {rollups} rollups in {time.monotonic() - started:.1f}s")


def vacuum_until_all_visible(conn: psycopg.Connection) -> None:
    """Index-only scans (the balance aggregate) skip the heap only for pages marked all-visible, which only VACUUM
    does, and only for rows older than every open snapshot: an autovacuum worker that started during the load holds
    the horizon back, and one VACUUM then marks nothing (measured: 100,000 heap fetches on a cache miss)."""
    for table in ("ledger_transfer", "ledger_monthlyrollup", "ledger_dirtybucket", "ledger_account"):
        conn.execute(f"VACUUM ANALYZE {table}")
    for _ in range(60):
        # INDEX_CLEANUP ON: with few dead rows (the ones bench.http.states deletes after a round's creates) VACUUM
        # otherwise skips the indexes and leaves their pages not all-visible.
        conn.execute("VACUUM (INDEX_CLEANUP ON, ANALYZE) ledger_transaction")
        pages, visible = conn.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'ledger_transaction'"
        ).fetchone()
        if visible >= pages:
            return
        time.sleep(0.5)
    log(f"warning: VACUUM left {pages - visible} of {pages} pages not all-visible: cache misses will read the heap")


def _analytics(conn: psycopg.Connection, main_id: uuid.UUID) -> tuple[tuple[str, str], str, str]:
    """The main user's last 12 months (the analytics cases), what monthlySummary answers for the first of them and
    categoryBreakdown for its largest (category, type): computed from the rows, not from the rollups the API reads."""
    start, end = conn.execute(
        "SELECT to_char(current_date - interval '11 months', 'YYYY-MM'), to_char(current_date, 'YYYY-MM')"
    ).fetchone()
    income, expense, count = conn.execute(
        "SELECT COALESCE(sum(amount_minor) FILTER (WHERE type = 'income'), 0)::bigint, "
        "COALESCE(sum(amount_minor) FILTER (WHERE type = 'expense'), 0)::bigint, count(*) "
        "FROM ledger_transaction WHERE user_id = %s AND to_char(date, 'YYYY-MM') = %s",
        [main_id, start],
    ).fetchone()
    first_month = (
        f'{{"month":"{start}","income":"{api_amount(income)}","expense":"{api_amount(expense)}",'
        f'"net":"{api_amount(income - expense)}","transactionCount":{count}}}'
    )
    total, count = conn.execute(
        "SELECT sum(amount_minor)::bigint, count(*) FROM ledger_transaction "
        "WHERE user_id = %s AND to_char(date, 'YYYY-MM') BETWEEN %s AND %s "
        "GROUP BY category_key, type ORDER BY 1 DESC LIMIT 1",
        [main_id, start, end],
    ).fetchone()
    return (start, end), first_month, f'"total":"{api_amount(total)}","transactionCount":{count}}}'


def _deep_cursor(conn: psycopg.Connection, main_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    """The cursor of row 99,900 in the API's order (date desc, id desc) and the id of the row after it."""
    rows = conn.execute(
        "SELECT date, id FROM ledger_transaction WHERE user_id = %s ORDER BY date DESC, id DESC OFFSET %s LIMIT 2",
        [main_id, MAIN_TRANSACTIONS - 101],
    ).fetchall()
    (day, row_id), (_, next_id) = rows
    return encode_cursor(day, row_id), next_id


def encode_cursor(day: datetime.date, row_id: uuid.UUID) -> str:
    """The same bytes as ledger.selectors.encode_position, the cursor of transactions and of register entries (checked
    against the API before the run)."""
    return base64.urlsafe_b64encode(f"{day.isoformat()}|{row_id.hex}".encode()).decode()


class _Register:
    """An account's register as the API orders it (ledger.selectors.entries: its transactions and both legs of its
    transfers, newest first by (date, id)), computed here independently of the API."""

    _ENTRIES = """
        SELECT id, date, amount, leg FROM (
            SELECT id, date, CASE WHEN type = 'income' THEN amount_minor ELSE -amount_minor END AS amount, '' AS leg
            FROM ledger_transaction WHERE account_id = %(account)s
            UNION ALL SELECT id, date, -amount_minor, ':out' FROM ledger_transfer WHERE from_account_id = %(account)s
            UNION ALL SELECT id, date, to_amount_minor, ':in' FROM ledger_transfer WHERE to_account_id = %(account)s
        ) AS entries
    """

    def __init__(self, conn: psycopg.Connection, account_id: uuid.UUID) -> None:
        self.conn, self.account_id = conn, account_id
        self.opening = conn.execute(
            "SELECT opening_balance_minor FROM ledger_account WHERE id = %s", [account_id]
        ).fetchone()[0]

    def _row(self, offset: int) -> tuple[uuid.UUID, datetime.date, int, str]:
        return self.conn.execute(
            f"{self._ENTRIES} ORDER BY date DESC, id DESC OFFSET %(offset)s LIMIT 1",
            {"account": self.account_id, "offset": offset},
        ).fetchone()

    def cursor(self, offset: int) -> str:
        """`after` for the page that starts after entry `offset` (0 = the newest)."""
        row_id, day, _, _ = self._row(offset)
        return encode_cursor(day, row_id)

    def entry(self, offset: int) -> str:
        """What the API answers for entry `offset`: its id (a transfer's with its leg) and the running balance."""
        row_id, day, _, leg = self._row(offset)
        through = self.conn.execute(
            f"SELECT sum(amount) FROM ({self._ENTRIES} WHERE (date, id) <= (%(day)s, %(row)s)) AS upto",
            {"account": self.account_id, "day": day, "row": row_id},
        ).fetchone()[0]
        return f'"id":"{row_id}{leg}","runningBalance":"{api_amount(self.opening + int(through))}"'

    def balance(self) -> str:
        total = self.conn.execute(
            f"SELECT sum(amount) FROM ({self._ENTRIES}) AS every_entry", {"account": self.account_id}
        ).fetchone()[0]
        return api_amount(self.opening + int(total or 0))
