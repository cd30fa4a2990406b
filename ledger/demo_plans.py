"""A demo person's budgets and recurring rules, planned from their generated transactions (ledger.demo_data); the
seeding writes them through the services (ledger.services.budget_set, recurring_rule_create).

Recurring rules: the rent (monthly on the 1st) and the salary (monthly on the 25th) take over those two series from
the first of last month: the generated rows stop there (`taken_over`), and the Go aggregator's first run records the
occurrences due since (catch-up), so they are in the ledger once, as they would be for a person who set the rules up
then. Beside them, a weekly climbing gym from the same day and a yearly home insurance first paid about a year ago,
due again within the next month (so the dashboard's next 30 days show it).

Budgets, from BUDGET_MONTHS_BACK months before this month on, sized from what the rows spend in those months and this
one so far: Groceries and Transport a quarter above the most any of those months spent, so they are under this
month; Dining, with rollover, at under a (months + 1)th of what the earlier months spent, so the overspending they
carry into this month makes it over, whatever this month spends. The recorded occurrences are in none of these
categories, so the budgets come out the same whether or not the aggregator has run.

Pure planning, no database: the same rows and the same day give the same plan.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from ledger.demo_ledger import MAIN, DemoRow
from ledger.models import Frequency, TransactionType
from ledger.validation import add_months, month_of

INCOME, EXPENSE = TransactionType.INCOME.value, TransactionType.EXPENSE.value
RENT_CATEGORY = "Rent"
PAYROLL_SUFFIX = " payroll"  # the salary's descriptions: "<employer> payroll" (the year-end bonus is not one)
SALARY_DAY = 25
INSURANCE_DUE_IN_DAYS = 20  # the insurance's next payment, counted from today
GYM_MINOR = 1_500
BUDGET_MONTHS_BACK = 3
_BUDGET_STEP = 1_000  # budgets in steps of 10.00
ROOMY_CATEGORIES = ("Groceries", "Transport")
TIGHT_CATEGORY = "Dining"


@dataclass(frozen=True)
class DemoRule:
    account_key: str  # ledger.demo_ledger's MAIN, SAVINGS, CARD or TRAVEL
    amount_minor: int
    type: str  # a TransactionType value
    category: str
    description: str
    frequency: str  # a Frequency value
    start_date: datetime.date


@dataclass(frozen=True)
class DemoBudget:
    category: str
    amount_minor: int  # per month, in the default currency
    from_month: str  # "YYYY-MM", open-ended
    rollover: bool


def rules_start(today: datetime.date) -> datetime.date:
    """The first of last month: where the rules take over the rent and the salary."""
    return datetime.date.fromisoformat(f"{add_months(month_of(today), -1)}-01")


def taken_over(row: DemoRow, today: datetime.date) -> bool:
    """Whether a generated row belongs to a series the rules record instead (rent or salary from rules_start on)."""
    return row[0] >= rules_start(today) and (row[3] == RENT_CATEGORY or row[4].endswith(PAYROLL_SUFFIX))


def demo_rules(*, series: list[DemoRow], today: datetime.date) -> list[DemoRule]:
    """The rules, from the generated recurring rows (`series`, which must hold this month's rent and pay, due or
    not): rent and salary at this month's amounts."""
    this_month = today.replace(day=1)
    rent = next(row for row in series if row[0] >= this_month and row[3] == RENT_CATEGORY)
    pay = next(row for row in series if row[0] >= this_month and row[4].endswith(PAYROLL_SUFFIX))
    start = rules_start(today)
    insurance = rent[1] * 40 // 100 // 100 * 100  # a year's home insurance: 40% of a month's rent, in whole units
    insurance_due = today + datetime.timedelta(days=INSURANCE_DUE_IN_DAYS)
    try:
        insurance_start = insurance_due.replace(year=insurance_due.year - 1)  # a year before its next payment
    except ValueError:  # 29 February: the 28th
        insurance_start = insurance_due.replace(year=insurance_due.year - 1, day=28)
    monthly, weekly, yearly = Frequency.MONTHLY.value, Frequency.WEEKLY.value, Frequency.YEARLY.value
    return [
        DemoRule(MAIN, rent[1], EXPENSE, RENT_CATEGORY, "Rent", monthly, start),
        DemoRule(MAIN, pay[1], INCOME, pay[3], pay[4], monthly, start.replace(day=SALARY_DAY)),
        DemoRule(MAIN, GYM_MINOR, EXPENSE, "Health", "Climbing gym", weekly, start),
        DemoRule(MAIN, insurance, EXPENSE, "Insurance", "Home insurance", yearly, insurance_start),
    ]


def demo_budgets(*, rows: list[DemoRow], today: datetime.date) -> list[DemoBudget]:
    """The budgets, sized from the expenses of `rows` (all in the default currency's accounts but travel, which is
    in none of these categories) from BUDGET_MONTHS_BACK months back to today."""
    months = [add_months(month_of(today), offset) for offset in range(-BUDGET_MONTHS_BACK, 1)]
    spent: dict[tuple[str, str], int] = defaultdict(int)
    for day, amount, kind, category, _ in rows:
        if kind == EXPENSE and month_of(day) >= months[0]:
            spent[category, month_of(day)] += amount
    budgets = []
    for category in ROOMY_CATEGORIES:
        most = max(spent[category, month] for month in months)
        roomy = -(-(most * 5 // 4) // _BUDGET_STEP) * _BUDGET_STEP  # rounded up
        budgets.append(DemoBudget(category, roomy, months[0], rollover=False))
    earlier = sum(spent[TIGHT_CATEGORY, month] for month in months[:-1])
    # Over the len(months) months, the budget allows at most 9/10 of what the earlier ones alone spent.
    tight = earlier * 9 // 10 // len(months) // _BUDGET_STEP * _BUDGET_STEP
    budgets.append(DemoBudget(TIGHT_CATEGORY, tight, months[0], rollover=True))
    return budgets
