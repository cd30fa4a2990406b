"""Analytics from the Go aggregator's rollups (exact even where it has not run yet): income and expense of one
currency's accounts, or of one account; transfers never count."""

from typing import Annotated

import strawberry

from ledger import analytics
from schema.context import current_principal
from schema.errors import field
from schema.scalars import Money, money
from schema.types import TransactionType


@strawberry.type(description="Income and expense of one month.")
class MonthSummary:
    month: str = strawberry.field(description='The month, "YYYY-MM".')
    income: Money = strawberry.field(description="Income of the month.")
    expense: Money = strawberry.field(description="Expenses of the month.")
    net: Money = strawberry.field(description="Income minus expense.")
    transaction_count: int = strawberry.field(description="Transactions dated in the month.")


@strawberry.type(description="Total of one category and type over a range of months.")
class CategoryTotal:
    category: str = strawberry.field(description="The category, as spelled on the transactions.")
    type: TransactionType = strawberry.field(description="Income or expense.")
    total: Money = strawberry.field(description="Sum over the months.")
    transaction_count: int = strawberry.field(description="Transactions counted.")


_CURRENCY = Annotated[
    str | None,
    strawberry.argument(description="ISO 4217; the default account's currency when omitted (and no accountId)."),
]
_ACCOUNT = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Only this ledger account (its currency; NOT_FOUND if not the caller's)."),
]


@strawberry.type
class AnalyticsQuery:
    @field(description='Every month from `from` to `to` ("YYYY-MM", inclusive, at most 120), oldest first.')
    def monthly_summary(
        self,
        info: strawberry.Info,
        from_: Annotated[str, strawberry.argument(name="from", description='First month, "YYYY-MM".')],
        to: Annotated[str, strawberry.argument(description='Last month, "YYYY-MM".')],
        currency: _CURRENCY = None,
        account_id: _ACCOUNT = None,
    ) -> list[MonthSummary]:
        principal = current_principal(info, with_balance_version=True)
        code, months = analytics.monthly_summary_cached(
            user=principal.user,
            version=principal.balance_version,
            start=from_,
            end=to,
            currency=currency,
            account_id=account_id,
        )
        return [
            MonthSummary(
                month=month.month,
                income=money(month.income_minor, code),
                expense=money(month.expense_minor, code),
                net=money(month.income_minor - month.expense_minor, code),
                transaction_count=month.transaction_count,
            )
            for month in months
        ]

    @field(description="Totals per category and type over the months, largest total first.")
    def category_breakdown(
        self,
        info: strawberry.Info,
        from_: Annotated[str, strawberry.argument(name="from", description='First month, "YYYY-MM".')],
        to: Annotated[str, strawberry.argument(description='Last month, "YYYY-MM".')],
        type: Annotated[
            TransactionType | None, strawberry.argument(description="Only income or only expenses; both if null.")
        ] = None,
        currency: _CURRENCY = None,
        account_id: _ACCOUNT = None,
    ) -> list[CategoryTotal]:
        principal = current_principal(info, with_balance_version=True)
        code, rows = analytics.category_breakdown_cached(
            user=principal.user,
            version=principal.balance_version,
            start=from_,
            end=to,
            type=None if type is None else type.value,
            currency=currency,
            account_id=account_id,
        )
        return [
            CategoryTotal(
                category=row.category,
                type=TransactionType(row.type),
                total=money(row.total_minor, code),
                transaction_count=row.transaction_count,
            )
            for row in rows
        ]
