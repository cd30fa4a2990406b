"""Output types. Money leaves as `Decimal` strings built from integer minor units."""

import datetime
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry import auto

from accounts.models import User as UserModel
from ledger import selectors
from ledger.balance_cache import BalanceFigures
from ledger.models import Transaction as TransactionModel
from ledger.models import TransactionType as TransactionTypeChoice
from ledger.money import from_minor
from schema.context import RequestContext, account_of
from schema.errors import FieldError
from schema.execution import reads_context
from schema.scalars import Day, Money, money

if TYPE_CHECKING:
    from schema.account_types import Account

# Account refers to Transaction (an entry's transaction) and Transaction to Account: one side resolves lazily.
LazyAccount = Annotated["Account", strawberry.lazy("schema.account_types")]

_ERRORS = "Why the input was refused; empty on success."


@strawberry.enum(description="Whether money came in or went out.")
class TransactionType(enum.Enum):
    INCOME = strawberry.enum_value(TransactionTypeChoice.INCOME.value, description="Money in.")
    EXPENSE = strawberry.enum_value(TransactionTypeChoice.EXPENSE.value, description="Money out.")


@strawberry_django.type(UserModel, description="An account holder.")
class User:
    id: strawberry.ID = strawberry_django.field(description="Random and stable; reveals nothing about other users.")
    username: auto = strawberry_django.field(description="Unique without regard to case.")
    email: auto = strawberry_django.field(description="Unique without regard to case.")

    @strawberry_django.field(
        description="Where transactions without an account go, and whose currency `balance` "
        "and analytics use when asked for none."
    )
    def default_account(self, root: strawberry.Parent[UserModel]) -> LazyAccount:
        return selectors.default_account(user=root)


def _amount(txn: TransactionModel, context: "RequestContext") -> Decimal:
    return from_minor(txn.amount_minor, context.digits_of(txn))  # money() in the account's currency


# A plain Strawberry type over the model instance rather than strawberry_django.type: a 50-row page resolves ~400
# fields, and the Django field wrappers cost about a third of that page (bench/http/profile.py first_page).
@strawberry.type(description="One income or expense.")
class Transaction:
    id: strawberry.ID = strawberry.field(description="Random and stable.")
    description: str = strawberry.field(description="Free text, up to 255 characters.")
    category: str = strawberry.field(description='Trimmed, 1-50 characters; "Other" by default.')
    created_at: datetime.datetime = strawberry.field(description="When it was recorded (UTC).")
    updated_at: datetime.datetime = strawberry.field(description="When it last changed (UTC).")

    @strawberry.field(description="Always positive; the type says which way. In the account's currency.")
    @reads_context(_amount)
    def amount(self, root: strawberry.Parent[TransactionModel], info: strawberry.Info) -> Money:
        return _amount(root, info.context)

    @strawberry.field(description="The ledger account it belongs to.")
    def account(self, root: strawberry.Parent[TransactionModel], info: strawberry.Info) -> LazyAccount:
        return account_of(info, root)

    @strawberry.field(description="Its account's currency (ISO 4217).")
    def currency(self, root: strawberry.Parent[TransactionModel], info: strawberry.Info) -> str:
        return account_of(info, root).currency

    # Plain fields read straight from the model instance: graphql-core serializes the stored "income"/"expense" by
    # value, and the date as Day; no resolver call per row.
    type: TransactionType = strawberry.field(description="Income or expense.")
    date: Day = strawberry.field(description="The day the money moved.")


@strawberry.type(description="Totals over the caller's transactions in one currency (transfers never count).")
class Balance:
    # Plain values, not resolvers: four fields are the whole answer of the API's hottest read, and a plain field costs
    # a getattr where a resolver call cost about 10 us (schema/execution.py).
    currency: str = strawberry.field(description="The currency of the totals (ISO 4217).")
    total: Money = strawberry.field(description="Income minus expense.")
    income: Money = strawberry.field(description="Sum of all income.")
    expense: Money = strawberry.field(description="Sum of all expenses.")
    transaction_count: int = strawberry.field(
        name="transactionCount", description="How many transactions the totals cover."
    )

    @classmethod
    def of(cls, figures: BalanceFigures) -> "Balance":
        currency = figures.currency
        return cls(
            currency=currency,
            total=money(figures.income_minor - figures.expense_minor, currency),
            income=money(figures.income_minor, currency),
            expense=money(figures.expense_minor, currency),
            transaction_count=figures.transaction_count,
        )


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More rows follow `endCursor`.")
    has_previous_page: bool = strawberry.field(description="True when this page was asked for with `after`.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first row of this page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last row: pass it as `after` for more.")

    @classmethod
    def of(cls, edges: list, *, has_next_page: bool, has_previous_page: bool) -> "PageInfo":
        """The page information of a page of edges (anything with a `cursor`)."""
        return cls(
            has_next_page=has_next_page,
            has_previous_page=has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )


@strawberry.type(description="One row of a page and its position.")
class TransactionEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this row.")
    node: Transaction = strawberry.field(description="The transaction.")


@strawberry.type(description="A page of transactions, newest date first.")
class TransactionConnection:
    edges: list[TransactionEdge] = strawberry.field(description="The rows of this page, newest date first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits; how to get the next one.")
    page: strawberry.Private[selectors.TransactionPage]

    @strawberry.field(description="How many transactions match the filters (all pages).")
    def total_count(self) -> int:
        return self.page.filtered.count()

    @classmethod
    def from_page(cls, page: selectors.TransactionPage) -> "TransactionConnection":
        edges = [TransactionEdge(cursor=selectors.encode_cursor(row), node=row) for row in page.rows]
        return cls(
            edges=edges,
            page=page,
            page_info=PageInfo.of(edges, has_next_page=page.has_next_page, has_previous_page=page.has_previous_page),
        )


@strawberry.type(description="The result of register.")
class RegisterPayload:
    user: User | None = strawberry.field(default=None, description="The new account; null when refused.")
    errors: list[FieldError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.type(description="Tokens for a session, or why there are none.")
class AuthPayload:
    token: str | None = strawberry.field(
        default=None, description="Access token: send as `Authorization: Bearer <token>`."
    )
    refresh_token: str | None = strawberry.field(default=None, description="Trade it for a new pair with refreshToken.")
    user: User | None = strawberry.field(default=None, description="Whose tokens these are.")
    errors: list[FieldError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.type(description="The result of revokeToken (logout).")
class RevokePayload:
    revoked: bool = strawberry.field(default=False, description="True when the sessions were ended.")
    errors: list[FieldError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.type(description="The result of requestPasswordReset.")
class RequestPasswordResetPayload:
    accepted: bool = strawberry.field(
        default=True, description="Always true: whether an email was sent is not revealed."
    )
    errors: list[FieldError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.type(description="The result of creating or changing a transaction.")
class TransactionPayload:
    transaction: Transaction | None = strawberry.field(
        default=None, description="The transaction as stored; null when refused."
    )
    errors: list[FieldError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.type(description="The result of deleteTransaction.")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="The id that was deleted.")
    errors: list[FieldError] = strawberry.field(default_factory=list, description=_ERRORS)
