"""Output types of ledger accounts, their registers and transfers. Money leaves as `Decimal` strings with exactly the
account's currency's digits (ledger.currencies)."""

import datetime
import enum
from typing import Annotated

import strawberry

from ledger import selectors
from ledger.models import Account as AccountModel
from ledger.models import AccountKind as AccountKindChoice
from ledger.models import EntryKind as EntryKindChoice
from ledger.models import Transfer as TransferModel
from schema.context import current_user
from schema.errors import FieldError, field
from schema.scalars import Day, Money, money
from schema.types import PageInfo, Transaction

_ERRORS = "Why the input was refused; empty on success."


@strawberry.enum(description="What a ledger account is.")
class AccountKind(enum.Enum):
    CHECKING = strawberry.enum_value(AccountKindChoice.CHECKING.value, description="A current or checking account.")
    SAVINGS = strawberry.enum_value(AccountKindChoice.SAVINGS.value, description="A savings account.")
    CREDIT_CARD = strawberry.enum_value(
        AccountKindChoice.CREDIT_CARD.value, description="A credit card; its balance is usually negative."
    )
    CASH = strawberry.enum_value(AccountKindChoice.CASH.value, description="Cash in hand.")
    INVESTMENT = strawberry.enum_value(AccountKindChoice.INVESTMENT.value, description="A brokerage or pension.")
    LOAN = strawberry.enum_value(AccountKindChoice.LOAN.value, description="A loan or mortgage; usually negative.")
    OTHER = strawberry.enum_value(AccountKindChoice.OTHER.value, description="Anything else.")


@strawberry.enum(description="Which way an entry moved an account's money.")
class EntryKind(enum.Enum):
    INCOME = strawberry.enum_value(EntryKindChoice.INCOME.value, description="An income transaction.")
    EXPENSE = strawberry.enum_value(EntryKindChoice.EXPENSE.value, description="An expense transaction.")
    TRANSFER_IN = strawberry.enum_value(EntryKindChoice.TRANSFER_IN.value, description="A transfer into it.")
    TRANSFER_OUT = strawberry.enum_value(EntryKindChoice.TRANSFER_OUT.value, description="A transfer out of it.")


@strawberry.type(description="A ledger account: where money sits (a checking account, a card, cash), in one currency.")
class Account:
    id: strawberry.ID = strawberry.field(description="Random and stable.")
    name: str = strawberry.field(description="1-100 characters; unique among the caller's accounts in any case.")
    currency: str = strawberry.field(description="ISO 4217 code; fixed once the account has entries.")
    archived: bool = strawberry.field(
        description="Archived accounts keep their entries and count in net worth, but take no new entries."
    )
    created_at: datetime.datetime = strawberry.field(description="When it was created (UTC).")

    @strawberry.field(description="What kind of account it is.")
    def kind(self, root: strawberry.Parent[AccountModel]) -> AccountKind:
        return AccountKind(root.kind)

    @strawberry.field(name="isDefault", description="Where transactions without an account go; one per user.")
    def is_default(self, root: strawberry.Parent[AccountModel]) -> bool:
        return root.is_default

    @strawberry.field(description="Signed: a card or loan usually opens negative.")
    def opening_balance(self, root: strawberry.Parent[AccountModel]) -> Money:
        return money(root.opening_balance_minor, root.currency)

    @strawberry.field(
        description="Signed: opening balance + income - expense + transfers in - transfers out. Served from Redis "
        "under the caller's balance version, so never older than their last write."
    )
    def balance(self, root: strawberry.Parent[AccountModel], info: strawberry.Info) -> Money:
        account = info.context.figures().accounts.get(root.pk.hex)
        # An account created after the figures' version cannot be in them; it has no entries yet either.
        return money(root.opening_balance_minor if account is None else account.balance_minor, root.currency)

    @field(
        description="The account's register, newest first: its transactions and the legs of its transfers, each "
        "with the balance right after it. `first` defaults to 50, at most 500."
    )
    def entries(
        self,
        root: strawberry.Parent[AccountModel],
        info: strawberry.Info,
        first: Annotated[int | None, strawberry.argument(description="Page size: 50 by default, at most 500.")] = None,
        after: Annotated[str | None, strawberry.argument(description="A cursor from a previous page.")] = None,
    ) -> "AccountEntryConnection":
        page = selectors.entry_page(user=current_user(info), account=root, first=first, after=after)
        return AccountEntryConnection.from_page(page)


