"""The recurring services and selectors called directly (the GraphQL tests cover the API): what only a Python caller
can send, and the pointer where occurrence rows already stand past it."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from ledger import selectors, services
from ledger.models import RecurringOccurrence, RecurringRule

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _today(settings) -> None:
    settings.LEDGER_TODAY = TODAY


def codes(error: ValidationError) -> list[tuple[str, str]]:
    return sorted((field, item.code) for field, items in error.error_dict.items() for item in items)


def create(user: User, **fields: object) -> RecurringRule:
    given = {"amount": "10.00", "type": "expense", "frequency": "monthly", "start_date": "2026-03-15", **fields}
    return services.recurring_rule_create(user=user, **given)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"frequency": "fortnightly"}, [("frequency", "INVALID_SCHEDULE")]),
        ({"interval": True}, [("interval", "INVALID_SCHEDULE")]),
        ({"interval": "2"}, [("interval", "INVALID_SCHEDULE")]),
        ({"interval": 2**31}, [("interval", "INVALID_SCHEDULE")]),
        ({"count": 2**31}, [("count", "INVALID_SCHEDULE")]),
        ({"type": "transfer"}, [("type", "INVALID_TYPE")]),
        ({"amount": 12.5}, [("amount", "INVALID_AMOUNT")]),
        ({"start_date": datetime.datetime(2026, 3, 15, 8, 0)}, [("start_date", "INVALID_DATE")]),
        ({"start_date": "nope", "end_date": "2026-01-01"}, [("start_date", "INVALID_DATE")]),
    ],
)
def test_create_refuses_what_only_python_can_send(alice: User, fields: dict, expected: list) -> None:
    with pytest.raises(ValidationError) as refused:
        create(alice, **fields)
    assert codes(refused.value) == expected
    assert RecurringRule.objects.count() == 0


def test_the_largest_interval_and_count_are_taken(alice: User) -> None:
    rule = create(alice, frequency="daily", interval=2**31 - 1, count=2**31 - 1)
    assert (rule.interval, rule.count, rule.next_date) == (2**31 - 1, 2**31 - 1, datetime.date(2026, 3, 15))
    # Its second occurrence is past year 9999: upcoming shows the first only.
    assert [o.date for o in selectors.upcoming_occurrences(user=alice, days=366)] == [datetime.date(2026, 3, 15)]


def test_an_extended_end_passes_over_occurrence_rows_already_standing(alice: User) -> None:
    """Occurrences 1 and 2 have rows (skipped while the schedule still had them); the schedule then ended at one
    occurrence and is extended again: the pointer moves past both rows."""
    rule = create(alice, start_date="2026-03-10")
    for day in ("2026-04-10", "2026-05-10"):
        services.occurrence_skip(user=alice, rule_id=rule.pk, date=day)
    services.recurring_rule_update(user=alice, rule_id=rule.pk, count=1)
    RecurringRule.objects.filter(pk=rule.pk).update(next_index=1, next_date=None)  # as if today's was recorded
    rule = services.recurring_rule_update(user=alice, rule_id=rule.pk, count=5)
    assert (rule.next_index, rule.next_date) == (3, datetime.date(2026, 6, 10))
    assert RecurringOccurrence.objects.filter(rule=rule, skipped=True).count() == 2


@pytest.mark.parametrize("days", [-1, 367, True, "30", 1.5])
def test_upcoming_refuses_days_out_of_range(alice: User, days: object) -> None:
    with pytest.raises(ValidationError) as refused:
        selectors.upcoming_occurrences(user=alice, days=days)
    assert codes(refused.value) == [("days", "INVALID_DAYS")]


def test_upcoming_near_the_end_of_year_9999(alice: User, settings) -> None:
    create(alice, frequency="daily", start_date="2026-03-10")
    settings.LEDGER_TODAY = datetime.date(9999, 12, 30)
    assert [o.date for o in selectors.upcoming_occurrences(user=alice, days=366)] == [
        datetime.date(9999, 12, 30),
        datetime.date(9999, 12, 31),
    ]
