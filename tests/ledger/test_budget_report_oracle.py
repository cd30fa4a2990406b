"""Budget reports against an oracle written plainly from the raw history: random transactions over 30 months (category
spellings in several cases, two currencies over three ledger accounts, income, transfers, updates and deletes) and
random budget writes (amount changes mid-way, ranges inside rows, deletes leaving gaps, rollover on and off, a
rollover chain over 24+ months), compared month by month and currency by currency: with every month dirty (before
the aggregator), after the real Go aggregator's run (every month from its rollups), and with a mix (months written
again after the run, their stale rollups made absurd so that reading them would show)."""

import random
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from ledger.models import DirtyBucket, MonthlyRollup
from ledger.selectors import budget_list
from ledger.selectors.budgets import compute_budget_report
from ledger.services import (
    account_create,
    budget_delete,
    budget_set,
    ensure_default_account,
    transaction_create,
    transaction_delete,
    transaction_update,
    transfer_create,
)
from tests.conftest import make_user
from tests.e2e.test_aggregator import aggregator, finish
from tests.schema.test_account_entries import poison_dirty_months

MONTHS = [f"{year}-{month:02d}" for year in (2024, 2025, 2026) for month in range(1, 13)][:30]  # 2024-01..2026-06
AFTER = "2026-07"  # one month past the last transaction: open-ended budgets and their carry go on
SPELLINGS = ["Groceries", "groceries", " GROCERIES", "Rent", "rent", "Fun", "FUN ", "Straße", "STRASSE", "Books"]
CURRENCIES = ("USD", "EUR")


def key_of(category: str) -> str:
    return category.strip().casefold()


@dataclass
class Oracle:
    """What the ledger holds, kept from the operations issued: transactions by id, and per (category key, currency)
    the budget of each month (tag of the setBudget that gave it, amount, rollover, spelling)."""

    transactions: dict[str, dict] = field(default_factory=dict)  # id -> currency, type, category, month, amount
    budgets: dict[tuple[str, str], dict[str, tuple]] = field(default_factory=lambda: defaultdict(dict))
    open_ended: set[int] = field(default_factory=set)  # tags of setBudget calls without an end month
    tags: int = 0

    def set_budget(self, category: str, currency: str, amount: int, first: str, last: str | None, rollover: bool):
        self.tags += 1
        if last is None:
            self.open_ended.add(self.tags)
        months = self.budgets[(key_of(category), currency)]
        for month in MONTHS + [AFTER]:
            if first <= month and (last is None or month <= last):
                months[month] = (self.tags, amount, rollover, category.strip())

    def periods(self) -> list[tuple]:
        """The budget rows the history must have: runs of consecutive months given by one setBudget."""
        rows = []
        for (key, currency), months in self.budgets.items():
            run: list[str] = []
            for month in sorted(months) + [None]:
                if run and (month is None or months[month][0] != months[run[0]][0] or not _next(run[-1], month)):
                    tag, amount, rollover, spelling = months[run[0]]
                    end = None if run[-1] == AFTER and tag in self.open_ended else run[-1]
                    rows.append((currency, key, run[0], end, spelling, amount, rollover))
                    run = []
                if month is not None:
                    run.append(month)
        return sorted(rows)

    def reports(self) -> dict[tuple[str, str], tuple]:
        """(currency, month) -> (lines, unbudgeted): each line (spelling, budgeted, carried over, spent), by key."""
        spent: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for txn in self.transactions.values():
            if txn["type"] == "expense":
                spent[(txn["currency"], txn["month"])][key_of(txn["category"])] += txn["amount"]
        answers = {}
        for currency in CURRENCIES:
            carried: dict[str, int] = {}  # key -> carried into the month (of a chain still running)
            for month in MONTHS + [AFTER]:
                lines, budgeted = [], set()
                for (key, code), months in sorted(self.budgets.items()):
                    if code != currency:
                        continue
                    if month not in months:  # a month without a budget starts the chain again
                        carried.pop(key, None)
                        continue
                    _, amount, rollover, spelling = months[month]
                    carry = carried.get(key, 0) if rollover else 0
                    used = spent[(currency, month)].get(key, 0)
                    lines.append((spelling, amount, carry, used))
                    budgeted.add(key)
                    if rollover:
                        carried[key] = carry + amount - used
                    else:
                        carried.pop(key, None)
                unbudgeted = sum(total for key, total in spent[(currency, month)].items() if key not in budgeted)
                answers[(currency, month)] = (lines, unbudgeted)
        return answers

    def longest_chain(self) -> int:
        longest = 0
        for months in self.budgets.values():
            run = 0
            for month in MONTHS + [AFTER]:
                run = run + 1 if month in months and months[month][2] else 0
                longest = max(longest, run)
        return longest


