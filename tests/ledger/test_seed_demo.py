"""`manage.py seed_demo`: realistic data that keeps the ledger's invariants (cached figures, volume, dirty months),
in a few ledger accounts and two currencies with transfers between them, with budgets and recurring rules."""

import datetime
import io
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.test import Client
from django.utils import timezone

from accounts.models import User
from ledger import clock
from ledger.demo_data import DEMO_PASSWORD
from ledger.demo_ledger import CARD_CATEGORIES, TRAVEL_CATEGORY
from ledger.models import Account, BalanceVersion, Budget, DirtyBucket, RecurringRule, Transaction, Transfer
from ledger.money import format_amount, from_minor
from tests.conftest import BALANCE, GraphQLClient

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token errors { code } } }"
MONTHLY = "query($from: String!, $to: String!) { monthlySummary(from: $from, to: $to) { month income expense transactionCount } }"
ACCOUNTS = """{
  me { defaultAccount { name } }
  accounts { id name kind currency openingBalance balance entries(first: 1) { totalCount edges { node { runningBalance } } } }
  netWorth { currency total }
}"""


def seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def log_in(username: str) -> GraphQLClient:
    client = GraphQLClient(http=Client())
    login = client.data(LOGIN, {"u": username, "p": DEMO_PASSWORD})["login"]
    assert login["errors"] == []
    return GraphQLClient(http=Client(), token=login["token"])


def money(minor: int) -> str:
    return format_amount(from_minor(minor))


def test_seeded_users_log_in_and_the_api_agrees_with_their_rows(db: None) -> None:
    output = seed(users=2, transactions=400)
    assert "demo1, demo2" in output and DEMO_PASSWORD in output
    assert "6 budgets and 8 recurring rules for 2 users" in output
    for username in ("demo1", "demo2"):
        user = User.objects.get(username=username)
        assert Transaction.objects.filter(user=user).count() == 400
        # balance and monthlySummary cover the default account's currency (USD); the travel account is in EUR.
        rows = Transaction.objects.filter(user=user, account__currency="USD")
        count = rows.count()
        assert 0 < count < 400
        totals = dict(rows.order_by().values_list("type").annotate(total=Sum("amount_minor")))
        client = log_in(username)
        assert client.data(BALANCE)["balance"] == {
            "total": money(totals["income"] - totals["expense"]),
            "income": money(totals["income"]),
            "expense": money(totals["expense"]),
            "transactionCount": count,
        }
        # Every month with rows is dirty, so monthlySummary aggregates them live: it must equal a fresh aggregation.
        expected: dict[str, dict] = defaultdict(lambda: {"income": 0, "expense": 0, "count": 0})
        for day, kind, total, count in (
            rows.order_by().values_list("date", "type").annotate(total=Sum("amount_minor"), count=Count("id"))
        ):
            bucket = expected[f"{day:%Y-%m}"]
            bucket[kind] += total
            bucket["count"] += count
        months = sorted(expected)
        assert set(DirtyBucket.objects.filter(user=user).values_list("month", flat=True)) >= set(months)
        assert BalanceVersion.objects.get(user=user).version >= 1
        summary = client.data(MONTHLY, {"from": months[0], "to": months[-1]})["monthlySummary"]
        assert [row for row in summary if row["transactionCount"]] == [
            {
                "month": month,
                "income": money(expected[month]["income"]),
                "expense": money(expected[month]["expense"]),
                "transactionCount": expected[month]["count"],
            }
            for month in months
        ]


def test_the_data_has_the_shape_of_a_real_year(db: None) -> None:
    seed(users=1, transactions=2000)
    rows = Transaction.objects.filter(user__username="demo1")
    assert not rows.filter(date__gt=timezone.localdate()).exists()

    def months_of(category: str) -> set[int]:
        return {day.month for day in rows.filter(category=category).values_list("date", flat=True)}

    def average_heating(months: list[int]) -> int:
        heating = rows.filter(description="Heating (gas)", date__month__in=months)
        return heating.aggregate(total=Sum("amount_minor"))["total"] // heating.count()

    assert months_of("Gifts") == {12}
    assert months_of("Travel") <= {6, 7, 8}
    assert months_of("Salary") == set(range(1, 13))
    assert average_heating([1, 2]) > 2 * average_heating([7, 8])
    assert rows.filter(description="Weekly groceries").count() >= 4 * 12


def test_seeding_again_refuses_unless_reset(db: None) -> None:
    seed(users=1, transactions=50)
    first = User.objects.get(username="demo1").pk
    with pytest.raises(CommandError, match="already exist.*--reset"):
        seed(users=1, transactions=50)
    assert Transaction.objects.count() == 50
    seed(users=1, transactions=60, reset=True)
    assert User.objects.get(username="demo1").pk != first
    assert Transaction.objects.count() == 60
    log_in("demo1")


