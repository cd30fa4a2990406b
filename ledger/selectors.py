"""Reads of the ledger. Every query starts from `Transaction.objects.owned_by(user)`, the one per-user scope."""

import base64
import binascii
import dataclasses
import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import User
from ledger import error_codes
from ledger.balance_cache import BalanceFigures, cached_balance
from ledger.categories import category_key
from ledger.models import BalanceVersion, Transaction, TransactionType
from ledger.money import parse_amount, to_minor
from ledger.validation import clean_all, clean_text, invalid, parse_date, parse_transaction_id, parse_transaction_type

DEFAULT_PAGE_SIZE = 50


def user_for_request(user_id: uuid.UUID, *, with_balance_version: bool) -> tuple[User | None, int | None]:
    """The user with this id and, when asked for, their committed balance version (0 if they never wrote), in one
    statement; (None, None) when there is no such user.

    Raw SQL on purpose: this runs on every authenticated request, and composing the equivalent ORM query cost about
    as much as the database round trip. Columns not selected are deferred (loaded on first access), so the instance
    is a normal user for every other purpose.
    """
    users, versions = User._meta.db_table, BalanceVersion._meta.db_table
    columns = "u.id, u.username, u.email, u.is_active, u.token_version"
    if with_balance_version:
        sql = (
            f"SELECT {columns}, COALESCE(v.version, 0) AS committed_balance_version "  # noqa: S608 (no client input)
            f"FROM {users} u LEFT JOIN {versions} v ON v.user_id = u.id WHERE u.id = %s"
        )
    else:
        sql = f"SELECT {columns} FROM {users} u WHERE u.id = %s"  # noqa: S608 (no client input)
    user_param = User._meta.pk.get_db_prep_value(user_id, connection)
    found = list(User.objects.raw(sql, [user_param]))
    if not found:
        return None, None
    return found[0], getattr(found[0], "committed_balance_version", None)


def balance_figures(*, user: User, version: int | None = None) -> BalanceFigures:
    """Income, expense and count of all the user's transactions, from the Redis cache when it has them.

    `version`: the user's balance version when it was read in this request after their last write (it is loaded
    with the authenticated user); read here otherwise.
    """
    return cached_balance(user.pk, lambda: compute_balance_figures(user=user), version=version)


def compute_balance_figures(*, user: User) -> BalanceFigures:
    """One aggregate over the covering (user, type, amount) index; no Python loop over rows."""
    totals = {TransactionType.INCOME.value: (0, 0), TransactionType.EXPENSE.value: (0, 0)}
    rows = (
        Transaction.objects.owned_by(user)
        .order_by()
        .values("type")
        .annotate(total=Sum("amount_minor"), count=Count("amount_minor"))
        .values_list("type", "total", "count")
    )
    try:
        rows = list(rows)
    except OperationalError as error:
        if not is_sum_overflow(error):
            raise
        rows = _summed_in_python(Transaction.objects.owned_by(user).values_list("type", "amount_minor"))
    for txn_type, total, count in rows:
        totals[txn_type] = (total or 0, count)
    income, expense = totals[TransactionType.INCOME.value], totals[TransactionType.EXPENSE.value]
    return BalanceFigures(income_minor=income[0], expense_minor=expense[0], transaction_count=income[1] + expense[1])


def is_sum_overflow(error: OperationalError) -> bool:
    """SQLite's SUM raises past int64. Accepted writes never get there (the volume bound), but rows stored before the
    bound may: their figures are then summed in Python, whose integers do not overflow."""
    return "integer overflow" in str(error)


def _summed_in_python(rows: QuerySet) -> list[tuple[str, int, int]]:
    sums: dict[str, list[int]] = {}
    for key, amount in rows.iterator(10_000):
        entry = sums.setdefault(key, [0, 0])
        entry[0] += amount
        entry[1] += 1
    return [(key, total, count) for key, (total, count) in sums.items()]


def transaction_get(*, user: User, transaction_id: object) -> Transaction | None:
    """The user's transaction with this id, or None (also for another user's id)."""
    pk = parse_transaction_id(transaction_id)
    return None if pk is None else Transaction.objects.owned_by(user).filter(pk=pk).first()


@dataclass(frozen=True)
class TransactionFilters:
    type: str | None = None
    category: object = None
    date_from: object = None
    date_to: object = None
    min_amount: object = None
    max_amount: object = None
    search: object = None


@dataclass(frozen=True)
class TransactionPage:
    rows: list[Transaction]
    has_next_page: bool
    has_previous_page: bool
    filtered: QuerySet  # for the total count, evaluated only when asked for


def transaction_filter(*, user: User, filters: TransactionFilters | None) -> QuerySet:
    """The user's transactions narrowed by the filters; raises ValidationError naming every bad filter."""
    queryset = Transaction.objects.owned_by(user)
    if filters is None:
        return queryset
    given = {name: value for name, value in dataclasses.asdict(filters).items() if value is not None}
    cleaned = clean_all(given, _FILTER_PARSERS)
    lookups = {
        "type": "type",
        "category": "category_key",
        "date_from": "date__gte",
        "date_to": "date__lte",
        "min_amount": "amount_minor__gte",
        "max_amount": "amount_minor__lte",
    }
    queryset = queryset.filter(**{lookups[name]: value for name, value in cleaned.items() if name in lookups})
    if cleaned.get("search"):
        term = cleaned["search"]
        queryset = queryset.filter(Q(description__icontains=term) | Q(category__icontains=term))
    return queryset


_FILTER_PARSERS = {
    "type": parse_transaction_type,
    "category": lambda value: category_key(
        clean_text(value, field="category", code=error_codes.INVALID_CATEGORY, min_length=1, max_length=50)
    ),
    "date_from": lambda value: parse_date(value, field="date_from"),
    "date_to": lambda value: parse_date(value, field="date_to"),
    "min_amount": lambda value: to_minor(parse_amount(value, field="min_amount")),
    "max_amount": lambda value: to_minor(parse_amount(value, field="max_amount")),
    "search": lambda value: clean_text(value, field="search", code=error_codes.INVALID_SEARCH, max_length=100),
}


def transaction_page(
    *, user: User, filters: TransactionFilters | None, first: int | None, after: str | None
) -> TransactionPage:
    """One page, newest date first, by keyset on (date, id): a deep page costs what the first one does."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0:
        raise invalid("first", "Must be zero or more.", error_codes.INVALID_PAGE_SIZE)
    size = min(size, settings.GRAPHQL_MAX_PAGE_SIZE)
    filtered = transaction_filter(user=user, filters=filters)
    page = filtered.order_by("-date", "-id")
    if after is not None:
        after_date, after_id = decode_cursor(after)
        page = page.filter(Q(date__lt=after_date) | Q(date=after_date, id__lt=after_id))
    rows = list(page[: size + 1])
    return TransactionPage(
        rows=rows[:size],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
        filtered=filtered,
    )


def encode_cursor(txn: Transaction) -> str:
    """Opaque to clients: the keyset position (date, id) of a row."""
    return base64.urlsafe_b64encode(f"{txn.date.isoformat()}|{txn.id.hex}".encode()).decode()


def decode_cursor(cursor: object) -> tuple[datetime.date, uuid.UUID]:
    try:
        text = base64.urlsafe_b64decode(str(cursor).encode("ascii")).decode("ascii")
        day, _, row_id = text.partition("|")
        return datetime.date.fromisoformat(day), uuid.UUID(hex=row_id)
    except (ValueError, binascii.Error, UnicodeError):
        raise invalid("after", "Not a cursor returned by this API.", error_codes.INVALID_CURSOR) from None
