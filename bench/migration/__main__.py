"""How long migration 0006 (ledger accounts) takes on PostgreSQL with 1,000,000 transactions.

`python -m bench.migration [--rows N] [--users N]`: starts a throwaway PostgreSQL, migrates to ledger 0005 (the
schema before accounts), generates the rows in PostgreSQL (INSERT ... SELECT generate_series), then times
`migrate ledger 0006` (every user's "Main" account, the account column filled and made NOT NULL, rollups moved) and
`migrate ledger 0007` (the new indexes, built CONCURRENTLY), and checks that every row landed in its user's account.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from devserver.servers import ThrowawayServers

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    args = parser.parse_args()
    servers = ThrowawayServers.in_new_directory("finance-bench-migration-")
    try:
        url = servers.start_postgres().url
        migrate(url, "0005_idempotency_fingerprint")
        with psycopg.connect(url, autocommit=True) as conn:
            seed(conn, users=args.users, rows=args.rows)
        for name in ("0006_accounts", "0007_account_indexes"):
            started = time.perf_counter()
            migrate(url, name)
            print(f"migrate ledger {name}: {time.perf_counter() - started:.1f} s for {args.rows:,} transactions")
        with psycopg.connect(url) as conn:
            (misplaced,) = conn.execute(
                "SELECT count(*) FROM ledger_transaction t JOIN ledger_account a ON a.id = t.account_id "
                "WHERE a.user_id <> t.user_id OR NOT a.is_default"
            ).fetchone()
            (accounts,) = conn.execute("SELECT count(*) FROM ledger_account").fetchone()
        print(f"accounts created: {accounts:,} (users: {args.users:,}); transactions outside their Main: {misplaced}")
        if misplaced or accounts != args.users:
            sys.exit(1)
    finally:
        servers.stop()


def migrate(url: str, target: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "ledger", target, "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )


def seed(conn: psycopg.Connection, *, users: int, rows: int) -> None:
    started = time.perf_counter()
    conn.execute(
        "INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined, token_version) "
        "SELECT gen_random_uuid(), '!', false, 'migration_user_' || n, '', '', 'migration_user_' || n || "
        "'@example.com', false, true, now(), 0 FROM generate_series(1, %s) n",
        [users],
    )
    conn.execute(
        "CREATE TEMPORARY TABLE bench_users AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM accounts_user"
    )
    conn.execute(
        "INSERT INTO ledger_transaction (id, user_id, amount_minor, type, description, category, category_key, date, "
        "created_at, updated_at) "
        "SELECT gen_random_uuid(), u.id, 1 + (g::bigint * 7919) %% 100000, "
        "CASE WHEN g %% 10 = 0 THEN 'income' ELSE 'expense' END, '', 'Other', 'other', "
        "DATE '2021-01-01' + (g %% 1800), now(), now() "
        "FROM generate_series(1, %s) g JOIN bench_users u ON u.n = 1 + g %% %s",
        [rows, users],
    )
    conn.execute("VACUUM ANALYZE ledger_transaction")
    print(f"seeded {rows:,} transactions for {users:,} users in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
