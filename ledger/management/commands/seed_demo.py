"""`manage.py seed_demo --users N --transactions M`: demo users with realistic data (see ledger.demo_data)."""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ledger.demo_data import DEMO_PASSWORD, MAX_MONTHS, DemoUsersExist, seed_demo
from ledger.management.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Create demo users demo1..demoN, each with M realistic transactions up to today (salary, rent, "
        "utilities, weekly groceries, summer travel, December gifts, everyday spending) in four ledger accounts "
        "(Main, Savings, Credit card, Travel in EUR) with transfers between them, budgets (Groceries, Transport, "
        "Dining with rollover) and recurring rules (rent, salary, a weekly gym, a yearly insurance; started last "
        "month, for the aggregator to catch up). Refuses when they exist unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=5, help="how many demo users (default 5)")
        parser.add_argument("--transactions", type=int, default=20_000, help="transactions per user (default 20000)")
        parser.add_argument(
            "--months", type=int, default=None, help="months of history (default: about 150 transactions a month)"
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed: the same seed, the same data")
        parser.add_argument("--reset", action="store_true", help="delete existing demo users and their data first")

    def handle(
        self,
        *args: object,
        users: int,
        transactions: int,
        months: int | None,
        seed: int,
        reset: bool,
        **options: object,
    ) -> None:
        if users < 1 or transactions < 0 or (months is not None and not 1 <= months <= MAX_MONTHS):
            raise CommandError(f"--users must be at least 1, --transactions at least 0, --months 1 to {MAX_MONTHS}")
        started = time.perf_counter()
        with progress_bar(total=users * transactions, unit="rows", desc="seed") as bar:
            try:
                result = seed_demo(
                    users=users, transactions=transactions, months=months, seed=seed, reset=reset, on_rows=bar.update
                )
            except DemoUsersExist as error:
                raise CommandError(
                    f"{error}; run again with --reset to replace them (`make demo DEMO_ARGS=--reset`)"
                ) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"seeded {result.rows} transactions and {result.transfers} transfers in {result.accounts} accounts, "
            f"{result.budgets} budgets and {result.rules} recurring rules for {len(result.usernames)} users in "
            f"{elapsed:.1f} s ({result.rows / max(elapsed, 1e-9):,.0f} rows/s)"
        )
        self.stdout.write("the aggregator (`make run`) records the rules' occurrences due since they started")
        self.stdout.write(f"log in as {', '.join(result.usernames)} with password {DEMO_PASSWORD}")
