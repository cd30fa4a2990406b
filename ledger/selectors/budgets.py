"""Reads of budgets: the caller's budget rows, and the report of one month (budgeted, carried over, spent, available
per budgeted category), computed from rollups plus live dirty buckets like the analytics (ledger.analytics), so it
is exact whether or not the Go aggregator has run, and cached under the user's balance version."""

from collections import defaultdict
from dataclasses import dataclass

from accounts.models import User
from ledger import analytics
from ledger.balance_cache import cached_answer
from ledger.currencies import parse_currency
from ledger.models import Budget, TransactionType
from ledger.selectors.accounts import account_scope
from ledger.validation import add_months, months_apart, months_from, parse_ledger_month
from storage.connections import read_snapshot


@dataclass(frozen=True)
class BudgetLineFigures:
    """One budgeted category in one month, in the currency's minor units."""

    category: str  # the budget row's spelling
    budgeted_minor: int
    carried_over_minor: int  # signed: overspending carries too
    spent_minor: int

    @property
    def available_minor(self) -> int:
        return self.budgeted_minor + self.carried_over_minor - self.spent_minor


@dataclass(frozen=True)
class BudgetReportFigures:
    month: str
    currency: str
    lines: list[BudgetLineFigures]  # by category key
    unbudgeted_spent_minor: int  # expenses of the month in categories without a budget that month

    @property
    def total_budgeted_minor(self) -> int:
        return sum(line.budgeted_minor for line in self.lines)

    @property
    def total_spent_minor(self) -> int:
        """What the budgeted categories spent (unbudgeted_spent_minor is the rest of the month's expenses)."""
        return sum(line.spent_minor for line in self.lines)

    def encode(self) -> list:
        lines = [[line.category, line.budgeted_minor, line.carried_over_minor, line.spent_minor] for line in self.lines]
        return [self.month, self.currency, lines, self.unbudgeted_spent_minor]

    @classmethod
    def decode(cls, raw: list) -> "BudgetReportFigures":
        month, currency, lines, unbudgeted = raw
        return cls(month, currency, [BudgetLineFigures(*line) for line in lines], unbudgeted)


def budget_list(*, user: User) -> list[Budget]:
    """Every budget row of the user (each period of each history), by currency, category key and start month."""
    return list(Budget.objects.filter(user_id=user.pk).order_by("currency", "category_key", "start_month"))


def budget_report(
    *, user: User, month: object, currency: object = None, version: int | None = None
) -> BudgetReportFigures:
    """The report of `month` ("YYYY-MM", INVALID_MONTH otherwise) in `currency` (the default account's when None;
    INVALID_CURRENCY for a code that is not one), cached under the user's balance version (every write, budgets'
    included, bumps it; an aggregator run changes no answer). `version`: as read with the caller in this request."""
    month = parse_ledger_month(month, field="month")
    code = None if currency is None else parse_currency(currency)
    return cached_answer(
        user.pk,
        version,
        "budget_report",
        (month, code),
        lambda: compute_budget_report(user=user, month=month, currency=code),
        encode=BudgetReportFigures.encode,
        decode=BudgetReportFigures.decode,
    )


def compute_budget_report(*, user: User, month: str, currency: str | None = None) -> BudgetReportFigures:
    """From the database, O(months of the longest rollover chain) and never O(transactions): expense totals per
    (month, category key) of every account of the currency, from ledger.analytics.bucket_totals (rollups of clean
    months, live sums of dirty ones), read with the budget rows in one snapshot on PostgreSQL.

    A line per budget row covering `month`. With rollover, the chain is the consecutive months up to `month` covered
    by rollover rows of the category (its history, across amount changes); a month without a budget or with a
    non-rollover row starts it again. carried_over = sum over the chain's earlier months of (budgeted - spent)."""
    scope = account_scope(user=user, currency=currency)  # may create a default account: outside the read snapshot
    with read_snapshot():
        histories: dict[str, list[Budget]] = defaultdict(list)
        for row in Budget.objects.filter(user_id=user.pk, currency=scope.currency, start_month__lte=month):
            histories[row.category_key].append(row)
        chains: dict[str, list[Budget]] = {}  # key -> the rows of the chain ending at `month`, latest first
        for key, rows in histories.items():
            current = next((row for row in rows if row.end_month is None or row.end_month >= month), None)
            if current is not None:
                chains[key] = _chain(current, rows)
        first = min((chain[-1].start_month for chain in chains.values()), default=month)
        months = months_from(first, month)
        spent: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # month -> key -> expenses
        for bucket in analytics.bucket_totals(user=user, months=months, account_ids=scope.account_ids):
            if bucket.type == TransactionType.EXPENSE:
                spent[bucket.month][bucket.category] += bucket.total_minor
    lines = [_line(chains[key], month, spent) for key in sorted(chains)]
    unbudgeted = sum(total for key, total in spent[month].items() if key not in chains)
    return BudgetReportFigures(month, scope.currency, lines, unbudgeted)


def _chain(current: Budget, rows: list[Budget]) -> list[Budget]:
    """`current`, then while the chain carries, the row of the month before the earliest one (rows of one category
    never overlap, so that row ends exactly there). Only `current` when it does not roll over."""
    by_end = {row.end_month: row for row in rows if row.end_month is not None}
    chain = [current]
    while chain[-1].rollover:
        earlier = by_end.get(add_months(chain[-1].start_month, -1))
        if earlier is None or not earlier.rollover:
            break
        chain.append(earlier)
    return chain


def _line(chain: list[Budget], month: str, spent: dict[str, dict[str, int]]) -> BudgetLineFigures:
    current, key = chain[0], chain[0].category_key
    carried = 0
    if current.rollover:
        last_carried = add_months(month, -1)
        for row in chain:  # the months of each row before `month`, at its amount
            end = last_carried if row.end_month is None else min(row.end_month, last_carried)
            carried += row.amount_minor * (months_apart(row.start_month, end) + 1)
        start = chain[-1].start_month
        carried -= sum(by_key.get(key, 0) for m, by_key in spent.items() if start <= m < month)
    return BudgetLineFigures(current.category, current.amount_minor, carried, spent[month].get(key, 0))