def test_seeded_users_have_accounts_in_two_currencies_whose_balances_the_api_agrees_with(db: None) -> None:
    seed(users=2, transactions=400)
    for username in ("demo1", "demo2"):
        user = User.objects.get(username=username)
        accounts = {account.name: account for account in Account.objects.filter(user=user)}
        assert set(accounts) == {"Main", "Savings", "Credit card", "Travel (EUR)"}
        assert {name: account.currency for name, account in accounts.items()} == {
            "Main": "USD",
            "Savings": "USD",
            "Credit card": "USD",
            "Travel (EUR)": "EUR",
        }
        assert [name for name, account in accounts.items() if account.is_default] == ["Main"]
        assert accounts["Credit card"].opening_balance_minor < 0
        # The transactions where a person keeps them: card purchases on the card, trips in the travel account.
        categories = {
            name: set(Transaction.objects.filter(account=account).values_list("category", flat=True))
            for name, account in accounts.items()
        }
        assert categories["Credit card"] and categories["Credit card"] <= CARD_CATEGORIES
        assert categories["Travel (EUR)"] == {TRAVEL_CATEGORY}
        assert categories["Savings"] == set()
        assert "Salary" in categories["Main"] and not categories["Main"] & (CARD_CATEGORIES | {TRAVEL_CATEGORY})
        # Transfers: monthly savings, card payoffs, and a currency exchange whose toAmount differs.
        transfers = Transfer.objects.filter(user=user).select_related("from_account", "to_account")
        routes = Counter((t.from_account.name, t.to_account.name) for t in transfers)
        assert routes.keys() == {("Main", "Savings"), ("Main", "Credit card"), ("Main", "Travel (EUR)")}
        assert routes["Main", "Savings"] >= 6 and routes["Main", "Credit card"] >= 6
        for transfer in transfers:
            assert transfer.user_id == transfer.from_account.user_id == transfer.to_account.user_id == user.pk
            same_currency = transfer.from_account.currency == transfer.to_account.currency
            assert (transfer.amount_minor == transfer.to_amount_minor) == same_currency

        # The balances, recomputed from the rows alone.
        expected = {name: account.opening_balance_minor for name, account in accounts.items()}
        for name, kind, total in (
            Transaction.objects.filter(user=user)
            .order_by()
            .values_list("account__name", "type")
            .annotate(total=Sum("amount_minor"))
        ):
            expected[name] += total if kind == "income" else -total
        for transfer in transfers:
            expected[transfer.from_account.name] -= transfer.amount_minor
            expected[transfer.to_account.name] += transfer.to_amount_minor
        entries = Counter(Transaction.objects.filter(user=user).values_list("account__name", flat=True))
        entries.update(t.from_account.name for t in transfers)
        entries.update(t.to_account.name for t in transfers)

        answer = log_in(username).data(ACCOUNTS)
        assert answer["me"]["defaultAccount"]["name"] == "Main"
        assert {
            account["name"]: (account["currency"], account["openingBalance"], account["balance"])
            for account in answer["accounts"]
        } == {
            name: (account.currency, money(account.opening_balance_minor), money(expected[name]))
            for name, account in accounts.items()
        }
        for account in answer["accounts"]:
            # The newest entry's running balance is the balance: rollups (none yet) and dirty months agree.
            register = account["entries"]
            assert register["totalCount"] == entries[account["name"]]
            assert register["edges"][0]["node"]["runningBalance"] == account["balance"]
        net_worth: dict[str, int] = defaultdict(int)
        for name, account in accounts.items():
            net_worth[account.currency] += expected[name]
        assert answer["netWorth"] == [
            {"currency": currency, "total": money(net_worth[currency])} for currency in ("EUR", "USD")
        ]

        # The bookkeeping the services would have done: the volume, and every month with an entry dirty.
        amounts = Transaction.objects.filter(user=user).aggregate(total=Sum("amount_minor"))["total"]
        moved = sum(t.amount_minor + t.to_amount_minor for t in transfers)
        openings = sum(abs(account.opening_balance_minor) for account in accounts.values())
        assert BalanceVersion.objects.get(user=user).volume_minor == amounts + moved + openings
        days = set(Transaction.objects.filter(user=user).values_list("date", flat=True)) | {t.date for t in transfers}
        assert set(DirtyBucket.objects.filter(user=user).values_list("month", flat=True)) == {
            f"{day:%Y-%m}" for day in days
        }


PLANS = """query($month: String!) {
  budgets { category currency amount startMonth endMonth rollover }
  budgetReport(month: $month) { lines { category budgeted carriedOver spent available overspent } }
  recurringRules { description category type frequency interval amount startDate endDate count nextDate paused
                   account { name } }
  upcoming(days: 30) { date amount transaction { id } rule { description } }
}"""


