"""Reads of transactions. Every query starts from `Transaction.objects.owned_by(user)`, the one per-user scope."""

import base64
import binascii
import dataclasses
import datetime
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from accounts.models import User
from ledger import error_codes
from ledger.categories import category_key
from ledger.currencies import currency_digits, parse_currency
from ledger.models import Account, Transaction
from ledger.money import parse_amount
from ledger.selectors.accounts import default_account, owned_account
from ledger.validation import (
    clean_all,
    clean_text,
    invalid,
    merged_errors,
    page_size,
    parse_date,
    parse_transaction_id,
    parse_transaction_type,
)

DEFAULT_PAGE_SIZE = 50


def transaction_get(*, user: User, transaction_id: object) -> Transaction | None:
    """The user's transaction with this id, or None (also for another user's id)."""
    pk = parse_transaction_id(transaction_id)
    return None if pk is None else Transaction.objects.owned_by(user).filter(pk=pk).first()


@dataclass(frozen=True)
class TransactionFilters:
    account_id: object = None
    currency: object = None
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
    with merged_errors() as errors:
        cleaned = {}
        with errors.collect():
            cleaned = clean_all({k: v for k, v in given.items() if k in _FILTER_PARSERS}, _FILTER_PARSERS)
        account = None
        if "account_id" in given:
            with errors.collect():
                account = owned_account(user=user, account_id=given["account_id"])
        # Amount bounds take the digits of the currency the filter is about: the named one, the account's, or
        # (neither named) the default account's, as for any client that never mentions currencies.
        if any(name in given for name in _AMOUNT_FILTERS):
            currency = (cleaned if errors.ok else {}).get("currency") or (
                account or default_account(user=user)
            ).currency
            with errors.collect():
                digits = currency_digits(currency)
                parsers = {name: _amount_parser(name, digits) for name in _AMOUNT_FILTERS}
                cleaned.update(clean_all({k: v for k, v in given.items() if k in _AMOUNT_FILTERS}, parsers))
    if account is not None:
        queryset = queryset.filter(account_id=account.pk)
    if "currency" in cleaned:
        queryset = queryset.filter(account__currency=cleaned.pop("currency"))
    for name, lookup in (("min_amount", "gte"), ("max_amount", "lte")):
        if name in cleaned:
            queryset = queryset.filter(_amount_bound(user, cleaned.pop(name), lookup))
    lookups = {
        "type": "type",
        "category": "category_key",
        "date_from": "date__gte",
        "date_to": "date__lte",
    }
    queryset = queryset.filter(**{lookups[name]: value for name, value in cleaned.items() if name in lookups})
    if cleaned.get("search"):
        term = cleaned["search"]
        queryset = queryset.filter(Q(description__icontains=term) | Q(category__icontains=term))
    return queryset


def _amount_bound(user: User, amount: Decimal, lookup: str) -> Q:
    """Rows whose amount is at least (gte) or at most (lte) `amount` in their own currency: minor units mean
    different values in different currencies, so each currency of the user's accounts gets its own bound (rounded
    toward the inside: "12.50" as a lower bound lets no 12 JPY through)."""
    condition = Q(pk__in=[])
    for currency in Account.objects.owned_by(user).values_list("currency", flat=True).distinct():
        scaled = amount.scaleb(currency_digits(currency))
        bound = math.ceil(scaled) if lookup == "gte" else math.floor(scaled)
        condition |= Q(account__currency=currency, **{f"amount_minor__{lookup}": bound})
    return condition


_FILTER_PARSERS = {
    "currency": parse_currency,
    "type": parse_transaction_type,
    "category": lambda value: category_key(
        clean_text(value, field="category", code=error_codes.INVALID_CATEGORY, min_length=1, max_length=50)
    ),
    "date_from": lambda value: parse_date(value, field="date_from"),
    "date_to": lambda value: parse_date(value, field="date_to"),
    "search": lambda value: clean_text(value, field="search", code=error_codes.INVALID_SEARCH, max_length=100),
}


_AMOUNT_FILTERS = ("min_amount", "max_amount")


def _amount_parser(name: str, digits: int) -> Callable[[object], Decimal]:
    return lambda value: parse_amount(value, field=name, digits=digits)


# What a page's rows are read for (the Transaction type's fields, their account, the cursor): the idempotency
# columns, the category key and the user are never read from a page row. The timestamps are loaded only when asked.
PAGE_COLUMNS = ("id", "account_id", "amount_minor", "type", "description", "category", "date")
TIMESTAMP_COLUMNS = ("created_at", "updated_at")


def transaction_page(
    *,
    user: User,
    filters: TransactionFilters | None,
    first: int | None,
    after: str | None,
    with_timestamps: bool = True,
) -> TransactionPage:
    """One page, newest date first, by keyset on (date, id): a deep page costs what the first one does.

    Rows carry PAGE_COLUMNS, and TIMESTAMP_COLUMNS `with_timestamps` (decoding two timestamps per row was a tenth of a
    50-row page, bench.http.profile first_page); any other column is loaded on first access, one query per row."""
    size = page_size(first, default=DEFAULT_PAGE_SIZE)
    filtered = transaction_filter(user=user, filters=filters)
    page = filtered.order_by("-date", "-id").only(*PAGE_COLUMNS, *(TIMESTAMP_COLUMNS if with_timestamps else ()))
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
    return encode_position(txn.date, txn.id)


def encode_position(day: datetime.date, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{day.isoformat()}|{row_id.hex}".encode()).decode()


def decode_cursor(cursor: object) -> tuple[datetime.date, uuid.UUID]:
    try:
        text = base64.urlsafe_b64decode(str(cursor).encode("ascii")).decode("ascii")
        day, _, row_id = text.partition("|")
        return datetime.date.fromisoformat(day), uuid.UUID(hex=row_id)
    except (ValueError, binascii.Error, UnicodeError):
        raise invalid("after", "Not a cursor returned by this API.", error_codes.INVALID_CURSOR) from None