@strawberry.type(description="Money moved between two of the caller's accounts: neither income nor expense.")
class Transfer:
    id: strawberry.ID = strawberry.field(description="Random and stable.")
    description: str = strawberry.field(description="Free text, up to 255 characters.")
    created_at: datetime.datetime = strawberry.field(description="When it was recorded (UTC).")
    updated_at: datetime.datetime = strawberry.field(description="When it last changed (UTC).")

    @strawberry.field(description="The account the money left.")
    def from_account(self, root: strawberry.Parent[TransferModel]) -> Account:
        return root.from_account

    @strawberry.field(description="The account the money arrived in.")
    def to_account(self, root: strawberry.Parent[TransferModel]) -> Account:
        return root.to_account

    @strawberry.field(description="What left fromAccount, in its currency; positive.")
    def amount(self, root: strawberry.Parent[TransferModel]) -> Money:
        return money(root.amount_minor, root.from_account.currency)

    @strawberry.field(
        description="What arrived in toAccount, in its currency; equal to amount when the currencies match."
    )
    def to_amount(self, root: strawberry.Parent[TransferModel]) -> Money:
        return money(root.to_amount_minor, root.to_account.currency)

    @strawberry.field(description="The day the money moved.")
    def date(self, root: strawberry.Parent[TransferModel]) -> Day:
        return root.date


@strawberry.type(description="One line of an account's register.")
class AccountEntry:
    entry: strawberry.Private[selectors.Entry]
    page: strawberry.Private[selectors.EntryPage]

    @strawberry.field(description='Unique among entries: a transaction id, or a transfer id + ":in" / ":out".')
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.entry.id)

    @strawberry.field(description="The day the money moved.")
    def date(self) -> Day:
        return self.entry.date

    @strawberry.field(description="Income, expense, or a transfer in or out.")
    def kind(self) -> EntryKind:
        return EntryKind(self.entry.kind)

    @strawberry.field(description="Signed, in the account's currency: money in positive, out negative.")
    def amount(self) -> Money:
        return money(self.entry.amount_minor, self.page.account.currency)

    @strawberry.field(description="The transaction's or the transfer's description.")
    def description(self) -> str:
        return self.entry.description

    @strawberry.field(description="The transaction's category; null for transfers.")
    def category(self) -> str | None:
        return self.entry.category

    @strawberry.field(description="The income or expense; null for a transfer.")
    def transaction(self) -> Transaction | None:
        return self.page.transaction_of(self.entry)

    @strawberry.field(description="The transfer; null for an income or expense.")
    def transfer(self) -> Transfer | None:
        return self.page.transfer_of(self.entry)

    @strawberry.field(description="The account's balance right after this entry; exact on every page.")
    def running_balance(self) -> Money:
        return money(self.entry.running_balance_minor, self.page.account.currency)


@strawberry.type(description="One entry of a page and its position.")
class AccountEntryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")
    node: AccountEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of an account's register, newest first.")
class AccountEntryConnection:
    edges: list[AccountEntryEdge] = strawberry.field(description="The entries of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits; how to get the next one.")
    page: strawberry.Private[selectors.EntryPage]

    @strawberry.field(description="How many entries the account has (all pages).")
    def total_count(self) -> int:
        return self.page.total_count()

    @classmethod
    def from_page(cls, page: selectors.EntryPage) -> "AccountEntryConnection":
        edges = [AccountEntryEdge(cursor=e.cursor, node=AccountEntry(entry=e, page=page)) for e in page.entries]
        return cls(
            edges=edges,
            page=page,
            page_info=PageInfo.of(edges, has_next_page=page.has_next_page, has_previous_page=page.has_previous_page),
        )


@strawberry.type(description="The sum of every account's balance in one currency.")
class CurrencyTotal:
    currency: str = strawberry.field(description="ISO 4217 code.")
    total: Money = strawberry.field(description="Signed, in that currency.")


@strawberry.type(description="The result of creating or changing an account.")
class AccountPayload:
    account: Account | None = strawberry.field(default=None, description="The account as stored; null when refused.")
    errors: list[FieldError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.type(description="The result of creating or changing a transfer.")
class TransferPayload:
    transfer: Transfer | None = strawberry.field(default=None, description="The transfer as stored; null when refused.")
    errors: list[FieldError] = strawberry.field(default_factory=list, description=_ERRORS)
