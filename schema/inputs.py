"""Input types. Owner, ids, timestamps and balances are not inputs: nothing here can set them."""

import dataclasses
import enum

import strawberry

from ledger.selectors import TransactionFilters
from schema.account_types import AccountKind
from schema.scalars import Day, Money
from schema.types import TransactionType


@strawberry.input(description="A new income or expense.")
class CreateTransactionInput:
    amount: Money = strawberry.field(
        description='Positive, with at most the account currency\'s digits: "12.50" USD, "1200" JPY.'
    )
    type: TransactionType = strawberry.field(description="Income or expense.")
    description: str | None = strawberry.field(default=None, description="Up to 255 characters.")
    category: str | None = strawberry.field(default=None, description='1-50 characters; "Other" when omitted.')
    date: Day | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key and the same input returns the first transaction instead of a "
        "second; the same key with other input is refused with IDEMPOTENCY_KEY_REUSED.",
    )
    account_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="One of the caller's ledger accounts (not archived); the default account when omitted. The "
        "amount is in its currency.",
    )


@strawberry.input(description="Fields to change; omitted or null fields keep their value.")
class UpdateTransactionInput:
    amount: Money | None = strawberry.field(default=strawberry.UNSET, description='Positive, e.g. "12.50".')
    type: TransactionType | None = strawberry.field(default=strawberry.UNSET, description="Income or expense.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Up to 255 characters.")
    category: str | None = strawberry.field(default=strawberry.UNSET, description="1-50 characters.")
    date: Day | None = strawberry.field(default=strawberry.UNSET, description='"YYYY-MM-DD".')
    account_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Move it to another of the caller's accounts, of the same currency (CURRENCY_MISMATCH otherwise).",
    )


@strawberry.input(description="All given conditions must hold.")
class TransactionFilter:
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this ledger account's (NOT_FOUND for an id that is not the caller's)."
    )
    currency: str | None = strawberry.field(default=None, description="Only accounts in this currency (ISO 4217).")
    type: TransactionType | None = strawberry.field(default=None, description="Only income or only expenses.")
    category: str | None = strawberry.field(default=None, description="Exact category, any case.")
    date_from: Day | None = strawberry.field(default=None, description="Inclusive.")
    date_to: Day | None = strawberry.field(default=None, description="Inclusive.")
    min_amount: Money | None = strawberry.field(
        default=None, description="Inclusive; compared in each transaction's own currency."
    )
    max_amount: Money | None = strawberry.field(
        default=None, description="Inclusive; compared in each transaction's own currency."
    )
    search: str | None = strawberry.field(default=None, description="Substring of description or category, any case.")


@strawberry.input(description="A new ledger account.")
class CreateAccountInput:
    name: str = strawberry.field(description="1-100 characters; unique among the caller's accounts in any case.")
    kind: AccountKind = strawberry.field(description="What kind of account it is.")
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217 code; the default account's currency when omitted."
    )
    opening_balance: Money | None = strawberry.field(
        default=None,
        description='Signed, in the currency\'s digits ("-1200.00" for a card that opens owing); 0 when omitted.',
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key and the same input returns the first account; other input with "
        "the same key is refused with IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.input(description="Fields to change; omitted or null fields keep their value.")
class UpdateAccountInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="1-100 characters.")
    kind: AccountKind | None = strawberry.field(default=strawberry.UNSET, description="What kind of account it is.")
    opening_balance: Money | None = strawberry.field(default=strawberry.UNSET, description="Signed.")
    archived: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Archive (no new entries) or unarchive; never the default account."
    )
    currency: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="ISO 4217; only while the account has no entries (ACCOUNT_NOT_EMPTY). The opening balance keeps "
        "its value (give openingBalance too when the new currency has fewer digits than it needs).",
    )


@strawberry.input(description="Money moved between two of the caller's accounts.")
class CreateTransferInput:
    from_account_id: strawberry.ID = strawberry.field(description="The account the money leaves.")
    to_account_id: strawberry.ID = strawberry.field(description="The account it arrives in; not the same one.")
    amount: Money = strawberry.field(description="Positive, in fromAccount's currency.")
    to_amount: Money | None = strawberry.field(
        default=None,
        description="Positive, in toAccount's currency: required between currencies; between accounts of one "
        "currency it may be omitted and otherwise must equal amount.",
    )
    date: Day | None = strawberry.field(default=None, description="Defaults to today.")
    description: str | None = strawberry.field(default=None, description="Up to 255 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key and the same input returns the first transfer; other input with "
        "the same key is refused with IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.input(description="Fields to change; omitted or null fields keep their value.")
class UpdateTransferInput:
    amount: Money | None = strawberry.field(
        default=strawberry.UNSET, description="In fromAccount's currency; between one currency also the new toAmount."
    )
    to_amount: Money | None = strawberry.field(default=strawberry.UNSET, description="In toAccount's currency.")
    date: Day | None = strawberry.field(default=strawberry.UNSET, description='"YYYY-MM-DD".')
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Up to 255 characters.")


def given_fields(input: object, names: tuple[str, ...]) -> dict[str, object]:
    """The input's fields that the client set (plain values: enums as their values), by name."""
    return {name: _plain(getattr(input, name)) for name in names if getattr(input, name) is not strawberry.UNSET}


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
