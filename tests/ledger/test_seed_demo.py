"""`manage.py seed_demo`: realistic data that keeps the ledger's invariants (cached figures, volume, dirty months),
in a few ledger accounts and two currencies with transfers between them."""

import io
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.test import Client
from django.utils import timezone

from accounts.models import User
from ledger.demo_data import DEMO_PASSWORD
from ledger.demo_ledger import CARD_CATEGORIES, TRAVEL_CATEGORY
from ledger.models import Account, BalanceVersion, DirtyBucket, Transaction, Transfer
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
