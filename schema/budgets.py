"""Budgets: monthly limits per expense category and the month's report (issue 13). Thin resolvers over
ledger.services.budgets and ledger.selectors.budgets."""

from typing import Annotated

import strawberry

from ledger import selectors, services
from ledger.models import Budget as BudgetModel
from schema.context import current_principal, current_user
from schema.errors import FieldError, field, mutation
from schema.scalars import Money, money
from schema.types import DeletePayload


@strawberry.type(
    description="A monthly limit for one expense category in one currency, from startMonth (open-ended by default). "
    "A category's budget is a history of such rows that never overlap: setBudget from a later month ends the "
    "earlier amount the month before."
)
class Budget:
    id: strawberry.ID = strawberry.field(description="Random and stable; one period of the category's history.")
    category: str = strawberry.field(
        description="As given to setBudget; matches transactions' categories in any case (trimmed, case-folded)."
    )
    currency: str = strawberry.field(description="ISO 4217 code: only expenses of the caller's accounts in it count.")

    @strawberry.field(description="The limit per month, in the currency's digits; zero or more.")
    def amount(self, root: strawberry.Parent[BudgetModel]) -> Money:
        return money(root.amount_minor, root.currency)

    @strawberry.field(description='The first month it covers, "YYYY-MM".')
    def start_month(self, root: strawberry.Parent[BudgetModel]) -> str:
        return root.start_month

    @strawberry.field(description='The last month it covers, "YYYY-MM" (inclusive); null when open-ended.')
    def end_month(self, root: strawberry.Parent[BudgetModel]) -> str | None:
        return root.end_month

    @strawberry.field(
        description="Whether each month's remainder (or overspending) carries into the next month of the history, "
        "while the consecutive months are covered by rows with rollover."
    )
    def rollover(self, root: strawberry.Parent[BudgetModel]) -> bool:
        return root.rollover


@strawberry.type(description="One budgeted category in the report's month.")
class BudgetLine:
    figures: strawberry.Private[selectors.BudgetLineFigures]
    currency: strawberry.Private[str]

    @strawberry.field(description="The category as the budget spells it.")
    def category(self) -> str:
        return self.figures.category

    @strawberry.field(description="The budget's amount for the month.")
    def budgeted(self) -> Money:
        return money(self.figures.budgeted_minor, self.currency)

    @strawberry.field(
        description="Signed. With rollover: the sum of (budgeted - spent) over the earlier consecutive months of the "
        "category's history covered by rows with rollover (a month without a budget, or a row without rollover, "
        "starts again at 0); overspending carries as a negative amount. 0 without rollover."
    )
    def carried_over(self) -> Money:
        return money(self.figures.carried_over_minor, self.currency)

    @strawberry.field(
        description="The month's expenses in this category (any case) in all the caller's accounts of the currency; "
        "transfers never count."
    )
    def spent(self) -> Money:
        return money(self.figures.spent_minor, self.currency)

    @strawberry.field(description="Signed: budgeted + carriedOver - spent.")
    def available(self) -> Money:
        return money(self.figures.available_minor, self.currency)

    @strawberry.field(description="Whether available is below zero.")
    def overspent(self) -> bool:
        return self.figures.available_minor < 0


@strawberry.type(
    description="Budgets against spending in one month and currency. Exact whether or not the aggregator has run "
    "(rollups of clean months, live sums of dirty ones); cached under the caller's balance version, so never older "
    "than their last write."
)
class BudgetReport:
    figures: strawberry.Private[selectors.BudgetReportFigures]

    @strawberry.field(description='The month, "YYYY-MM".')
    def month(self) -> str:
        return self.figures.month

    @strawberry.field(description="ISO 4217 code of every amount in the report.")
    def currency(self) -> str:
        return self.figures.currency

    @strawberry.field(description="One line per budget covering the month in the currency, by category (any case).")
    def lines(self) -> list[BudgetLine]:
        return [BudgetLine(figures=line, currency=self.figures.currency) for line in self.figures.lines]

    @strawberry.field(description="The sum of the lines' budgeted (carried-over amounts not included).")
    def total_budgeted(self) -> Money:
        return money(self.figures.total_budgeted_minor, self.figures.currency)

    @strawberry.field(
        description="The sum of the lines' spent: expenses of the budgeted categories only (the month's other "
        "expenses are unbudgetedSpent)."
    )
    def total_spent(self) -> Money:
        return money(self.figures.total_spent_minor, self.figures.currency)

    @strawberry.field(description="The month's expenses in the currency in categories without a budget that month.")
    def unbudgeted_spent(self) -> Money:
        return money(self.figures.unbudgeted_spent_minor, self.figures.currency)


