"""Types and inputs of recurring rules and their occurrences (issue 13). Amounts are in the rule's account's
currency, with its digits."""

import enum

import strawberry

from ledger import selectors
from ledger.models import Frequency as FrequencyChoice
from ledger.models import RecurringRule as RecurringRuleModel
from schema.account_types import Account
from schema.errors import FieldError
from schema.scalars import Day, Money, money
from schema.types import Transaction, TransactionType

_ERRORS = "Why the input was refused; empty on success."


@strawberry.enum(description="The unit of a recurring rule's interval.")
class Frequency(enum.Enum):
    DAILY = strawberry.enum_value(FrequencyChoice.DAILY.value, description="Every `interval` days.")
    WEEKLY = strawberry.enum_value(FrequencyChoice.WEEKLY.value, description="Every `interval` weeks.")
    MONTHLY = strawberry.enum_value(
        FrequencyChoice.MONTHLY.value,
        description="Every `interval` months, on the start date's day: on the last day of shorter months (a rule "
        "on the 31st falls on 30 April and back on 31 May).",
    )
    YEARLY = strawberry.enum_value(
        FrequencyChoice.YEARLY.value,
        description="Every `interval` years, on the start date's day and month (29 February falls on 28 February in "
        "other years).",
    )


@strawberry.type(
    description="An income or expense that repeats. Its due occurrences (up to today, server time zone) are recorded "
    "as ordinary transactions by the batch program, each once; deleting such a transaction does not bring the "
    "occurrence back. Editing a rule changes the occurrences not yet recorded only."
)
class RecurringRule:
    id: strawberry.ID = strawberry.field(description="Random and stable.")
    category: str = strawberry.field(description='Trimmed, 1-50 characters; "Other" by default.')
    description: str = strawberry.field(description="Free text, up to 255 characters.")
    interval: int = strawberry.field(
        description="How many days, weeks, months or years between occurrences; 1 or more."
    )
    count: int | None = strawberry.field(description="How many occurrences in all (null: no limit but endDate).")
    paused: bool = strawberry.field(
        description="A paused rule records nothing. Resuming continues from its first occurrence on or after the day "
        "it resumes: the ones that fell due while it was paused are never recorded."
    )

    @strawberry.field(
        description="The ledger account its transactions go to. While it is archived, due occurrences wait; they "
        "are recorded once it is unarchived."
    )
    def account(self, root: strawberry.Parent[RecurringRuleModel]) -> Account:
        return root.account

    @strawberry.field(description="What each occurrence records from now on; positive, in the account's currency.")
    def amount(self, root: strawberry.Parent[RecurringRuleModel]) -> Money:
        return money(root.amount_minor, root.account.currency)

    @strawberry.field(description="Income or expense.")
    def type(self, root: strawberry.Parent[RecurringRuleModel]) -> TransactionType:
        return TransactionType(root.type)

    @strawberry.field(description="The unit of the interval.")
    def frequency(self, root: strawberry.Parent[RecurringRuleModel]) -> Frequency:
        return Frequency(root.frequency)

    @strawberry.field(description="The first occurrence's date; every later one is counted from it.")
    def start_date(self, root: strawberry.Parent[RecurringRuleModel]) -> Day:
        return root.start_date

    @strawberry.field(description="No occurrence after this date (inclusive); null: no end but count.")
    def end_date(self, root: strawberry.Parent[RecurringRuleModel]) -> Day | None:
        return root.end_date

    @strawberry.field(
        description="The date of the next occurrence that will be recorded (skipped ones passed over); it may be "
        "past for a rule that catches up on a past start date. Null once the schedule has ended."
    )
    def next_date(self, root: strawberry.Parent[RecurringRuleModel]) -> Day | None:
        return root.next_date


# Plain fields filled in `of` rather than resolvers: `upcoming` answers up to 2,000 of these, and Strawberry runs a
# plain field without its resolver machinery (bench/http/profile.py upcoming).
@strawberry.type(description="One occurrence of a recurring rule: recorded, or to be recorded on its date.")
class Occurrence:
    date: Day = strawberry.field(description="The day it falls on (and the recorded transaction's date).")
    rule: RecurringRule = strawberry.field(description="The rule it belongs to.")
    amount: Money = strawberry.field(
        description="The recorded transaction's amount once recorded, else the rule's current amount; in the "
        "account's currency."
    )
    transaction: Transaction | None = strawberry.field(
        description="The transaction it recorded; null until it is recorded."
    )

    @classmethod
    def of(cls, occurrence: selectors.Occurrence) -> "Occurrence":
        return cls(
            date=occurrence.date,
            rule=occurrence.rule,
            amount=money(occurrence.amount_minor, occurrence.rule.account.currency),
            transaction=occurrence.transaction,
        )


@strawberry.type(description="The result of creating or changing a recurring rule.")
class RecurringRulePayload:
    rule: RecurringRule | None = strawberry.field(default=None, description="The rule as stored; null when refused.")
    errors: list[FieldError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.input(description="A new recurring rule.")
class CreateRecurringRuleInput:
    account_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="One of the caller's ledger accounts (not archived); the default account when omitted. The "
        "amount is in its currency.",
    )
    amount: Money = strawberry.field(
        description='Positive, with at most the account currency\'s digits: "12.50" USD, "1200" JPY.'
    )
    type: TransactionType = strawberry.field(description="Income or expense.")
    category: str | None = strawberry.field(default=None, description='1-50 characters; "Other" when omitted.')
    description: str | None = strawberry.field(default=None, description="Up to 255 characters.")
    frequency: Frequency = strawberry.field(description="The unit of the interval.")
    interval: int | None = strawberry.field(
        default=1, description="Days, weeks, months or years between occurrences; 1 or more (1 when null)."
    )
    start_date: Day = strawberry.field(
        description="The first occurrence, 1900-01-01 to 2999-12-31. It may be past: every occurrence from it up "
        "to today is then recorded too (catch-up), by the batch program's next run."
    )
    end_date: Day | None = strawberry.field(
        default=None, description="No occurrence after this date; not before startDate. Null: no end date."
    )
    count: int | None = strawberry.field(default=None, description="How many occurrences in all; 1 or more.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key and the same input returns the first rule instead of a second; the "
        "same key with other input is refused with IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.input(
    description="Fields to change; omitted or null fields keep their value (so an end date or count can be moved "
    "but not removed: give a far endDate or a large count). Changes apply to occurrences not yet recorded."
)
class UpdateRecurringRuleInput:
    amount: Money | None = strawberry.field(
        default=strawberry.UNSET, description="Positive, in the account currency's digits."
    )
    category: str | None = strawberry.field(default=strawberry.UNSET, description="1-50 characters.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Up to 255 characters.")
    end_date: Day | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new end, not before startDate. nextDate becomes null when the next occurrence is now past it; "
        "a schedule that had ended and is extended resumes at its first occurrence on or after today.",
    )
    count: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new number of occurrences in all (recorded ones included), 1 or more; as endDate otherwise.",
    )