def first_of_month(day: datetime.date, months_later: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months_later
    return datetime.date(index // 12, index % 12 + 1, 1)


def test_seeded_users_have_budgets_and_recurring_rules_that_take_over_rent_and_salary(db: None) -> None:
    seed(users=2, transactions=1500)
    today = clock.today()
    this_month, last_month = first_of_month(today, 0), first_of_month(today, -1)
    budget_months = [f"{first_of_month(today, offset):%Y-%m}" for offset in range(-3, 1)]
    for username in ("demo1", "demo2"):
        user = User.objects.get(username=username)
        rows = Transaction.objects.filter(user=user)

        # The rules record rent and salary from the first of last month: the generated rows stop there.
        rent_rows = rows.filter(category="Rent")
        payroll_rows = rows.filter(description__endswith=" payroll").order_by("date")
        assert not rent_rows.filter(date__gte=last_month).exists()
        assert not payroll_rows.filter(date__gte=last_month).exists()
        assert {day.replace(day=1) for day in rent_rows.values_list("date", flat=True)} == {
            first_of_month(today, offset) for offset in range(-11, -1)
        }
        [rent] = set(rent_rows.values_list("amount_minor", flat=True))
        last_pay = payroll_rows.last()
        # The salary as this month pays it: a raise every January, after the last generated payday.
        pay = last_pay.amount_minor * 103 // 100 if 1 in (last_month.month, this_month.month) else last_pay.amount_minor
        insurance_due = today + datetime.timedelta(days=20)
        try:
            insurance_start = insurance_due.replace(year=insurance_due.year - 1)
        except ValueError:  # 29 February
            insurance_start = insurance_due.replace(year=insurance_due.year - 1, day=28)
        rules = [
            ("Rent", "Rent", "EXPENSE", "MONTHLY", money(rent), last_month),
            (last_pay.description, "Salary", "INCOME", "MONTHLY", money(pay), last_month.replace(day=25)),
            ("Climbing gym", "Health", "EXPENSE", "WEEKLY", "15.00", last_month),
            ("Home insurance", "Insurance", "EXPENSE", "YEARLY", money(rent * 40 // 100 // 100 * 100), insurance_start),
        ]
        assert RecurringRule.objects.filter(user=user).count() == 4
        answer = log_in(username).data(PLANS, {"month": budget_months[-1]})
        # Oldest first; each starts past (the aggregator catches up from there), in Main, pointing at its start.
        assert answer["recurringRules"] == [
            {
                "description": description,
                "category": category,
                "type": kind,
                "frequency": frequency,
                "interval": 1,
                "amount": amount,
                "startDate": start.isoformat(),
                "endDate": None,
                "count": None,
                "nextDate": start.isoformat(),
                "paused": False,
                "account": {"name": "Main"},
            }
            for description, category, kind, frequency, amount, start in sorted(rules, key=lambda rule: rule[5])
        ]
        assert all(start < today for *_, start in rules)
        # The next 30 days, by date and then in the order the rules were created (as listed above).
        window = [today + datetime.timedelta(days=offset) for offset in range(31)]
        expected_upcoming = [
            {"date": day.isoformat(), "amount": amount, "transaction": None, "rule": {"description": description}}
            for day in window
            for description, _, _, frequency, amount, start in rules
            if (frequency == "MONTHLY" and day.day == start.day)
            or (frequency == "WEEKLY" and (day - start).days % 7 == 0)
            or (frequency == "YEARLY" and (day.month, day.day) == (start.month, start.day))
        ]
        assert answer["upcoming"] == expected_upcoming
        assert "Home insurance" in {occurrence["rule"]["description"] for occurrence in answer["upcoming"]}

        # Budgets from three months back, sized from those months' spending (this one so far included).
        spent: dict[tuple[str, str], int] = defaultdict(int)
        for day, category, amount in rows.filter(type="expense").values_list("date", "category", "amount_minor"):
            spent[category, f"{day:%Y-%m}"] += amount
        roomy = {
            category: -(-(max(spent[category, month] for month in budget_months) * 5 // 4) // 1000) * 1000
            for category in ("Groceries", "Transport")
        }
        tight = sum(spent["Dining", month] for month in budget_months[:-1]) * 9 // 10 // 4 // 1000 * 1000
        assert answer["budgets"] == [
            {
                "category": category,
                "currency": "USD",
                "amount": money(amount),
                "startMonth": budget_months[0],
                "endMonth": None,
                "rollover": category == "Dining",
            }
            for category, amount in [
                ("Dining", tight),
                ("Groceries", roomy["Groceries"]),
                ("Transport", roomy["Transport"]),
            ]
        ]
        assert Budget.objects.filter(user=user).count() == 3
        # This month: Groceries and Transport under; Dining over, carrying the earlier months' overspending.
        carried = 3 * tight - sum(spent["Dining", month] for month in budget_months[:-1])
        assert carried < 0
        this = budget_months[-1]
        assert answer["budgetReport"]["lines"] == [
            {
                "category": category,
                "budgeted": money(amount),
                "carriedOver": money(carry),
                "spent": money(spent[category, this]),
                "available": money(amount + carry - spent[category, this]),
                "overspent": category == "Dining",
            }
            for category, amount, carry in [
                ("Dining", tight, carried),
                ("Groceries", roomy["Groceries"], 0),
                ("Transport", roomy["Transport"], 0),
            ]
        ]
