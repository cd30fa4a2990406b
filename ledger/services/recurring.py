"""Writes of recurring rules (issue 13). The Go aggregator records their due occurrences as transactions; these
services only change the rules, so they write no transaction, mark no bucket dirty and change no volume.

Each is one database transaction that bumps the user's balance version first and then locks the rule row: the same
lock order as the Go recorder (version row, then the rule), which re-reads the rule under those locks, so a rule
write and a recording of the same rule never interleave. Each write that changes a rule appends a RECURRING_RULE
change (ledger.changes); pausing a paused rule, like resuming an active one, writes nothing. The pointer and skips:
ledger.services.occurrences.
"""

import datetime

from django.db import transaction

from accounts.models import User
from ledger import clock, error_codes
from ledger.balance_cache import bump_balance_version
from ledger.changes import record_change
from ledger.currencies import currency_digits
from ledger.models import DEFAULT_CATEGORY, ChangeOperation, Frequency, RecurringOccurrence, RecurringRule
from ledger.money import parse_minor
from ledger.schedules import Schedule
from ledger.services.bookkeeping import (
    account_for_write,
    clean_idempotency_key,
    confirm_account,
    earlier_create,
    input_fingerprint,
    refuse_archived,
)
from ledger.services.occurrences import locked_rule, point_at, rule_schedule, rules_of
from ledger.validation import (
    clean_category,
    clean_description,
    invalid,
    merged_errors,
    parse_date,
    parse_transaction_date,
    parse_transaction_type,
)

# The columns are 32-bit on PostgreSQL, as GraphQL's Int is: the bound for callers other than the API.
MAX_INTERVAL_OR_COUNT = 2**31 - 1


def recurring_rule_create(
    *,
    user: User,
    amount: object,
    type: object,
    frequency: object,
    start_date: object,
    interval: object = None,
    end_date: object = None,
    count: object = None,
    category: object = None,
    description: object = None,
    account_id: object = None,
    idempotency_key: object = None,
) -> RecurringRule:
    """A rule that records `amount` into one of the user's active ledger accounts (the default one when `account_id`
    is None) every `interval` (1 when None) days / weeks / months / years from `start_date`, until `end_date` or
    `count` occurrences. Its pointer starts at occurrence 0 even when `start_date` is past: the Go aggregator then
    records every occurrence due up to today (catch-up). A retry with the same `idempotency_key` and the same input
    returns the first rule; the same key with other input is refused (IDEMPOTENCY_KEY_REUSED)."""
    with merged_errors() as errors:
        with errors.collect():
            target = account_for_write(user, account_id, field="account_id")
        digits = currency_digits(target.account.currency) if errors.ok else 2
        with errors.collect():
            amount_minor = parse_minor(amount, digits=digits)
        with errors.collect():
            type = parse_transaction_type(type)
        with errors.collect():
            category = clean_category(DEFAULT_CATEGORY if category is None else category)
        with errors.collect():
            description = clean_description("" if description is None else description)
        with errors.collect():
            schedule = _clean_schedule(frequency, interval, start_date, end_date, count)
        if idempotency_key is not None:
            with errors.collect():
                idempotency_key = clean_idempotency_key(idempotency_key)
        # With a key the archive check waits for the retry lookup (below, under the lock): a retry of a create that
        # succeeded before the account was archived answers with the first rule.
        if errors.ok and idempotency_key is None:
            with errors.collect():
                refuse_archived(target.account, field="account_id")
    fingerprint = None
    if idempotency_key is not None:
        fingerprint = input_fingerprint(
            amount_minor,
            type,
            description,
            category,
            schedule.frequency,
            schedule.interval,
            schedule.start_date.isoformat(),
            "" if schedule.end_date is None else schedule.end_date.isoformat(),
            "" if schedule.count is None else schedule.count,
            "" if account_id is None else target.account.pk.hex,
        )
    with transaction.atomic():
        version = bump_balance_version(user.pk)
        account = confirm_account(user, target, version)
        existing = earlier_create(rules_of(user), idempotency_key, fingerprint, what="recurring rule")
        if existing is not None:
            return existing
        refuse_archived(account, field="account_id")
        rule = RecurringRule.objects.create(
            user=user,
            account=account,
            amount_minor=amount_minor,
            type=type,
            category=category,
            description=description,
            frequency=schedule.frequency,
            interval=schedule.interval,
            start_date=schedule.start_date,
            end_date=schedule.end_date,
            count=schedule.count,
            next_index=0,
            next_date=schedule.date_at(0),
            idempotency_key=idempotency_key,
            idempotency_fingerprint=fingerprint,
        )
        record_change(user.pk, rule, ChangeOperation.CREATED)
        return rule


