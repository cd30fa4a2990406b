"""Recurring rules and their upcoming occurrences (issue 13): parse the input, call one service or selector, map the
result (schema.errors maps refusals). Types and inputs: schema.recurring_types."""

from typing import Annotated

import strawberry

from ledger import selectors, services
from schema.context import current_user
from schema.errors import field, mutation
from schema.inputs import given_fields
from schema.recurring_types import (
    CreateRecurringRuleInput,
    Occurrence,
    RecurringRule,
    RecurringRulePayload,
    UpdateRecurringRuleInput,
)
from schema.scalars import Day
from schema.types import DeletePayload

_RULE_ID = Annotated[strawberry.ID, strawberry.argument(description="One of the caller's recurring rules.")]


@strawberry.type
class RecurringQuery:
    @strawberry.field(description="The caller's recurring rules, oldest first (by start date, then creation).")
    def recurring_rules(self, info: strawberry.Info) -> list[RecurringRule]:
        return selectors.recurring_rules(user=current_user(info))

    @field(
        description="The occurrences of the caller's active (not paused) rules from today to `days` days after it "
        "(server time zone), by date, then by rule in creation order: recorded ones with their transaction, and "
        "the ones still to be recorded. Skipped occurrences and those whose transaction was deleted are left out. "
        f"At most {selectors.MAX_UPCOMING_OCCURRENCES}, the earliest. `days` out of range answers an INVALID_DAYS "
        "error."
    )
    def upcoming(
        self,
        info: strawberry.Info,
        days: Annotated[
            int | None,
            strawberry.argument(description=f"0 (today only) to {selectors.MAX_UPCOMING_DAYS}; 30 when null."),
        ] = 30,
    ) -> list[Occurrence]:
        occurrences = selectors.upcoming_occurrences(user=current_user(info), days=days)
        return [Occurrence.of(occurrence) for occurrence in occurrences]


@strawberry.type
class RecurringMutation:
    @mutation(
        description="Create a recurring rule. Its occurrences from startDate on are recorded as they fall due, past "
        "ones included (catch-up)."
    )
    def create_recurring_rule(
        self,
        info: strawberry.Info,
        input: Annotated[CreateRecurringRuleInput, strawberry.argument(description="The new rule.")],
    ) -> RecurringRulePayload:
        rule = services.recurring_rule_create(
            user=current_user(info),
            account_id=input.account_id,
            amount=input.amount,
            type=input.type.value,
            category=input.category,
            description=input.description,
            frequency=input.frequency.value,
            interval=input.interval,
            start_date=input.start_date,
            end_date=input.end_date,
            count=input.count,
            idempotency_key=input.idempotency_key,
        )
        return RecurringRulePayload(rule=rule)

    @mutation(description="Change a rule's amount, category, description or end; recorded occurrences keep theirs.")
    def update_recurring_rule(
        self,
        info: strawberry.Info,
        id: _RULE_ID,
        input: Annotated[UpdateRecurringRuleInput, strawberry.argument(description="Only the fields to change.")],
    ) -> RecurringRulePayload:
        given = given_fields(input, ("amount", "category", "description", "end_date", "count"))
        return RecurringRulePayload(rule=services.recurring_rule_update(user=current_user(info), rule_id=id, **given))

    @mutation(description="Stop recording a rule's occurrences; pausing a paused rule changes nothing.")
    def pause_recurring_rule(self, info: strawberry.Info, id: _RULE_ID) -> RecurringRulePayload:
        return RecurringRulePayload(rule=services.recurring_rule_pause(user=current_user(info), rule_id=id))

    @mutation(
        description="Record a paused rule's occurrences again, from its first one on or after today: those that "
        "fell due while it was paused are never recorded. Resuming an active rule changes nothing."
    )
    def resume_recurring_rule(self, info: strawberry.Info, id: _RULE_ID) -> RecurringRulePayload:
        return RecurringRulePayload(rule=services.recurring_rule_resume(user=current_user(info), rule_id=id))

    @mutation(description="Delete a rule; the transactions it recorded stay.")
    def delete_recurring_rule(self, info: strawberry.Info, id: _RULE_ID) -> DeletePayload:
        return DeletePayload(deleted_id=services.recurring_rule_delete(user=current_user(info), rule_id=id))

    @mutation(
        description="Never record one occurrence of a rule: `date` must be one of its occurrences not yet recorded "
        "(INVALID_SCHEDULE otherwise). Skipping a skipped occurrence changes nothing."
    )
    def skip_occurrence(
        self,
        info: strawberry.Info,
        rule_id: _RULE_ID,
        date: Annotated[Day, strawberry.argument(description="The occurrence's date.")],
    ) -> RecurringRulePayload:
        rule = services.occurrence_skip(user=current_user(info), rule_id=rule_id, date=date)
        return RecurringRulePayload(rule=rule)
