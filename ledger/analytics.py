"""Reads of the monthly rollups written by the Go aggregator, exact whether or not it has run.

Clean buckets come from `ledger_monthlyrollup`; buckets still listed in `ledger_dirtybucket` are aggregated live
from the transactions. The dirty set is read first: a bucket that is clean at that moment has rollups at least that
fresh, and one that is dirty is computed from the rows themselves. On PostgreSQL the reads also share one snapshot
(storage.connections.read_snapshot): without it, a write that moves a transaction from a clean month into one
already dirty, committed between the reads, would be counted twice (in the clean month's rollup and in the dirty
month's rows).
"""

import dataclasses
from collections import defaultdict
from dataclasses import dataclass

from django.db import OperationalError
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth

from accounts.models import User
from ledger import error_codes
from ledger.balance_cache import cached_answer
from ledger.categories import category_key, names_for
from ledger.models import DirtyBucket, MonthlyRollup, Transaction, TransactionType

# The modules, not the package: ledger.selectors.budgets reads bucket_totals, so the package imports this module.
from ledger.selectors.accounts import AccountScope, account_scope
from ledger.selectors.figures import is_sum_overflow
from ledger.validation import invalid, month_bounds, month_of, months_apart, months_from, parse_month
from storage.connections import read_snapshot

MAX_MONTHS = 120


@dataclass(frozen=True)
class BucketTotal:
    month: str
    category: str  # the key (ledger.categories)
    type: str
    total_minor: int
    count: int
    spelling: str  # a spelling of the key found in the data


@dataclass(frozen=True)
class MonthFigures:
    month: str
    income_minor: int
    expense_minor: int
    transaction_count: int


@dataclass(frozen=True)
class CategoryFigures:
    category: str
    type: str
    total_minor: int
    transaction_count: int


def month_range(start: object, end: object) -> list[str]:
    """Every "YYYY-MM" from start to end inclusive; refuses reversed ranges and ranges over 120 months."""
    first = "{:04d}-{:02d}".format(*parse_month(start, field="from"))
    last = "{:04d}-{:02d}".format(*parse_month(end, field="to"))
    span = months_apart(first, last) + 1
    if span < 1:
        raise invalid("to", "`to` must not be before `from`.", error_codes.INVALID_MONTH_RANGE)
    if span > MAX_MONTHS:
        raise invalid(
            "to", f"At most {MAX_MONTHS} months at a time (asked for {span}).", error_codes.INVALID_MONTH_RANGE
        )
    return months_from(first, last)


def bucket_totals(*, user: User, months: list[str], account_ids: list[object]) -> list[BucketTotal]:
    """Income and expense totals per (month, category key, type) of the given ledger accounts over the months:
    rollups where clean, live sums where dirty. Transfers never count."""
    with read_snapshot():
        return _bucket_totals(user, months, account_ids)


def _bucket_totals(user: User, months: list[str], account_ids: list[object]) -> list[BucketTotal]:
    dirty = set(
        DirtyBucket.objects.filter(user_id=user.pk, month__gte=months[0], month__lte=months[-1]).values_list(
            "month", flat=True
        )
    )
    # category_key() again: rollups written before keys existed hold a spelling until the next --full rebuild.
    # Tuples, not model instances: a year of one account is ~100 rows, whose instances cost as much as the query.
    rollups = MonthlyRollup.objects.filter(
        user_id=user.pk,
        month__gte=months[0],
        month__lte=months[-1],
        account_id__in=account_ids,
        type__in=_INCOME_AND_EXPENSE,
    ).values_list("month", "category", "type", "total_minor", "transaction_count")
    clean = [
        BucketTotal(month, category_key(category), kind, total, count, category)
        for month, category, kind, total, count in rollups
        if month not in dirty
    ]
    return clean + _live_totals(user, sorted(dirty), account_ids)


_INCOME_AND_EXPENSE = (TransactionType.INCOME.value, TransactionType.EXPENSE.value)


def monthly_summary(*, user: User, start: object, end: object, scope: AccountScope | None = None) -> list[MonthFigures]:
    """Income, expense and count per month of the accounts in `scope` (one currency; the default account's currency
    when None)."""
    months = month_range(start, end)
    scope = scope or account_scope(user=user)
    per_month: dict[str, list[int]] = {month: [0, 0, 0] for month in months}
    for bucket in bucket_totals(user=user, months=months, account_ids=scope.account_ids):
        figures = per_month[bucket.month]
        figures[0 if bucket.type == TransactionType.INCOME else 1] += bucket.total_minor
        figures[2] += bucket.count
    return [MonthFigures(month, *per_month[month]) for month in months]


