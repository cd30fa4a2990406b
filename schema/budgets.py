"""Budgets: monthly limits per expense category and the month's report (issue 13)."""

import strawberry


@strawberry.type
class BudgetQuery:
    pass


@strawberry.type
class BudgetMutation:
    pass
