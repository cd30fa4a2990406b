from typing import Annotated

import strawberry

from ledger import selectors
from schema.context import current_principal, current_user
from schema.errors import field
from schema.inputs import TransactionFilter, selector_filters
from schema.types import Balance, Transaction, TransactionConnection, User


@strawberry.type
class LedgerQuery:
    @strawberry.field(description="The caller.")
    def me(self, info: strawberry.Info) -> User:
        return current_user(info)

    @strawberry.field(description="The caller's totals, served from Redis; never older than the caller's last write.")
    def balance(self, info: strawberry.Info) -> Balance:
        principal = current_principal(info, with_balance_version=True)
        return Balance(figures=selectors.balance_figures(user=principal.user, version=principal.balance_version))

    @field(description="The caller's transactions, newest date first. `first` defaults to 50, at most 500.")
    def transactions(
        self,
        info: strawberry.Info,
        filters: Annotated[TransactionFilter | None, strawberry.argument(description="Narrow the rows.")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size: 50 by default, at most 500.")] = None,
        after: Annotated[str | None, strawberry.argument(description="A cursor from a previous page.")] = None,
    ) -> TransactionConnection:
        user = current_user(info)
        page = selectors.transaction_page(user=user, filters=selector_filters(filters), first=first, after=after)
        return TransactionConnection.from_page(page)

    @strawberry.field(description="One of the caller's transactions; null for any other id.")
    def transaction(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its id.")]
    ) -> Transaction | None:
        return selectors.transaction_get(user=current_user(info), transaction_id=id)
