"""The change log (issue 14): `changes`, the feed a client follows to stay in sync, `history`, one record's audit
trail, and `changeCursor`, where a client that has just read everything starts following. Thin resolvers over
ledger.selectors.changes; the snapshots are shown through the entities' own types, as they were."""

import datetime
import enum
from typing import Annotated

import strawberry

from ledger import selectors
from ledger.models import Change as ChangeModel
from ledger.models import ChangeOperation as ChangeOperationChoice
from ledger.models import EntityType
from schema.account_types import Account, Transfer
from schema.budgets import Budget
from schema.context import current_user
from schema.errors import field
from schema.recurring_types import RecurringRule
from schema.types import Transaction


@strawberry.enum(description="What a change did to its record.")
class ChangeOperation(enum.Enum):
    CREATED = strawberry.enum_value(ChangeOperationChoice.CREATED.value, description="The record was created.")
    UPDATED = strawberry.enum_value(ChangeOperationChoice.UPDATED.value, description="The record was changed.")
    DELETED = strawberry.enum_value(ChangeOperationChoice.DELETED.value, description="The record was deleted.")


@strawberry.type(
    description="One record changed by one committed write. Each write appends one change per record it changed, "
    "in its own database transaction: a refused or rolled-back write appends none. The record's snapshot is in "
    "the field of its entityType (the others are null), as it was after the change (before it, for a delete)."
)
class Change:
    change: strawberry.Private[ChangeModel]
    # Plain values, filled in `of`: Strawberry reads a plain field without its resolver machinery, and the live
    # schema (schema/live_schema.py) runs only resolvers off its event loop: a subscriber's event costs no thread
    # hop for these (measured: 100 subscribers, 60 writes back to back, commit -> delivery p50 356 -> 21 ms).
    sequence: str = strawberry.field(
        description="A decimal string: per caller, gap-free and in commit order (1, 2, 3...), so a client that "
        "has seen n has seen every change before n."
    )
    operation: ChangeOperation = strawberry.field(description="Created, updated or deleted.")
    entity_type: str = strawberry.field(
        description="TRANSACTION, TRANSFER, ACCOUNT (a ledger account), BUDGET or RECURRING_RULE; upper case and "
        "stable."
    )
    entity_id: strawberry.ID = strawberry.field(
        description="The record's id (what `transaction(id:)`, `transfer(id:)`... take)."
    )
    at: datetime.datetime = strawberry.field(description="When the write happened (UTC).")

    @classmethod
    def of(cls, change: ChangeModel) -> "Change":
        return cls(
            change=change,
            sequence=str(change.sequence),
            operation=ChangeOperation(change.operation),
            entity_type=change.entity_type,
            entity_id=strawberry.ID(str(change.entity_id)),
            at=change.at,
        )

    @strawberry.field(
        description="The income or expense as it was, for a TRANSACTION change; its amount in the currency it had. "
        "Its account is the ledger account as it is now (as its last change left it, once deleted)."
    )
    def transaction(self, info: strawberry.Info) -> Transaction | None:
        return self._entity(info, EntityType.TRANSACTION)

    @strawberry.field(description="The transfer as it was, for a TRANSFER change (its accounts as for transaction).")
    def transfer(self, info: strawberry.Info) -> Transfer | None:
        return self._entity(info, EntityType.TRANSFER)

    @strawberry.field(
        description="The ledger account as it was, for an ACCOUNT change (its balance and entries are today's)."
    )
    def account(self, info: strawberry.Info) -> Account | None:
        return self._entity(info, EntityType.ACCOUNT)

    @strawberry.field(description="The budget row as it was, for a BUDGET change.")
    def budget(self, info: strawberry.Info) -> Budget | None:
        return self._entity(info, EntityType.BUDGET)

    @strawberry.field(
        description="The recurring rule as it was, for a RECURRING_RULE change (its account as for transaction)."
    )
    def recurring_rule(self, info: strawberry.Info) -> RecurringRule | None:
        return self._entity(info, EntityType.RECURRING_RULE)

    def _entity(self, info: strawberry.Info, entity_type: str) -> object | None:
        if self.change.entity_type != entity_type:
            return None
        return selectors.entity_of(self.change, info.context.account_if_any)


@strawberry.type(description="A page of the caller's changes, oldest first.")
class ChangePage:
    page: strawberry.Private[selectors.ChangePage]

    @strawberry.field(description="The changes after `after`, oldest first (in sequence order).")
    def changes(self) -> list[Change]:
        return [Change.of(change) for change in self.page.changes]

    @strawberry.field(
        description="Store it, then pass it as `after` to get what follows this page: every change exactly once, "
        "in order, across restarts. Opaque. Where the page ends; with no changes, where the read was."
    )
    def cursor(self) -> str:
        return self.page.cursor

    @strawberry.field(description="More changes follow this page already: ask again with `cursor`.")
    def has_more(self) -> bool:
        return self.page.has_more


@strawberry.type
class ChangeQuery:
    @field(
        description="The caller's changes after `after` (from the oldest one kept when omitted), oldest first. "
        "Changes are kept CHANGE_RETENTION_DAYS (90 by default): a cursor whose next change is older answers a "
        "CURSOR_EXPIRED error (re-sync from the full queries, then follow from changeCursor); a string that is not "
        "a cursor answers INVALID_CURSOR, a negative `first` INVALID_PAGE_SIZE."
    )
    def changes(
        self,
        info: strawberry.Info,
        after: Annotated[
            str | None, strawberry.argument(description="The `cursor` of a previous page (or changeCursor).")
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size: 100 by default (and when null), at most 500.")
        ] = selectors.DEFAULT_CHANGES_PAGE_SIZE,
    ) -> ChangePage:
        return ChangePage(page=selectors.change_page(user=current_user(info), after=after, first=first))

    @strawberry.field(
        description="Every kept change of one of the caller's records (a transaction, transfer, ledger account, "
        "budget row or recurring rule), oldest first: its audit trail through creation, updates and deletion. "
        "Empty for any other id."
    )
    def history(
        self,
        info: strawberry.Info,
        entity_id: Annotated[strawberry.ID, strawberry.argument(description="The record's id.")],
    ) -> list[Change]:
        return [Change.of(change) for change in selectors.change_history(user=current_user(info), entity_id=entity_id)]

    @strawberry.field(
        description="The cursor after the caller's latest change. A client starting from nothing (or after "
        "CURSOR_EXPIRED) takes it first, then reads everything with the full queries, then follows "
        "`changes(after:)` from it: changes made during the read come again, and applying a snapshot twice is "
        "harmless."
    )
    def change_cursor(self, info: strawberry.Info) -> str:
        return selectors.change_cursor(user=current_user(info))