def _next(month: str, later: str | None) -> bool:
    ordered = MONTHS + [AFTER]
    return later is not None and ordered.index(later) == ordered.index(month) + 1


class History:
    """Random writes through the services, each recorded in the oracle as it was asked for."""

    def __init__(self, user: User, seed: int) -> None:
        self.user, self.rng, self.oracle = user, random.Random(seed), Oracle()
        main = ensure_default_account(user=user)
        card = account_create(user=user, name="Card", kind="credit_card", currency="USD")
        euros = account_create(user=user, name="Euros", kind="checking", currency="EUR")
        self.accounts = {str(main.pk): "USD", str(card.pk): "USD", str(euros.pk): "EUR"}

    def day(self, months: list[str]) -> str:
        return f"{self.rng.choice(months)}-{self.rng.randint(1, 28):02d}"

    def create_transaction(self, months: list[str] = MONTHS) -> None:
        account = self.rng.choice(list(self.accounts))
        kind = "income" if self.rng.random() < 0.15 else "expense"
        category, day, amount = self.rng.choice(SPELLINGS), self.day(months), self.rng.randint(1, 40_000)
        txn = transaction_create(
            user=self.user, amount=_shown(amount), type=kind, category=category, date=day, account_id=account
        )
        self.oracle.transactions[str(txn.pk)] = {
            "currency": self.accounts[account],
            "type": kind,
            "category": category,
            "month": day[:7],
            "amount": amount,
        }

    def update_transaction(self, months: list[str] = MONTHS) -> None:
        txn_id = self.rng.choice(list(self.oracle.transactions))
        txn, changes = self.oracle.transactions[txn_id], {}
        for name in self.rng.sample(["amount", "type", "category", "date"], self.rng.randint(1, 3)):
            if name == "amount":
                txn["amount"] = self.rng.randint(1, 40_000)
                changes["amount"] = _shown(txn["amount"])
            elif name == "type":
                txn["type"] = changes["type"] = "income" if txn["type"] == "expense" else "expense"
            elif name == "category":
                txn["category"] = changes["category"] = self.rng.choice(SPELLINGS)
            else:
                changes["date"] = self.day(months)
                txn["month"] = changes["date"][:7]
        transaction_update(user=self.user, transaction_id=txn_id, **changes)

    def delete_transaction(self) -> None:
        txn_id = self.rng.choice(list(self.oracle.transactions))
        del self.oracle.transactions[txn_id]
        transaction_delete(user=self.user, transaction_id=txn_id)

    def create_transfer(self) -> None:
        source, target = self.rng.sample(list(self.accounts), 2)
        amount = _shown(self.rng.randint(1, 90_000))
        cross = self.accounts[source] != self.accounts[target]
        transfer_create(
            user=self.user,
            from_account_id=source,
            to_account_id=target,
            amount=amount,
            to_amount=_shown(self.rng.randint(1, 90_000)) if cross else None,
            date=self.day(MONTHS),
        )

    def set_budget(self, category: str, currency: str, first: str, last: str | None, rollover: bool) -> None:
        amount = self.rng.randint(0, 30_000)
        budget_set(
            user=self.user,
            category=category,
            amount=_shown(amount),
            currency=currency,
            from_month=first,
            end_month=last,
            rollover=rollover,
        )
        self.oracle.set_budget(category, currency, amount, first, last, rollover)

    def random_budget(self) -> None:
        first = self.rng.choice(MONTHS)
        later = [month for month in MONTHS if month >= first]
        last = None if self.rng.random() < 0.4 else self.rng.choice(later)
        currency = self.rng.choice(CURRENCIES)
        self.set_budget(self.rng.choice(SPELLINGS), currency, first, last, self.rng.random() < 0.7)

    def delete_budget_period(self) -> None:
        """Delete a random row (one run of the oracle), found in the database by its start month."""
        currency, key, start, *_ = self.rng.choice(self.oracle.periods())
        row = next(
            b
            for b in budget_list(user=self.user)
            if (b.currency, b.category_key, b.start_month) == (currency, key, start)
        )
        months = self.oracle.budgets[(key, currency)]
        tag = months[start][0]
        for month in [m for m in MONTHS + [AFTER] if m >= start]:
            if months.get(month, (None,))[0] != tag:
                break
            del months[month]
        budget_delete(user=self.user, budget_id=row.pk)

    def run(self) -> None:
        # A rollover chain over the whole window, changing its amount mid-way (the chain goes on), and one in EUR
        # with a gap and a row without rollover in it.
        self.set_budget("Groceries", "USD", MONTHS[0], None, True)
        self.set_budget("GROCERIES", "USD", "2025-03", None, True)
        self.set_budget("Rent", "EUR", MONTHS[2], None, True)
        self.set_budget("rent", "EUR", "2024-10", "2024-11", False)
        for _ in range(420):
            self.create_transaction()
        for _ in range(40):
            self.create_transfer()
        for _ in range(60):
            self.update_transaction()
        for _ in range(30):
            self.delete_transaction()
        for _ in range(14):
            self.random_budget()
        for _ in range(3):
            self.delete_budget_period()
        # Ranges inside the long chain: a split (rollover both sides, the middle without it), and a change of amount
        # that keeps rolling over.
        self.set_budget("Fun", "USD", "2024-04", None, True)
        self.set_budget("fun", "USD", "2025-01", "2025-02", False)
        self.set_budget("Groceries ", "USD", "2025-09", "2025-12", True)


