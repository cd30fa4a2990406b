"""Input types. Owner, ids, timestamps and balances are not inputs: nothing here can set them."""

import dataclasses
import enum

import strawberry

from ledger.selectors import TransactionFilters
from schema.scalars import Day, Money
from schema.types import TransactionType


@strawberry.input(description="A new income or expense.")
class CreateTransactionInput:
    amount: Money = strawberry.field(description='Positive, at most two decimals, e.g. "12.50".')
    type: TransactionType = strawberry.field(description="Income or expense.")
    description: str | None = strawberry.field(default=None, description="Up to 255 characters.")
    category: str | None = strawberry.field(default=None, description='1-50 characters; "Other" when omitted.')
    date: Day | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key and the same input returns the first transaction instead of a "
        "second; the same key with other input is refused with IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.input(description="Fields to change; omitted or null fields keep their value.")
class UpdateTransactionInput:
    amount: Money | None = strawberry.field(default=strawberry.UNSET, description='Positive, e.g. "12.50".')
    type: TransactionType | None = strawberry.field(default=strawberry.UNSET, description="Income or expense.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Up to 255 characters.")
    category: str | None = strawberry.field(default=strawberry.UNSET, description="1-50 characters.")
    date: Day | None = strawberry.field(default=strawberry.UNSET, description='"YYYY-MM-DD".')


@strawberry.input(description="All given conditions must hold.")
class TransactionFilter:
    type: TransactionType | None = strawberry.field(default=None, description="Only income or only expenses.")
    category: str | None = strawberry.field(default=None, description="Exact category, any case.")
    date_from: Day | None = strawberry.field(default=None, description="Inclusive.")
    date_to: Day | None = strawberry.field(default=None, description="Inclusive.")
    min_amount: Money | None = strawberry.field(default=None, description="Inclusive.")
    max_amount: Money | None = strawberry.field(default=None, description="Inclusive.")
    search: str | None = strawberry.field(default=None, description="Substring of description or category, any case.")


def selector_filters(given: TransactionFilter | None) -> TransactionFilters | None:
    """The GraphQL filter input as the selectors' dataclass, field by field under the same names (values still raw:
    the selectors validate them). tests/schema/test_transactions_query.py checks that the two declare the same
    fields."""
    if given is None:
        return None
    return TransactionFilters(
        **{name.name: _plain(getattr(given, name.name)) for name in dataclasses.fields(TransactionFilters)}
    )


def _plain(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value
