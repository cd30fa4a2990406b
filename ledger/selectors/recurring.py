"""Reads of recurring rules and the projection of their occurrences (issue 13), scoped to the rules' owner."""

import datetime
import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from accounts.models import User
from ledger import clock, error_codes
from ledger.models import RecurringOccurrence, RecurringRule, Transaction
from ledger.services.occurrences import rule_schedule, rules_of
from ledger.validation import invalid

DEFAULT_UPCOMING_DAYS = 30
MAX_UPCOMING_DAYS = 366
# A daily rule has 367 occurrences in the longest window: the answer is bounded by this, not by the number of rules.
MAX_UPCOMING_OCCURRENCES = 2000


def recurring_rules(*, user: User) -> list[RecurringRule]:
    """The user's rules with their accounts (one query), oldest first: by start date, then creation."""
    return list(rules_of(user).select_related("account").order_by("start_date", "created_at", "id"))


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a rule: recorded (`transaction` set) or still to be recorded (None)."""

    date: datetime.date
    rule: RecurringRule
    transaction: Transaction | None

    @property
    def amount_minor(self) -> int:
        """What it records: the transaction's amount once recorded, else the rule's current amount (both in the
        account's currency: a transaction only moves to an account of its currency)."""
        return self.rule.amount_minor if self.transaction is None else self.transaction.amount_minor


def upcoming_occurrences(*, user: User, days: object = None) -> list[Occurrence]:
    """The occurrences dated from today to `days` (30 when None; 0 to 366, INVALID_DAYS otherwise) days after it of
    the user's active (not paused) rules, by date and then by rule in creation order: the ones recorded (with their
    transaction) and the ones still to be recorded. Skipped occurrences, those whose recorded transaction was
    deleted and those passed over (paused, or before an extended end) are left out. At most
    MAX_UPCOMING_OCCURRENCES, the earliest.

    Two queries whatever the number of rules: the rules with their accounts, and the occurrence rows in the window
    with their transactions."""
    days = DEFAULT_UPCOMING_DAYS if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_UPCOMING_DAYS:
        raise invalid("days", f"Must be from 0 to {MAX_UPCOMING_DAYS}.", error_codes.INVALID_DAYS)
    first = clock.today()
    try:
        last = first + datetime.timedelta(days=days)
    except OverflowError:  # a LEDGER_TODAY near the end of year 9999
        last = datetime.date.max
    rules = rules_of(user).filter(paused=False).select_related("account")
    rows = RecurringOccurrence.objects.filter(
        rule__user_id=user.pk, rule__paused=False, date__gte=first, date__lte=last
    ).select_related("transaction__account")
    known = {(row.rule_id, row.date): row for row in rows}
    projections = [
        _projected(rule, order, known, first, last) for order, rule in enumerate(rules.order_by("created_at", "id"))
    ]
    merged = heapq.merge(*projections)  # each yields (date, order, occurrence): ordered, never compares two rules
    return [occurrence for _, _, occurrence in itertools.islice(merged, MAX_UPCOMING_OCCURRENCES)]


def _projected(
    rule: RecurringRule,
    order: int,
    known: dict[tuple[object, datetime.date], RecurringOccurrence],
    first: datetime.date,
    last: datetime.date,
) -> Iterator[tuple[datetime.date, int, Occurrence]]:
    for index, day in rule_schedule(rule).occurrences(first, last):
        row = known.get((rule.pk, day))
        if row is None:
            # Without a row: still to be recorded from the pointer on; before it, passed over for good.
            if index >= rule.next_index:
                yield day, order, Occurrence(day, rule, None)
        elif row.transaction is not None:
            yield day, order, Occurrence(day, rule, row.transaction)
