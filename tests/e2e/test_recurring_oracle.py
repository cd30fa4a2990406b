"""Issue 13 end to end: recurring rules and budgets written through the API, the real Go binary run at clock steps
moved by configuration (LEDGER_TODAY or --today for the binary, settings.LEDGER_TODAY for the API), repeatedly and as
two processes at once on the same database (PostgreSQL's row locks, SQLite's BEGIN IMMEDIATE). After every step each
recorded transaction, balance, rule pointer and the upcoming projection, and at the end every month's budget report,
equal an oracle written here.

The oracle is independent of the system on purpose: its schedule arithmetic is calendar.monthrange and timedelta (not
ledger.schedules), its budget reports are sums over the raw expected transactions (not the rollups or the budget
selectors), and its recording is a plain simulation of the contract: each due occurrence (date <= today) of an active
rule is recorded once with the rule's amount, category and description of that moment; skipped occurrences never; a
paused rule records nothing and on resume goes on from the first occurrence on or after the resume day; a rule of an
archived account waits (stays due) until the account is unarchived; a deleted recorded transaction never comes back."""

import calendar
import datetime
import os
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger.models import RecurringOccurrence
from tests.conftest import GraphQLClient, create
from tests.e2e.test_aggregator import AGGREGATOR, database_url, finish, fmt
from tests.schema.test_accounts import ACCOUNTS, BALANCE_IN, NET_WORTH, REGISTER, UPDATE_ACCOUNT, open_account
from tests.schema.test_budgets import DELETE_BUDGET, REPORT, SET_BUDGET
from tests.schema.test_recurring_rules import CREATE_RULE, DELETE_RULE, PAUSE_RULE, RESUME_RULE, SKIP, UPDATE_RULE
from tests.schema.test_update_delete_transaction import DELETE

pytestmark = pytest.mark.e2e

Day = datetime.date
ONE_DAY = datetime.timedelta(days=1)
UPCOMING_DAYS = 60
FIRST_REPORT_MONTH, LAST_REPORT_MONTH = "2024-02", "2027-01"  # the first recorded occurrence to the last clock step

TRANSACTIONS = """
query All($after: String) {
  transactions(first: 500, after: $after) {
    edges { node { id date amount type category description account { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
RULES = "query { recurringRules { id description nextDate paused amount category } }"
UPCOMING = f"""
query {{
  upcoming(days: {UPCOMING_DAYS}) {{
    date amount rule {{ id }} transaction {{ id date amount type category description account {{ id }} }}
  }}
}}
"""


# --- the oracle's calendar ------------------------------------------------------------------------------------------


def months_after(day: Day, months: int) -> Day:
    """`day` moved by whole months, clamped to the target month's last day."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return Day(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def nth_occurrence(frequency: str, interval: int, start: Day, n: int) -> Day:
    steps = n * interval
    if frequency == "DAILY":
        return start + datetime.timedelta(days=steps)
    if frequency == "WEEKLY":
        return start + datetime.timedelta(weeks=steps)
    if frequency == "MONTHLY":
        return months_after(start, steps)
    assert frequency == "YEARLY"
    return months_after(start, 12 * steps)


def month_of(day: Day) -> str:
    return day.isoformat()[:7]


