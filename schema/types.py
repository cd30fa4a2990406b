"""Output types. Money leaves as `Decimal` strings built from integer minor units."""

import datetime
import enum

import strawberry
import strawberry_django
from strawberry import auto

from accounts.models import User as UserModel
from ledger import selectors
from ledger.balance_cache import BalanceFigures
from ledger.models import Transaction as TransactionModel
from ledger.models import TransactionType as TransactionTypeChoice
from ledger.money import from_minor
from schema.errors import FieldError
from schema.scalars import Day, Money


@strawberry.enum(description="Whether money came in or went out.")
class TransactionType(enum.Enum):
    INCOME = TransactionTypeChoice.INCOME.value
    EXPENSE = TransactionTypeChoice.EXPENSE.value


@strawberry_django.type(UserModel, description="An account holder.")
class User:
    id: strawberry.ID
    username: auto
    email: auto


@strawberry_django.type(TransactionModel, description="One income or expense.")
class Transaction:
    id: strawberry.ID
    description: str = strawberry_django.field(description="Free text, up to 255 characters.")
    category: str = strawberry_django.field(description='Trimmed, 1-50 characters; "Other" by default.')
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @strawberry_django.field(only=["amount_minor"], description="Always positive; the type says which way.")
    def amount(self, root: TransactionModel) -> Money:
        return from_minor(root.amount_minor)

    @strawberry_django.field(only=["type"])
    def type(self, root: TransactionModel) -> TransactionType:
        return TransactionType(root.type)

    @strawberry_django.field(only=["date"], description="The day the money moved.")
    def date(self, root: TransactionModel) -> Day:
        return root.date


@strawberry.type(description="Totals over all of the caller's transactions.")
class Balance:
    figures: strawberry.Private[BalanceFigures]

    @strawberry.field(description="Income minus expense.")
    def total(self) -> Money:
        return from_minor(self.figures.income_minor - self.figures.expense_minor)

    @strawberry.field
    def income(self) -> Money:
        return from_minor(self.figures.income_minor)

    @strawberry.field
    def expense(self) -> Money:
        return from_minor(self.figures.expense_minor)

    @strawberry.field(name="transactionCount")
    def transaction_count(self) -> int:
        return self.figures.transaction_count


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class TransactionEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this row.")
    node: Transaction


@strawberry.type(description="A page of transactions, newest date first.")
class TransactionConnection:
    edges: list[TransactionEdge]
    page_info: PageInfo
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
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.type
class RegisterPayload:
    user: User | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class AuthPayload:
    token: str | None = strawberry.field(
        default=None, description="Access token: send as `Authorization: Bearer <token>`."
    )
    refresh_token: str | None = strawberry.field(default=None, description="Trade it for a new pair with refreshToken.")
    user: User | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokePayload:
    revoked: bool = False
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class RequestPasswordResetPayload:
    accepted: bool = strawberry.field(
        default=True, description="Always true: whether an email was sent is not revealed."
    )
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class TransactionPayload:
    transaction: Transaction | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)
