"""`manage.py seed_demo`: realistic data that keeps the ledger's invariants (cached balance, dirty months)."""

import io
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.test import Client
from django.utils import timezone

from accounts.models import User
from ledger.demo_data import DEMO_PASSWORD
from ledger.models import BalanceVersion, DirtyBucket, Transaction
from ledger.money import format_amount, from_minor
from tests.conftest import BALANCE, GraphQLClient

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token errors { code } } }"
MONTHLY = "query($from: String!, $to: String!) { monthlySummary(from: $from, to: $to) { month income expense transactionCount } }"


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
        rows = Transaction.objects.filter(user=user)
        assert rows.count() == 400
        totals = dict(rows.order_by().values_list("type").annotate(total=Sum("amount_minor")))
        client = log_in(username)
        assert client.data(BALANCE)["balance"] == {
            "total": money(totals["income"] - totals["expense"]),
            "income": money(totals["income"]),
            "expense": money(totals["expense"]),
            "transactionCount": 400,
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
        assert set(DirtyBucket.objects.filter(user=user).values_list("month", flat=True)) == set(months)
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