def month_range(first: str, last: str) -> list[str]:
    months, (year, month) = [], map(int, first.split("-"))
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def previous_month(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def category_key(category: str) -> str:
    return category.strip().casefold()


# --- the oracle's ledger ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Txn:
    """A transaction as the API answers it, without its id."""

    date: str
    amount: str
    type: str
    account: str
    category: str
    description: str

    @property
    def minor(self) -> int:
        units, _, cents = self.amount.partition(".")
        return int(units) * 100 + int(cents)


@dataclass
class Recorded:
    txn: Txn
    deleted: bool = False


@dataclass
class Rule:
    """One rule as told to the API, and what the contract says became of its occurrences."""

    currency: str
    amount: int
    type: str
    category: str
    description: str
    frequency: str
    interval: int
    start: Day
    end: Day | None = None
    count: int | None = None
    id: str = ""
    paused: bool = False
    deleted: bool = False
    next_from: Day = Day.min  # occurrences before it and not recorded were passed over for good
    skipped: set[Day] = field(default_factory=set)
    recorded: dict[Day, Recorded] = field(default_factory=dict)

    def dates(self, first: Day, last: Day) -> Iterator[Day]:
        n = 0
        while self.count is None or n < self.count:
            day = nth_occurrence(self.frequency, self.interval, self.start, n)
            if day > last or (self.end is not None and day > self.end):
                return
            if day >= first:
                yield day
            n += 1

    def next_date(self) -> Day | None:
        taken = self.skipped | set(self.recorded)
        return next((d for d in self.dates(self.next_from, Day.max) if d not in taken), None)


class Oracle:
    def __init__(self) -> None:
        self.account_ids: dict[str, str] = {}  # currency -> the API's account id
        self.opening: dict[str, int] = {}
        self.archived: set[str] = set()
        self.hand: list[Txn] = []
        self.rules: dict[str, Rule] = {}  # by name, in creation order
        # (currency, category key) -> month -> (spelling, amount, rollover): setBudget overwrites the months it covers.
        self.budgets: dict[tuple[str, str], dict[str, tuple[str, int, bool]]] = defaultdict(dict)

    def txn(self, currency: str, day: Day, amount: int, type_: str, category: str, description: str) -> Txn:
        return Txn(day.isoformat(), fmt(amount), type_, self.account_ids[currency], category.strip(), description)

    def record_due(self, today: Day) -> tuple[int, int]:
        """What one run of the binary does: (occurrences recorded, rules left waiting on an archived account)."""
        recorded = waiting = 0
        for rule in self.rules.values():
            if rule.paused or rule.deleted:
                continue
            due = [d for d in rule.dates(rule.next_from, today) if d not in rule.skipped and d not in rule.recorded]
            if rule.currency in self.archived:
                waiting += bool(due)
                continue
            for day in due:
                rule.recorded[day] = Recorded(
                    self.txn(rule.currency, day, rule.amount, rule.type, rule.category, rule.description)
                )
            recorded += len(due)
            rule.next_from = max(rule.next_from, today + ONE_DAY)
        return recorded, waiting

    def transactions(self) -> list[Txn]:
        return self.hand + [
            entry.txn for rule in self.rules.values() for entry in rule.recorded.values() if not entry.deleted
        ]

    def balances(self) -> dict[str, dict]:
        totals = {currency: {"income": 0, "expense": 0, "count": 0} for currency in self.account_ids}
        for txn in self.transactions():
            currency = next(c for c, account in self.account_ids.items() if account == txn.account)
            totals[currency][txn.type.lower()] += txn.minor
            totals[currency]["count"] += 1
        return {
            currency: {
                "currency": currency,
                "total": fmt(sums["income"] - sums["expense"]),
                "income": fmt(sums["income"]),
                "expense": fmt(sums["expense"]),
                "transactionCount": sums["count"],
                "accountBalance": fmt(self.opening[currency] + sums["income"] - sums["expense"]),
            }
            for currency, sums in totals.items()
        }

    def upcoming(self, today: Day) -> list[tuple]:
        last, found = today + datetime.timedelta(days=UPCOMING_DAYS), []
        live = [rule for rule in self.rules.values() if not rule.deleted and not rule.paused]
        for order, rule in enumerate(live):
            for day in rule.dates(today, last):
                if day in rule.recorded:
                    if not rule.recorded[day].deleted:
                        found.append((day, order, rule.id, rule.recorded[day].txn.amount, rule.recorded[day].txn))
                elif day not in rule.skipped and day >= rule.next_from:
                    found.append((day, order, rule.id, fmt(rule.amount), None))
        return [(day.isoformat(), rule_id, amount, txn) for day, _, rule_id, amount, txn in sorted(found)]

    def set_budget(
        self, currency: str, category: str, amount: int, first: str, last: str | None = None, rollover: bool = False
    ) -> None:
        for month in month_range(first, last or LAST_REPORT_MONTH):
            self.budgets[(currency, category_key(category))][month] = (category.strip(), amount, rollover)

    def delete_budget(self, currency: str, category: str, first: str, last: str) -> None:
        for month in month_range(first, last):
            del self.budgets[(currency, category_key(category))][month]

    def budget_report(self, month: str, currency: str) -> dict:
        spent: dict[tuple[str, str], int] = defaultdict(int)  # (month, category key) -> expenses in `currency`
        for txn in self.transactions():
            if txn.type == "EXPENSE" and txn.account == self.account_ids[currency]:
                spent[(txn.date[:7], category_key(txn.category))] += txn.minor
        budgeted = {key: by_month for (code, key), by_month in self.budgets.items() if code == currency}
        lines = []
        for key in sorted(key for key, by_month in budgeted.items() if month in by_month):
            by_month = budgeted[key]
            spelling, amount, rollover = by_month[month]
            carried, earlier = 0, previous_month(month)
            while rollover and earlier in by_month and by_month[earlier][2]:
                carried += by_month[earlier][1] - spent[(earlier, key)]
                earlier = previous_month(earlier)
            available = amount + carried - spent[(month, key)]
            lines.append(
                {
                    "category": spelling,
                    "budgeted": fmt(amount),
                    "carriedOver": fmt(carried),
                    "spent": fmt(spent[(month, key)]),
                    "available": fmt(available),
                    "overspent": available < 0,
                }
            )
        budgeted_keys = {key for key, by_month in budgeted.items() if month in by_month}
        return {
            "month": month,
            "currency": currency,
            "totalBudgeted": fmt(sum(budgeted[key][month][1] for key in budgeted_keys)),
            "totalSpent": fmt(sum(spent[(month, key)] for key in budgeted_keys)),
            "unbudgetedSpent": fmt(sum(t for (m, key), t in spent.items() if m == month and key not in budgeted_keys)),
            "lines": lines,
        }


# --- the system: the API and the binary -----------------------------------------------------------------------------


def run_binary(today: Day, *, at_once: int = 1, by_flag: bool = False) -> list[dict]:
    """`aggregator --once` with today given by LEDGER_TODAY in its environment (or by --today, the variable unset);
    `at_once` processes started together on the same database, then waited for. Their JSON reports."""
    assert AGGREGATOR.exists(), "go_aggregator/bin/aggregator is built by `make test`"
    env = {key: value for key, value in os.environ.items() if key != "LEDGER_TODAY"}
    args = [str(AGGREGATOR), "--database-url", database_url(), "--once"]
    if by_flag:
        args += ["--today", today.isoformat()]
    else:
        env["LEDGER_TODAY"] = today.isoformat()
    processes = [
        subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(at_once)
    ]
    return [finish(process) for process in processes]


def answered_txn(node: dict) -> Txn:
    return Txn(node["date"], node["amount"], node["type"], node["account"]["id"], node["category"], node["description"])


class System:
    """The API as one user sees it (the test client over /graphql/), moved along with the oracle."""

    def __init__(self, client: GraphQLClient, oracle: Oracle, settings: object) -> None:
        self.client, self.oracle, self.settings = client, oracle, settings
        self.today = Day.min

    def move_clock(self, today: Day) -> None:
        assert today > self.today
        self.today = self.settings.LEDGER_TODAY = today

    def mutate(self, query: str, variables: dict, root: str) -> dict:
        payload = self.client.data(query, variables)[root]
        assert payload["errors"] == [], payload["errors"]
        return payload

    def seed(self, currency: str, day: str, amount: int, type_: str, category: str, description: str) -> None:
        txn = self.oracle.txn(currency, Day.fromisoformat(day), amount, type_, category, description)
        create(
            self.client,
            txn.amount,
            type_,
            date=day,
            category=category,
            description=description,
            accountId=txn.account,
        )
        self.oracle.hand.append(txn)

    def create_rule(self, name: str, rule: Rule) -> None:
        fields = {
            "accountId": self.oracle.account_ids[rule.currency],
            "amount": fmt(rule.amount),
            "type": rule.type,
            "category": rule.category,
            "description": rule.description,
            "frequency": rule.frequency,
            "interval": rule.interval,
            "startDate": rule.start.isoformat(),
            "endDate": rule.end and rule.end.isoformat(),
            "count": rule.count,
        }
        rule.id = self.mutate(CREATE_RULE, {"input": fields}, "createRecurringRule")["rule"]["id"]
        self.oracle.rules[name] = rule

    def rule_change(self, query: str, name: str, root: str, **variables: object) -> None:
        self.mutate(query, {"id": self.oracle.rules[name].id, **variables}, root)

    def skip(self, name: str, day: Day) -> None:
        self.mutate(SKIP, {"ruleId": self.oracle.rules[name].id, "date": day.isoformat()}, "skipOccurrence")
        self.oracle.rules[name].skipped.add(day)

    def pause(self, name: str) -> None:
        self.rule_change(PAUSE_RULE, name, "pauseRecurringRule")
        self.oracle.rules[name].paused = True

    def resume(self, name: str) -> None:
        self.rule_change(RESUME_RULE, name, "resumeRecurringRule")
        rule = self.oracle.rules[name]
        rule.paused, rule.next_from = False, max(rule.next_from, self.today)

    def extend(self, name: str, count: int) -> None:
        """A new count; a schedule that had ended resumes at its first occurrence on or after today."""
        rule = self.oracle.rules[name]
        had_ended = rule.next_date() is None
        self.rule_change(UPDATE_RULE, name, "updateRecurringRule", input={"count": count})
        rule.count = count
        if had_ended:
            rule.next_from = max(rule.next_from, self.today)

    def delete_recorded(self, name: str, day: Day) -> None:
        entry = self.oracle.rules[name].recorded[day]
        (txn_id,) = [txn_id for txn_id, txn in self.transactions().items() if txn == entry.txn]
        self.mutate(DELETE, {"id": txn_id}, "deleteTransaction")
        entry.deleted = True

    def set_budget(
        self, currency: str, category: str, amount: int, first: str, last: str | None = None, rollover: bool = False
    ) -> str:
        budget = {"category": category, "amount": fmt(amount), "currency": currency, "fromMonth": first}
        budget.update(endMonth=last, rollover=rollover)
        self.oracle.set_budget(currency, category, amount, first, last, rollover)
        return self.mutate(SET_BUDGET, {"input": budget}, "setBudget")["budget"]["id"]

    def set_archived(self, currency: str, archived: bool) -> None:
        account_id = self.oracle.account_ids[currency]
        self.mutate(UPDATE_ACCOUNT, {"id": account_id, "input": {"archived": archived}}, "updateAccount")
        (self.oracle.archived.add if archived else self.oracle.archived.discard)(currency)

    def run(self, *, at_once: int = 1, by_flag: bool = False) -> None:
        """Run the binary at the current clock; the oracle records the same; then everything must agree."""
        reports = run_binary(self.today, at_once=at_once, by_flag=by_flag)
        recorded, waiting = self.oracle.record_due(self.today)
        for report in reports:
            assert report["recurring"]["today"] == self.today.isoformat()
            assert report["recurring"]["rules_failed"] == 0 and report["recurring"]["failures"] == []
            assert report["buckets_failed"] == 0
        self.assert_agrees()
        assert sum(report["recurring"]["occurrences_recorded"] for report in reports) == recorded
        assert [report["recurring"]["rules_waiting"] for report in reports] == [waiting] * at_once

    def transactions(self) -> dict[str, Txn]:
        """Every transaction of the user, through the API's pages: id -> fields."""
        found, after = {}, None
        while True:
            page = self.client.data(TRANSACTIONS, {"after": after})["transactions"]
            for edge in page["edges"]:
                found[edge["node"]["id"]] = answered_txn(edge["node"])
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def assert_agrees(self) -> None:
        """Transactions (per rule: each rule's description is its own), balances, rules and upcoming(60)."""
        got = self.transactions()
        by_description: dict[str, Counter] = defaultdict(Counter)
        for txn in got.values():
            by_description[txn.description][txn] += 1
        want: dict[str, Counter] = defaultdict(Counter)
        for txn in self.oracle.transactions():
            want[txn.description][txn] += 1
        assert by_description == want

        balances = self.oracle.balances()
        for currency, expected in balances.items():
            answer = self.client.data(BALANCE_IN, {"currency": currency})["balance"]
            assert answer == {k: v for k, v in expected.items() if k != "accountBalance"}
        accounts = self.client.data(ACCOUNTS, {"includeArchived": True})["accounts"]
        assert {a["id"]: (a["balance"], a["archived"]) for a in accounts} == {
            self.oracle.account_ids[c]: (b["accountBalance"], c in self.oracle.archived) for c, b in balances.items()
        }
        assert self.client.data(NET_WORTH)["netWorth"] == [
            {"currency": c, "total": balances[c]["accountBalance"]} for c in sorted(balances)
        ]

        answered = []
        for occurrence in self.client.data(UPCOMING)["upcoming"]:
            txn = occurrence["transaction"] and answered_txn(occurrence["transaction"])
            assert txn is None or got[occurrence["transaction"]["id"]] == txn  # one of the listed transactions
            answered.append((occurrence["date"], occurrence["rule"]["id"], occurrence["amount"], txn))
        assert answered == self.oracle.upcoming(self.today)

        # Each live rule's pointer (skipped occurrences passed over, null once ended), state and current values.
        rules = self.client.data(RULES)["recurringRules"]
        assert {r["description"]: (r["id"], r["nextDate"], r["paused"], r["amount"], r["category"]) for r in rules} == {
            rule.description: (
                rule.id,
                rule.next_date() and rule.next_date().isoformat(),
                rule.paused,
                fmt(rule.amount),
                rule.category,
            )
            for rule in self.oracle.rules.values()
            if not rule.deleted
        }

    def assert_occurrence_rows(self) -> None:
        """What each live rule knows of its occurrences (ledger.models.RecurringOccurrence): skipped, recorded (with
        the very transaction the API lists), or recorded and since deleted."""
        got = self.transactions()
        for rule in self.oracle.rules.values():
            rows = {
                row.date: "skipped" if row.skipped else (row.transaction_id and got[str(row.transaction_id)])
                for row in RecurringOccurrence.objects.filter(rule_id=rule.id)
            }
            want = {day: "skipped" for day in rule.skipped if not rule.deleted}
            if not rule.deleted:
                want.update({day: None if e.deleted else e.txn for day, e in rule.recorded.items()})
            assert rows == want, rule.description

    def assert_budget_reports(self, first: str = FIRST_REPORT_MONTH, last: str = LAST_REPORT_MONTH) -> None:
        for month in month_range(first, last):
            for currency in self.oracle.account_ids:
                report = self.client.data(REPORT, {"month": month, "currency": currency})["budgetReport"]
                assert report == self.oracle.budget_report(month, currency), (month, currency)


# --- the story ------------------------------------------------------------------------------------------------------


def rules() -> dict[str, Rule]:
    """Every frequency; month ends and 29 February; intervals over 1; a count and an end date; past starts (catch-up),
    a future start; each rule with a description of its own, so that its transactions are found by it."""
    return {
        "rent": Rule("EUR", 95_000, "EXPENSE", "Rent", "rule: rent", "MONTHLY", 1, Day(2025, 10, 31)),
        "insurance": Rule("USD", 12_000, "EXPENSE", "Insurance", "rule: insurance", "YEARLY", 1, Day(2024, 2, 29)),
        "coffee": Rule("EUR", 350, "EXPENSE", "Coffee", "rule: coffee", "DAILY", 3, Day(2026, 1, 10), count=10),
        "groceries": Rule(
            "USD", 4_520, "EXPENSE", "groceries", "rule: groceries", "WEEKLY", 2, Day(2026, 1, 5), end=Day(2026, 6, 30)
        ),
        "salary": Rule("EUR", 250_000, "INCOME", "Salary", "rule: salary", "MONTHLY", 1, Day(2025, 12, 25)),
        "gym": Rule("EUR", 1_200, "EXPENSE", "Gym", "rule: gym", "WEEKLY", 1, Day(2026, 1, 6)),
        "streaming": Rule("USD", 999, "EXPENSE", "Subscriptions", "rule: streaming", "MONTHLY", 2, Day(2025, 12, 30)),
        "newspaper": Rule("EUR", 240, "EXPENSE", "News", "rule: newspaper", "WEEKLY", 1, Day(2026, 1, 2)),
        "parking": Rule(
            "EUR", 200, "EXPENSE", "Parking", "rule: parking", "DAILY", 1, Day(2026, 2, 25), end=Day(2026, 3, 5)
        ),
        "dividend": Rule("USD", 3_100, "INCOME", "Dividends", "rule: dividend", "YEARLY", 2, Day(2025, 1, 31)),
    }


@pytest.mark.django_db(transaction=True)
def test_rules_budgets_and_the_binary_over_a_year_equal_the_oracle(settings) -> None:
    anonymous = GraphQLClient(http=Client())
    registered = anonymous.data(
        REGISTER,
        {"username": "oracle", "email": "oracle@example.com", "password": "correct horse 9", "currency": "EUR"},
    )["register"]
    assert registered["errors"] == []
    client = GraphQLClient(http=Client(), token=issue_token_pair(User.objects.get(username="oracle")).token)
    oracle = Oracle()
    system = System(client, oracle, settings)

    # 2026-01-20: two accounts, transactions by hand, the rules (several past starts to catch up), budgets.
    system.move_clock(Day(2026, 1, 20))
    (main,) = client.data(ACCOUNTS)["accounts"]
    system.mutate(UPDATE_ACCOUNT, {"id": main["id"], "input": {"openingBalance": "1000.00"}}, "updateAccount")
    card = open_account(client, "Dollar card", "USD", kind="CREDIT_CARD", openingBalance="-50.00")
    oracle.account_ids, oracle.opening = {"EUR": main["id"], "USD": card["id"]}, {"EUR": 100_000, "USD": -5_000}
    system.seed("EUR", "2025-12-05", 4_210, "EXPENSE", "Groceries", "hand: market")
    system.seed("EUR", "2026-01-03", 1_500, "EXPENSE", "RENT", "hand: rent fee")
    system.seed("EUR", "2026-01-12", 800, "EXPENSE", "coffee", "hand: espresso")
    system.seed("USD", "2025-11-20", 30_000, "INCOME", "Refund", "hand: refund")
    system.seed("USD", "2026-01-08", 6_350, "EXPENSE", "GROCERIES", "hand: big shop")
    for name, rule in rules().items():
        system.create_rule(name, rule)
    system.skip("coffee", Day(2026, 1, 22))  # counts toward its 10 occurrences
    system.set_budget("EUR", "Rent", 100_000, "2026-01", rollover=True)
    system.set_budget("EUR", "Coffee", 2_000, "2025-12", rollover=True)
    fun = system.set_budget("EUR", "Fun", 3_000, "2026-01")
    system.set_budget("EUR", "Gym", 5_000, "2026-02", rollover=True)
    system.set_budget("USD", "Groceries", 10_000, "2026-01", "2026-04", rollover=True)
    system.assert_agrees()
    system.run()

    # 2026-02-10: run twice (the second records nothing); a recorded transaction deleted; a budget split in two.
    system.move_clock(Day(2026, 2, 10))
    system.run()
    system.run()
    system.delete_recorded("rent", Day(2025, 11, 30))
    system.seed("EUR", "2026-02-08", 6_000, "EXPENSE", "Fun", "hand: concert")
    system.set_budget("EUR", "COFFEE", 500, "2026-02", "2026-02", rollover=True)
    system.assert_agrees()
    system.assert_budget_reports("2025-12", "2026-03")  # cached now: the binary's next recording must refresh them

    # 2026-03-01: gym paused (its occurrences since the last run are never recorded); salary changed for the future;
    # the coffee rule's count raised after it ended.
    system.move_clock(Day(2026, 3, 1))
    system.pause("gym")
    system.rule_change(UPDATE_RULE, "salary", "updateRecurringRule", input={"amount": "2600.00", "category": "Pay"})
    oracle.rules["salary"].amount, oracle.rules["salary"].category = 260_000, "Pay"
    system.extend("coffee", 20)  # ended on 6 February: goes on from 2 March, nothing from before today
    system.run(at_once=2)
    system.assert_budget_reports("2025-12", "2026-03")
    system.set_budget("EUR", "rent", 90_000, "2026-05", rollover=True)  # the rent chain goes on at a new amount

    # 2026-04-15: gym resumed today; the newspaper rule deleted (its transactions stay); the card archived.
    system.move_clock(Day(2026, 4, 15))
    system.resume("gym")
    system.rule_change(DELETE_RULE, "newspaper", "deleteRecurringRule")
    oracle.rules["newspaper"].deleted = True
    system.mutate(DELETE_BUDGET, {"id": fun}, "deleteBudget")
    oracle.delete_budget("EUR", "Fun", "2026-01", LAST_REPORT_MONTH)
    system.seed("USD", "2026-04-02", 2_000, "EXPENSE", "insurance", "hand: top-up")
    system.run(by_flag=True)
    system.set_archived("USD", True)
    system.set_budget("USD", "Groceries", 8_000, "2026-06", rollover=True)  # after a month without: starts at 0

    # 2026-07-31: the card's rules wait while it is archived (two binaries at once); unarchived, they catch up.
    system.move_clock(Day(2026, 7, 31))
    system.run(at_once=2)
    system.set_archived("USD", False)
    system.run(at_once=2)
    system.set_budget("EUR", "Gym", 4_000, "2026-06")  # no rollover from June: the chain starts again
    system.set_budget("EUR", "Gym", 4_500, "2026-09", rollover=True)

    # 2027-01-31: six months later; today's rent deleted, a future one skipped, the streaming paused: a last run
    # changes nothing.
    system.move_clock(Day(2027, 1, 31))
    system.run(at_once=2)
    system.delete_recorded("rent", Day(2027, 1, 31))
    system.skip("rent", Day(2027, 3, 31))
    system.pause("streaming")
    before = system.transactions()
    system.run()
    assert system.transactions() == before

    system.assert_occurrence_rows()
    system.assert_budget_reports()
