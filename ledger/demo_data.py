"""Demo data: users with years of realistic transactions, loaded fast, with the ledger's invariants kept.

Each demo user gets a salary (with a raise every January), rent, utilities (heating high in winter, low in
summer), subscriptions, weekly groceries, summer travel, December gifts, the odd freelance job or tax refund, and
everyday spending (coffee, dining, transport, shopping...) filling up to the requested count. Amounts are integer
cents drawn from integer ranges: no float touches money here either. The same seed gives the same data.

Each user's transactions are spread over a few ledger accounts in two currencies, with transfers between them
(ledger.demo_ledger: a checking "Main", savings, a credit card, travel cash in EUR). Each also gets a few budgets and
recurring rules (ledger.demo_plans), written through the services as a client would: the rules take the rent and the
salary over from last month on, and the Go aggregator records what fell due since (catch-up).

Loading: PostgreSQL gets the transactions through COPY, SQLite through executemany, accounts and transfers through
bulk_create, all in one database transaction that also sets each user's balance version and volume, marks each
affected (user, month) dirty and appends a change row per account, transaction and transfer (ledger.changes: a
client syncing a demo user sees everything), exactly as every API write does, so the cached figures (balances,
account balances, net worth), the analytics and the running balances are exact from the first request.
"""

import calendar
import datetime
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.models import User
from ledger import balance_cache, clock
from ledger.bulk_insert import insert_transactions
from ledger.changes import change_of, inserted_transaction_changes, record_changes
from ledger.currencies import currency_digits, default_currency
from ledger.demo_ledger import DemoLedger, demo_ledger
from ledger.demo_plans import DemoBudget, DemoRule, demo_budgets, demo_rules, taken_over
from ledger.models import (
    Account,
    BalanceVersion,
    ChangeOperation,
    Transaction,
    TransactionType,
    Transfer,
    account_name_key,
)
from ledger.money import format_amount, from_minor
from ledger.services import budget_set, mark_buckets_dirty, recurring_rule_create

DEMO_PASSWORD = "demo-password-123"
DEMO_USERNAME_PREFIX = "demo"
# Months of history when not given: about 150 transactions a month (five a day) is what a real person has, so more
# transactions mean a longer history rather than a person buying forty coffees a day.
TRANSACTIONS_PER_MONTH = 150
MIN_MONTHS, MAX_MONTHS = 12, 240

INCOME, EXPENSE = TransactionType.INCOME.value, TransactionType.EXPENSE.value

# (date, amount_minor, type, category, description)
DemoRow = tuple[datetime.date, int, str, str, str]

_EMPLOYERS = ("Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Industries", "Wayne Enterprises")
# category -> (weight, low cents, high cents, descriptions): everyday spending, drawn to fill the count.
_EVERYDAY: dict[str, tuple[int, int, int, tuple[str, ...]]] = {
    "Coffee": (22, 250, 650, ("Corner Cafe", "Blue Bottle", "Station espresso", "Bakery latte")),
    "Dining": (16, 1200, 6500, ("Trattoria Roma", "Sushi bar", "Burger joint", "Thai kitchen", "Pizza night")),
    "Transport": (16, 250, 4500, ("Metro ticket", "Bus pass top-up", "Taxi", "Fuel station", "Bike share")),
    "Groceries": (14, 300, 3500, ("Corner shop", "Bakery", "Farmers market", "Late-night store")),
    "Shopping": (10, 900, 12000, ("Bookshop", "Clothing store", "Electronics", "Home goods", "Online order")),
    "Entertainment": (8, 800, 4500, ("Cinema", "Concert tickets", "Museum", "Bowling", "Game store")),
    "Health": (6, 500, 6000, ("Pharmacy", "Dentist co-pay", "Optician", "Physio session")),
    "Personal care": (5, 1000, 5500, ("Hairdresser", "Barber", "Cosmetics")),
    "Other": (3, 200, 3000, ("Post office", "Charity donation", "Parking", "Laundry")),
}
_EVERYDAY_NAMES = tuple(_EVERYDAY)
_EVERYDAY_WEIGHTS = tuple(weight for weight, *_ in _EVERYDAY.values())
_TRAVEL = ("Flights", "Hotel", "Car rental", "Holiday apartment", "Train tickets")
_GIFTS = ("Toy store", "Bookshop gift", "Jewellery", "Gift cards", "Wine shop", "Department store")