def recurring_rule_update(
    *,
    user: User,
    rule_id: object,
    amount: object = None,
    category: object = None,
    description: object = None,
    end_date: object = None,
    count: object = None,
) -> RecurringRule:
    """Change the given fields (None keeps a value: an end cannot be removed, only moved). Amount, category and
    description apply to occurrences recorded from now on; recorded ones keep theirs. A new `end_date` or `count`
    ends the schedule elsewhere: the pointer stays, and `next_date` becomes NULL when it is now past the end. A
    schedule that had ended and is extended resumes at its first occurrence on or after today: the occurrences
    between the old end and today were never part of it, so none is recorded after the fact."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        rule = locked_rule(user, rule_id)
        had_ended = rule.next_date is None
        with merged_errors() as errors:
            if amount is not None:
                with errors.collect():
                    rule.amount_minor = parse_minor(amount, digits=currency_digits(rule.account.currency))
            if category is not None:
                with errors.collect():
                    rule.category = clean_category(category)
            if description is not None:
                with errors.collect():
                    rule.description = clean_description(description)
            if end_date is not None or count is not None:
                with errors.collect():
                    schedule = _clean_schedule(
                        rule.frequency,
                        rule.interval,
                        rule.start_date,
                        rule.end_date if end_date is None else end_date,
                        rule.count if count is None else count,
                    )
                    rule.end_date, rule.count = schedule.end_date, schedule.count
                    start = rule.next_index
                    if had_ended:
                        start = max(start, schedule.first_index_on_or_after(clock.today()))
                    point_at(rule, start)
        rule.save()
        record_change(user.pk, rule, ChangeOperation.UPDATED)
    return rule


def recurring_rule_pause(*, user: User, rule_id: object) -> RecurringRule:
    """Stop recording the rule's occurrences (the Go aggregator passes paused rules by). Pausing a paused rule
    changes nothing."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        rule = locked_rule(user, rule_id)
        if rule.paused:
            transaction.set_rollback(True)  # nothing to write: not even the version bump
            return rule
        rule.paused = True
        rule.save(update_fields=["paused", "updated_at"])
        record_change(user.pk, rule, ChangeOperation.UPDATED)
    return rule


def recurring_rule_resume(*, user: User, rule_id: object) -> RecurringRule:
    """Record the rule's occurrences again, from its first occurrence on or after today that is neither recorded
    nor skipped: the ones that fell due while it was paused are never recorded. Resuming an active rule changes
    nothing."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        rule = locked_rule(user, rule_id)
        if not rule.paused:
            transaction.set_rollback(True)
            return rule
        rule.paused = False
        point_at(rule, max(rule.next_index, rule_schedule(rule).first_index_on_or_after(clock.today())))
        rule.save(update_fields=["paused", "next_index", "next_date", "updated_at"])
        record_change(user.pk, rule, ChangeOperation.UPDATED)
    return rule


def recurring_rule_delete(*, user: User, rule_id: object) -> str:
    """Delete the rule and what it knew of its occurrences; the transactions it recorded stay. Returns its id."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        rule = locked_rule(user, rule_id)
        deleted_id = str(rule.pk)
        record_change(user.pk, rule, ChangeOperation.DELETED)  # before delete(), which forgets the id
        RecurringOccurrence.objects.filter(rule=rule).delete()
        rule.delete()
    return deleted_id


def _clean_schedule(
    frequency: object, interval: object, start_date: object, end_date: object, count: object
) -> Schedule:
    """Every problem of a schedule at once: dates that are not dates or (the start) outside the ledger's dates are
    INVALID_DATE; a frequency that is not one, an interval or count under 1, an end before the start are
    INVALID_SCHEDULE."""
    with merged_errors() as errors:
        with errors.collect():
            frequency = _parse_frequency(frequency)
        with errors.collect():
            interval = _positive(1 if interval is None else interval, field="interval")
        with errors.collect():
            start_date = parse_transaction_date(start_date, field="start_date")
        if count is not None:
            with errors.collect():
                count = _positive(count, field="count")
        if end_date is not None:
            with errors.collect():
                end_date = parse_date(end_date, field="end_date")
                if isinstance(start_date, datetime.date) and end_date < start_date:
                    raise invalid(
                        "end_date",
                        f"The end date {end_date.isoformat()} is before the start date {start_date.isoformat()}.",
                        error_codes.INVALID_SCHEDULE,
                    )
    return Schedule(frequency, interval, start_date, end_date, count)


def _parse_frequency(raw: object) -> str:
    try:
        return Frequency(raw).value
    except ValueError:
        raise invalid("frequency", "Must be DAILY, WEEKLY, MONTHLY or YEARLY.", error_codes.INVALID_SCHEDULE) from None


def _positive(raw: object, *, field: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_INTERVAL_OR_COUNT:
        raise invalid(field, f"Must be a whole number from 1 to {MAX_INTERVAL_OR_COUNT}.", error_codes.INVALID_SCHEDULE)
    return raw