def category_breakdown(
    *, user: User, start: object, end: object, type: str | None, scope: AccountScope | None = None
) -> list[CategoryFigures]:
    """Totals per (category, type) of the accounts in `scope` over the months, largest total first. Spellings of one
    category count as one (ledger.categories), shown as the user's most recent spelling."""
    months = month_range(start, end)
    scope = scope or account_scope(user=user)
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    spellings: dict[str, str] = {}
    for bucket in bucket_totals(user=user, months=months, account_ids=scope.account_ids):
        if type is None or bucket.type == type:
            entry = sums[(bucket.category, bucket.type)]
            entry[0] += bucket.total_minor
            entry[1] += bucket.count
            spellings.setdefault(bucket.category, bucket.spelling)
    names = names_for(user.pk, spellings)
    rows = [CategoryFigures(names[key], kind, total, count) for (key, kind), (total, count) in sums.items()]
    return sorted(rows, key=lambda row: (-row.total_minor, row.category, row.type))


def monthly_summary_cached(
    *, user: User, version: int | None, start: object, end: object, currency: object, account_id: object
) -> tuple[str, list[MonthFigures]]:
    """(currency, monthly_summary) for the arguments as given, cached under the user's balance version
    (ledger.balance_cache.cached_answer: never stale, whatever the aggregator did)."""

    def compute() -> tuple[str, list[MonthFigures]]:
        scope = account_scope(user=user, currency=currency, account_id=account_id)
        return scope.currency, monthly_summary(user=user, start=start, end=end, scope=scope)

    return cached_answer(
        user.pk,
        version,
        "monthly_summary",
        _as_key(start, end, currency, account_id),
        compute,
        encode=lambda answer: [answer[0], [dataclasses.astuple(row) for row in answer[1]]],
        decode=lambda raw: (raw[0], [MonthFigures(*row) for row in raw[1]]),
    )


def category_breakdown_cached(
    *,
    user: User,
    version: int | None,
    start: object,
    end: object,
    type: str | None,
    currency: object,
    account_id: object,
) -> tuple[str, list[CategoryFigures]]:
    """(currency, category_breakdown), cached like monthly_summary_cached."""

    def compute() -> tuple[str, list[CategoryFigures]]:
        scope = account_scope(user=user, currency=currency, account_id=account_id)
        return scope.currency, category_breakdown(user=user, start=start, end=end, type=type, scope=scope)

    return cached_answer(
        user.pk,
        version,
        "category_breakdown",
        _as_key(start, end, type, currency, account_id),
        compute,
        encode=lambda answer: [answer[0], [dataclasses.astuple(row) for row in answer[1]]],
        decode=lambda raw: (raw[0], [CategoryFigures(*row) for row in raw[1]]),
    )


def _as_key(*arguments: object) -> tuple:
    # GraphQL gives strings or None; anything else (a number literal the parsers refuse) by its text.
    return tuple(value if value is None or isinstance(value, str) else repr(value) for value in arguments)


def _live_totals(user: User, months: list[str], account_ids: list[object]) -> list[BucketTotal]:
    if not months or not account_ids:
        return []
    within = Q()
    for month in months:
        first, last = month_bounds(*parse_month(month, field="month"))
        within |= Q(date__gte=first, date__lte=last)
    rows = (
        Transaction.objects.owned_by(user)
        .filter(within, account_id__in=account_ids)
        .annotate(bucket=TruncMonth("date"))
        .order_by()
        .values("bucket", "category_key", "type")
        .annotate(total=Sum("amount_minor"), count=Count("amount_minor"), spelling=Max("category"))
    )
    try:
        return [
            BucketTotal(
                month_of(row["bucket"]), row["category_key"], row["type"], row["total"], row["count"], row["spelling"]
            )
            for row in rows
        ]
    except OperationalError as error:
        if not is_sum_overflow(error):
            raise
    sums: dict[tuple[str, str, str], list] = {}
    stored = Transaction.objects.owned_by(user).filter(within, account_id__in=account_ids)
    for day, key, spelling, kind, amount in stored.values_list(
        "date", "category_key", "category", "type", "amount_minor"
    ).iterator(10_000):
        entry = sums.setdefault((month_of(day), key, kind), [0, 0, spelling])
        entry[0], entry[1], entry[2] = entry[0] + amount, entry[1] + 1, max(entry[2], spelling)
    return [BucketTotal(month, key, kind, *figures) for (month, key, kind), figures in sums.items()]