@strawberry.input(description="An amount for one category's budget over a range of months.")
class SetBudgetInput:
    category: str = strawberry.field(description="1-50 characters, like a transaction's; any case names one category.")
    amount: Money = strawberry.field(
        description='Per month, zero or more ("0": spend nothing), with at most the currency\'s digits.'
    )
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217 code; the default account's currency when omitted."
    )
    from_month: str = strawberry.field(description='The first month, "YYYY-MM" (1900-01 to 2999-12).')
    end_month: str | None = strawberry.field(
        default=None, description="The last month (inclusive), not before fromMonth; open-ended when omitted."
    )
    rollover: bool | None = strawberry.field(
        default=False,
        description="Carry each month's remainder (or overspending) into the next; false when omitted or null.",
    )


@strawberry.type(description="The result of setting a budget.")
class BudgetPayload:
    budget: Budget | None = strawberry.field(default=None, description="The new row; null when refused.")
    errors: list[FieldError] = strawberry.field(
        default_factory=list, description="Why the input was refused; empty on success."
    )


@strawberry.type
class BudgetQuery:
    @strawberry.field(
        description="Every budget row of the caller (each period of each category's history), by currency, "
        "category (any case) and start month."
    )
    def budgets(self, info: strawberry.Info) -> list[Budget]:
        return selectors.budget_list(user=current_user(info))

    @field(
        description="Budgets against spending in one month: a line per budget covering it in the currency. A bad "
        "month answers an INVALID_MONTH error, a bad currency INVALID_CURRENCY."
    )
    def budget_report(
        self,
        info: strawberry.Info,
        month: Annotated[str, strawberry.argument(description='The month, "YYYY-MM" (1900-01 to 2999-12).')],
        currency: Annotated[
            str | None, strawberry.argument(description="ISO 4217; the default account's currency when omitted.")
        ] = None,
    ) -> BudgetReport:
        principal = current_principal(info, with_balance_version=True)
        figures = selectors.budget_report(
            user=principal.user, month=month, currency=currency, version=principal.balance_version
        )
        return BudgetReport(figures=figures)


@strawberry.type
class BudgetMutation:
    @mutation(
        description="Budget an amount per month for a category from fromMonth to endMonth (open-ended when omitted), "
        "in one database transaction: rows of the category (any case) and currency overlapping those months are cut "
        "(a row starting before fromMonth ends the month before it, a row running past endMonth starts the month "
        "after it, one spanning both is split in two, rows inside are deleted), so earlier months keep their "
        "amounts; then the new row is inserted and answered. Every field error comes at once (INVALID_CATEGORY, "
        "INVALID_AMOUNT, INVALID_CURRENCY, INVALID_MONTH on fromMonth or endMonth); nothing is written then."
    )
    def set_budget(
        self, info: strawberry.Info, input: Annotated[SetBudgetInput, strawberry.argument(description="The budget.")]
    ) -> BudgetPayload:
        budget = services.budget_set(
            user=current_user(info),
            category=input.category,
            amount=input.amount,
            currency=input.currency,
            from_month=input.from_month,
            end_month=input.end_month,
            rollover=input.rollover,
        )
        return BudgetPayload(budget=budget)

    @mutation(description="Delete one budget row (one period of a category's history); NOT_FOUND for any other id.")
    def delete_budget(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="A budget's id.")]
    ) -> DeletePayload:
        return DeletePayload(deleted_id=services.budget_delete(user=current_user(info), budget_id=id))
