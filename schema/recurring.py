"""Recurring rules and their upcoming occurrences (issue 13)."""

import strawberry


@strawberry.type
class RecurringQuery:
    pass


@strawberry.type
class RecurringMutation:
    pass
