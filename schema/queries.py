from typing import TYPE_CHECKING, Annotated

import strawberry

from ledger import selectors
from schema.account_types import Account, CurrencyTotal, Transfer
from schema.context import current_principal, current_user
from schema.errors import field
from schema.execution import reads_context
from schema.inputs import TransactionFilter, selector_filters
from schema.scalars import money
from schema.selection import selects
from schema.types import Balance, Transaction, TransactionConnection, User

if TYPE_CHECKING:
    from schema.context import RequestContext


def _balance(root: object, context: "RequestContext", currency: str | None = None) -> Balance:
    return Balance.of(selectors.balance_in(context.figures(), currency))


@strawberry.type
class LedgerQuery:
    @strawberry.field(description="The caller.")
    def me(self, info: strawberry.Info) -> User:
        return current_user(info)

    @field(
        description="The caller's income and expense totals in one currency (transfers never count), served from "
        "Redis; never older than the caller's last write."
    )
    @reads_context(_balance)
    def balance(
        self,
        info: strawberry.Info,
        currency: Annotated[
            str | None, strawberry.argument(description="ISO 4217; the default account's currency when omitted.")
        ] = None,
    ) -> Balance:
        return _balance(self, info.context, currency)

    @strawberry.field(description="The caller's ledger accounts by name (any case).")
    def accounts(
        self,
        info: strawberry.Info,
        include_archived: Annotated[
            bool | None, strawberry.argument(description="Also the archived accounts.")
        ] = False,
    ) -> list[Account]:
        # The version comes with the caller in one statement: the accounts' balances then cost one Redis read.
        principal = current_principal(info, with_balance_version=True)
        return selectors.account_list(user=principal.user, include_archived=bool(include_archived))

    @strawberry.field(description="One of the caller's ledger accounts; null for any other id.")
    def account(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its id.")]
    ) -> Account | None:
        return selectors.account_get(user=current_user(info), account_id=id)

    @strawberry.field(description="One of the caller's transfers; null for any other id.")
    def transfer(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its id.")]
    ) -> Transfer | None:
        return selectors.transfer_get(user=current_user(info), transfer_id=id)

    @strawberry.field(
        name="netWorth",
        description="The sum of every account's balance (archived ones too), per currency, in code order; from "
        "the same cache as `balance`.",
    )
    def net_worth(self, info: strawberry.Info) -> list[CurrencyTotal]:
        figures = info.context.figures()
        return [
            CurrencyTotal(currency=currency, total=money(total, currency))
            for currency, total in figures.net_worth().items()
        ]

    @field(description="The caller's transactions, newest date first. `first` defaults to 50, at most 500.")
    def transactions(
        self,
        info: strawberry.Info,
        filters: Annotated[TransactionFilter | None, strawberry.argument(description="Narrow the rows.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size: 50 by default, at most 500.")] = None,
        after: Annotated[str | None, strawberry.argument(description="A cursor from a previous page.")] = None,
    ) -> TransactionConnection:
        page = selectors.transaction_page(
            user=current_user(info),
            filters=selector_filters(filters),
            first=first,
            after=after,
            with_timestamps=selects(info, ("edges", "node"), ("createdAt", "updatedAt")),
        )
        return TransactionConnection.from_page(page)

    @strawberry.field(description="One of the caller's transactions; null for any other id.")
    def transaction(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its id.")]
    ) -> Transaction | None:
        return selectors.transaction_get(user=current_user(info), transaction_id=id)
