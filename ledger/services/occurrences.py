"""The occurrences of recurring rules (issue 13): what the rule's pointer (`next_index`, `next_date`; see
ledger.models.RecurringRule) means and the one place that moves it here, and skipping an occurrence.

The pointer only moves forward, to the first occurrence from some index on that has no RecurringOccurrence row
(neither recorded nor skipped). Writes bump the user's balance version first and then lock the rule row, the Go
recorder's lock order (ledger.services.recurring); a skip is a RECURRING_RULE UPDATED change (ledger.changes).
"""

from django.db import models, transaction

from accounts.models import User
from ledger import error_codes
from ledger.balance_cache import bump_balance_version
from ledger.changes import record_change
from ledger.models import ChangeOperation, RecurringOccurrence, RecurringRule
from ledger.schedules import Schedule
from ledger.services.bookkeeping import owned_for_update
from ledger.validation import invalid, parse_date


def rule_schedule(rule: RecurringRule) -> Schedule:
    """The dates of the rule's occurrences (ledger.schedules, the one implementation of the arithmetic)."""
    return Schedule(rule.frequency, rule.interval, rule.start_date, rule.end_date, rule.count)


def occurrence_skip(*, user: User, rule_id: object, date: object) -> RecurringRule:
    """Never record the rule's occurrence on `date`, which must be one of its occurrences not yet recorded (the
    pointer's or a later one; INVALID_SCHEDULE on "date" otherwise). Skipping the pointer's occurrence moves the
    pointer past it and past the skipped ones after it. Skipping a skipped occurrence changes nothing."""
    day = parse_date(date, field="date")
    with transaction.atomic():
        bump_balance_version(user.pk)
        rule = locked_rule(user, rule_id, field="rule_id")
        row = RecurringOccurrence.objects.filter(rule=rule, date=day).first()
        if row is not None and row.skipped:
            transaction.set_rollback(True)
            return rule
        schedule = rule_schedule(rule)
        index = schedule.first_index_on_or_after(day)
        if row is not None or index < rule.next_index or schedule.date_at(index) != day:
            raise invalid(
                "date",
                f"{day.isoformat()} is not one of this rule's occurrences still to be recorded.",
                error_codes.INVALID_SCHEDULE,
            )
        RecurringOccurrence.objects.create(rule=rule, date=day, skipped=True)
        if index == rule.next_index:
            point_at(rule, index)
            rule.save(update_fields=["next_index", "next_date", "updated_at"])
        # A RECURRING_RULE change even when the pointer stays: what the rule will record changed.
        record_change(user.pk, rule, ChangeOperation.UPDATED)
    return rule


def point_at(rule: RecurringRule, index: int) -> None:
    """Move the rule's pointer to its first occurrence from `index` on without an occurrence row (a skipped one, or
    one recorded before an end was moved back and forth); `next_date` None when the schedule ends first."""
    schedule = rule_schedule(rule)
    day = schedule.date_at(index)
    if day is not None:
        taken = set(RecurringOccurrence.objects.filter(rule=rule, date__gte=day).values_list("date", flat=True))
        while day in taken:
            index += 1
            day = schedule.date_at(index)
    rule.next_index, rule.next_date = index, day


def rules_of(user: User) -> models.QuerySet:
    """The one scope of the user's rules."""
    return RecurringRule.objects.filter(user_id=user.pk)


def locked_rule(user: User, rule_id: object, *, field: str = "id") -> RecurringRule:
    """The user's rule with this id (and its account), locked for the write; NOT_FOUND on `field` otherwise."""
    return owned_for_update(rules_of(user).select_related("account"), rule_id, what="recurring rule", field=field)