@dataclass
class SeedResult:
    usernames: list[str]
    rows: int
    accounts: int
    transfers: int
    budgets: int
    rules: int


class DemoUsersExist(Exception):
    def __init__(self, usernames: list[str]) -> None:
        super().__init__(f"demo users already exist: {', '.join(usernames)}")
        self.usernames = usernames


def demo_usernames(count: int) -> list[str]:
    return [f"{DEMO_USERNAME_PREFIX}{number}" for number in range(1, count + 1)]


def history_months(transactions: int) -> int:
    return max(MIN_MONTHS, min(MAX_MONTHS, -(-transactions // TRANSACTIONS_PER_MONTH)))


def demo_transactions(
    *, rng: random.Random, count: int, today: datetime.date, months: int
) -> tuple[list[DemoRow], list[DemoRule]]:
    """`count` rows for one person over the `months` months up to `today` (the most recent ones when the
    recurring items alone exceed `count`), oldest first, and the recurring rules that take over the rent and the
    salary (their rows stop where the rules start)."""
    first_month = _add_months(today.replace(day=1), -(months - 1))
    salary = rng.randrange(280_000, 750_000, 500)
    series = list(_recurring_rows(rng, first_month, months, salary))
    rules = demo_rules(series=series, today=today)
    rows = [row for row in series if row[0] <= today and not taken_over(row, today)]
    if len(rows) >= count:
        rows.sort(key=lambda row: row[0])
        return rows[len(rows) - count :], rules
    rows.extend(_everyday_rows(rng, count - len(rows), first_month, today, salary))
    rows.sort(key=lambda row: row[0])
    return rows, rules


def seed_demo(
    *,
    users: int,
    transactions: int,
    reset: bool = False,
    months: int | None = None,
    seed: int = 2026,
    on_rows: Callable[[int], object] | None = None,
) -> SeedResult:
    """Create `users` demo users (demo1, demo2, ...; password DEMO_PASSWORD) with `transactions` rows each, spread
    over a few ledger accounts with transfers between them (ledger.demo_ledger), and a few budgets and recurring
    rules each (ledger.demo_plans).

    Refuses with DemoUsersExist when any of those users exists, unless `reset`, which deletes them (and all their
    data) first. `months` of history default to history_months(transactions). `on_rows(n)` is called as rows are
    written (progress bars).
    """
    months = months or history_months(transactions)
    usernames = demo_usernames(users)
    existing = dict(User.objects.with_usernames(usernames).values_list("pk", "username"))
    if existing:
        if not reset:
            raise DemoUsersExist(sorted(existing.values()))
        with transaction.atomic():
            # Entries first, one statement each: left to the user's cascade, their accounts' RESTRICT foreign keys
            # make Django's collector load every transaction to check it (measured on SQLite: 5 x 20,000 rows took
            # 52 s that way, 4 s this way).
            Transaction.objects.filter(user_id__in=existing).delete()
            Transfer.objects.filter(user_id__in=existing).delete()
            # Cascades to their accounts, rules, budgets, rollups, tokens.
            User.objects.filter(pk__in=existing).delete()
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: the slow part of creating a user
    today = clock.today()  # LEDGER_TODAY when set, as the API and the aggregator read it
    currency = default_currency()
    result = SeedResult(usernames=usernames, rows=0, accounts=0, transfers=0, budgets=0, rules=0)  # added per user
    with _no_tidy_up_warnings(), transaction.atomic():
        if connection.vendor == "postgresql":
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at commit, PostgreSQL would queue a
            # trigger event per copied row first. Checking each row as it arrives is faster; restored below.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        people = User.objects.bulk_create(
            [User(username=name, email=f"{name}@example.com", password=password_hash) for name in usernames]
        )
        # What bump_balance_version does for a write, for users who are new: version 1 names a cache key nobody has
        # filled, and there is no older key to tidy away in Redis (so seeding needs no Redis at all).
        BalanceVersion.objects.bulk_create([BalanceVersion(user=person, version=1) for person in people])
        for index, person in enumerate(people):
            rng = random.Random(seed * 1000 + index)
            rows, rules = demo_transactions(rng=rng, count=transactions, today=today, months=months)
            ledger = demo_ledger(rng=rng, rows=rows, currency=currency, today=today)
            accounts = _write_ledger(person, ledger, on_rows=on_rows)
            # The volume the services would have added up writing the same accounts, transactions and transfers.
            BalanceVersion.objects.filter(user=person).update(volume_minor=ledger.volume_minor)
            mark_buckets_dirty(person.pk, ledger.days())
            budgets = demo_budgets(rows=rows, today=today)
            _write_plans(person, accounts, budgets, rules)
            result.rows += len(rows)
            result.accounts += len(ledger.accounts)
            result.transfers += len(ledger.transfers)
            result.budgets += len(budgets)
            result.rules += len(rules)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh planner statistics for the new volume.
            cursor.execute("ANALYZE ledger_account, ledger_transaction, ledger_transfer")
    return result


@contextmanager
def _no_tidy_up_warnings() -> Iterator[None]:
    """Each service call also drops the user's superseded cache key from Redis after the commit (tidy-up only). These
    users are new, so there is no such key; and `make demo` runs beside `make run`, whose embedded Redis is on a port
    of its own, where each of those drops would log a warning that Redis is unreachable."""
    cache_logger = logging.getLogger(balance_cache.__name__)
    level = cache_logger.level
    cache_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        cache_logger.setLevel(level)


def _write_ledger(person: User, ledger: DemoLedger, *, on_rows: Callable[[int], object] | None) -> dict[str, Account]:
    """One user's accounts, transactions (the bulk path, per account) and transfers; returns the accounts by key."""
    accounts = {
        account.key: Account(
            user=person,
            name=account.name,
            name_key=account_name_key(account.name),  # bulk_create skips Account.save(), which sets it
            kind=account.kind,
            currency=account.currency,
            opening_balance_minor=account.opening_minor,
            is_default=account.is_default,
        )
        for account in ledger.accounts
    }
    Account.objects.bulk_create(accounts.values())
    changes = [change_of(account, ChangeOperation.CREATED) for account in accounts.values()]
    for key, rows in ledger.rows.items():
        if rows:
            new_rows = [(*row, None) for row in rows]
            inserted = insert_transactions(person.pk, new_rows, account_id=accounts[key].pk, on_rows=on_rows)
            changes += inserted_transaction_changes(accounts[key], new_rows, inserted)
    transfers = Transfer.objects.bulk_create(
        [
            Transfer(
                user=person,
                from_account=accounts[transfer.from_key],
                to_account=accounts[transfer.to_key],
                amount_minor=transfer.amount_minor,
                to_amount_minor=transfer.to_amount_minor,
                date=transfer.date,
                description=transfer.description,
            )
            for transfer in ledger.transfers
        ],
        batch_size=1_000,
    )
    record_changes(person.pk, [*changes, *(change_of(transfer, ChangeOperation.CREATED) for transfer in transfers)])
    return accounts


def _write_plans(person: User, accounts: dict[str, Account], budgets: list[DemoBudget], rules: list[DemoRule]) -> None:
    """Budgets (in the default account's currency) and rules through the services, as a client would create them:
    a handful per user, so the bulk path's speed is not needed, and the services' rules hold."""
    default = next(account for account in accounts.values() if account.is_default)
    for budget in budgets:
        budget_set(
            user=person,
            category=budget.category,
            amount=_amount(budget.amount_minor, default.currency),
            from_month=budget.from_month,
            rollover=budget.rollover,
        )
    for rule in rules:
        account = accounts[rule.account_key]
        recurring_rule_create(
            user=person,
            account_id=account.pk,
            amount=_amount(rule.amount_minor, account.currency),
            type=rule.type,
            frequency=rule.frequency,
            start_date=rule.start_date,
            category=rule.category,
            description=rule.description,
        )


def _amount(minor: int, currency: str) -> str:
    """Minor units as the services take amounts: "1234.50" USD, "1200" JPY."""
    digits = currency_digits(currency)
    return format_amount(from_minor(minor, digits), digits)


def _recurring_rows(rng: random.Random, first_month: datetime.date, months: int, salary: int) -> Iterator[DemoRow]:
    rent = salary * rng.randint(25, 35) // 100 // 500 * 500
    employer = rng.choice(_EMPLOYERS)
    for offset in range(months):
        month = _add_months(first_month, offset)
        year, number = month.year, month.month
        if number == 1 and offset:
            salary = salary * 103 // 100  # a yearly raise
        winter, summer = number in (11, 12, 1, 2, 3), number in (6, 7, 8)
        yield (_payday(year, number), salary, INCOME, "Salary", f"{employer} payroll")
        yield (month, rent, EXPENSE, "Rent", f"Rent {calendar.month_name[number]}")
        yield (month.replace(day=5), rng.randint(4500, 9000), EXPENSE, "Utilities", "Electricity")
        heating = rng.randint(9000, 18000) if winter else rng.randint(1500, 3500)
        yield (month.replace(day=6), heating, EXPENSE, "Utilities", "Heating (gas)")
        yield (month.replace(day=8), 3999, EXPENSE, "Utilities", "Internet")
        yield (month.replace(day=9), 2500, EXPENSE, "Utilities", "Mobile phone")
        yield (month.replace(day=12), 1299, EXPENSE, "Subscriptions", "Video streaming")
        yield (month.replace(day=14), 999, EXPENSE, "Subscriptions", "Music streaming")
        yield (month.replace(day=3), 3500, EXPENSE, "Health", "Gym membership")
        if number in (3, 6, 9, 12):
            yield (month.replace(day=20), rng.randint(6000, 9000), EXPENSE, "Utilities", "Water (quarterly)")
        for day in _weekly(year, number, rng.randint(0, 1) + 5):  # Saturdays or Sundays
            yield (day, rng.randint(5500, 14000), EXPENSE, "Groceries", "Weekly groceries")
        if summer:
            for _ in range(rng.randint(1, 3)):
                yield (
                    _random_day(rng, year, number),
                    rng.randint(15000, 90000),
                    EXPENSE,
                    "Travel",
                    rng.choice(_TRAVEL),
                )
        if number == 12:
            for _ in range(rng.randint(4, 9)):
                day = month.replace(day=rng.randint(1, 24))
                yield (day, rng.randint(1500, 15000), EXPENSE, "Gifts", rng.choice(_GIFTS))
            yield (month.replace(day=15), salary // 2, INCOME, "Salary", f"{employer} year-end bonus")
        if number == 4 and rng.random() < 0.7:
            yield (
                month.replace(day=rng.randint(10, 28)),
                rng.randint(20000, 120000),
                INCOME,
                "Tax refund",
                "Tax refund",
            )
        if rng.random() < 0.25:
            yield (_random_day(rng, year, number), rng.randint(20000, 150000), INCOME, "Freelance", "Freelance invoice")


def _everyday_rows(
    rng: random.Random, count: int, first: datetime.date, last: datetime.date, salary: int
) -> list[DemoRow]:
    # Everyday spending aims at about a third of the salary per month, whatever the count: each draw from its
    # category's range is scaled by `scale` (integer percent, 30 at least so a coffee still costs something), so
    # more rows means smaller purchases rather than a person spending ten times their income.
    days = (last - first).days + 1
    months = max(1, days * 12 // 365)
    per_month = max(1, count // months)
    average = sum(weight * (low + high) // 2 for weight, low, high, _ in _EVERYDAY.values()) // sum(_EVERYDAY_WEIGHTS)
    scale = max(30, min(100, (salary // 3) * 100 // (per_month * average)))
    categories = rng.choices(_EVERYDAY_NAMES, weights=_EVERYDAY_WEIGHTS, k=count)
    rows = []
    for category in categories:
        _, low, high, descriptions = _EVERYDAY[category]
        day = first + datetime.timedelta(days=rng.randrange(days))
        amount = max(100, rng.randint(low, high) * scale // 100)
        rows.append((day, amount, EXPENSE, category, rng.choice(descriptions)))
    return rows


def _add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def _payday(year: int, month: int) -> datetime.date:
    day = datetime.date(year, month, 25)
    while day.weekday() >= 5:  # paid on the Friday before a weekend
        day -= datetime.timedelta(days=1)
    return day


def _weekly(year: int, month: int, weekday: int) -> Iterator[datetime.date]:
    day = datetime.date(year, month, 1)
    day += datetime.timedelta(days=(weekday - day.weekday()) % 7)
    while day.month == month:
        yield day
        day += datetime.timedelta(days=7)


def _random_day(rng: random.Random, year: int, month: int) -> datetime.date:
    return datetime.date(year, month, rng.randint(1, calendar.monthrange(year, month)[1]))