def _shown(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def check_reports(user: User, oracle: Oracle) -> None:
    assert [
        (b.currency, b.category_key, b.start_month, b.end_month, b.category, b.amount_minor, b.rollover)
        for b in budget_list(user=user)
    ] == oracle.periods()
    expected = oracle.reports()
    for (currency, month), (want_lines, want_unbudgeted) in expected.items():
        report = compute_budget_report(user=user, month=month, currency=currency)
        lines = [
            (line.category, line.budgeted_minor, line.carried_over_minor, line.spent_minor) for line in report.lines
        ]
        assert (report.month, report.currency) == (month, currency)
        assert (lines, report.unbudgeted_spent_minor) == (want_lines, want_unbudgeted), (currency, month)
        assert report.total_spent_minor == sum(line[3] for line in want_lines)
        assert report.total_budgeted_minor == sum(line[1] for line in want_lines)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)  # the Go binary reads what the test committed
@pytest.mark.parametrize("seed", [13, 2026])
def test_budget_reports_match_the_oracle_dirty_from_rollups_and_mixed(seed: int) -> None:
    user = make_user("budgeter")
    history = History(user, seed)
    history.run()
    oracle = history.oracle
    assert oracle.longest_chain() >= 24
    assert len(oracle.transactions) >= 350 and len({t["month"] for t in oracle.transactions.values()}) == len(MONTHS)
    assert any(not rollover for *_, rollover in oracle.periods())
    # Every month dirty: nothing comes from rollups.
    assert not MonthlyRollup.objects.exists()
    check_reports(user, oracle)

    # The real aggregator: every month clean, every total from its rollups.
    summary = finish(aggregator("--once"))
    assert summary["buckets_updated"] > 0
    assert not DirtyBucket.objects.exists()
    assert MonthlyRollup.objects.filter(user=user).exists()
    check_reports(user, oracle)
    # A clean ledger costs no read of its transactions, and as many statements with a rollover chain of 30 months
    # as without one.
    statements = []
    for month in (AFTER, MONTHS[0]):
        with CaptureQueriesContext(connection) as captured:
            compute_budget_report(user=user, month=month, currency="USD")
        assert not any("ledger_transaction" in query["sql"] for query in captured.captured_queries)
        statements.append(len(captured))
    assert statements[0] == statements[1]

    # A mix: writes after the run make some months dirty again, over rollups that are now stale (and made absurd).
    rewritten = ["2024-07", "2025-06", "2026-02"]
    for _ in range(12):
        history.create_transaction(rewritten)
    for _ in range(8):
        history.update_transaction(rewritten)
    dirty = set(DirtyBucket.objects.filter(user=user).values_list("month", flat=True))
    assert set(rewritten) <= dirty and len(dirty) < len(MONTHS) // 2
    assert poison_dirty_months(user) > 0
    check_reports(user, oracle)

    # And clean again after an incremental run.
    finish(aggregator("--once"))
    assert not DirtyBucket.objects.exists()
    check_reports(user, oracle)
