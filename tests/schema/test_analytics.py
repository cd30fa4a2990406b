"""monthlySummary and categoryBreakdown are exact before the aggregator runs (live over dirty buckets) and from
rollups after (the Go binary's own tests and tests/e2e cover that side)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from ledger.models import DirtyBucket, MonthlyRollup
from ledger.services import ensure_default_account
from tests.conftest import GraphQLClient, create

MONTHLY = """
query Monthly($from: String!, $to: String!) {
  monthlySummary(from: $from, to: $to) { month income expense net transactionCount }
}
"""
BREAKDOWN = """
query Breakdown($from: String!, $to: String!, $type: TransactionType) {
  categoryBreakdown(from: $from, to: $to, type: $type) { category type total transactionCount }
}
"""


@pytest.fixture
def spending(as_alice: GraphQLClient) -> None:
    create(as_alice, "3000.00", "INCOME", category="Salary", date="2026-01-31")
    create(as_alice, "1200.00", category="Rent", date="2026-01-01")
    create(as_alice, "80.10", category="Groceries", date="2026-01-15")
    create(as_alice, "19.95", category="Groceries", date="2026-03-02")
    create(as_alice, "0.05", "INCOME", category="Interest", date="2025-12-31")


def test_monthly_summary_has_every_month_with_zeros(as_alice: GraphQLClient, spending: None) -> None:
    months = as_alice.data(MONTHLY, {"from": "2025-12", "to": "2026-04"})["monthlySummary"]
    assert months == [
        {"month": "2025-12", "income": "0.05", "expense": "0.00", "net": "0.05", "transactionCount": 1},
        {"month": "2026-01", "income": "3000.00", "expense": "1280.10", "net": "1719.90", "transactionCount": 3},
        {"month": "2026-02", "income": "0.00", "expense": "0.00", "net": "0.00", "transactionCount": 0},
        {"month": "2026-03", "income": "0.00", "expense": "19.95", "net": "-19.95", "transactionCount": 1},
        {"month": "2026-04", "income": "0.00", "expense": "0.00", "net": "0.00", "transactionCount": 0},
    ]


def test_category_breakdown_is_largest_first(as_alice: GraphQLClient, spending: None) -> None:
    rows = as_alice.data(BREAKDOWN, {"from": "2026-01", "to": "2026-03"})["categoryBreakdown"]
    assert rows == [
        {"category": "Salary", "type": "INCOME", "total": "3000.00", "transactionCount": 1},
        {"category": "Rent", "type": "EXPENSE", "total": "1200.00", "transactionCount": 1},
        {"category": "Groceries", "type": "EXPENSE", "total": "100.05", "transactionCount": 2},
    ]
    expenses = as_alice.data(BREAKDOWN, {"from": "2026-01", "to": "2026-03", "type": "EXPENSE"})["categoryBreakdown"]
    assert [row["category"] for row in expenses] == ["Rent", "Groceries"]


def test_clean_buckets_come_from_the_rollups(as_alice: GraphQLClient, alice: User) -> None:
    # A rollup the aggregator wrote for a clean month is what the API answers (here deliberately unlike any row,
    # to prove the source); a dirty month is computed live.
    MonthlyRollup.objects.create(
        user=alice,
        account=ensure_default_account(user=alice),
        month="2024-05",
        category="Books",
        type="expense",
        total_minor=4200,
        transaction_count=3,
    )
    create(as_alice, "1.00", category="Books", date="2024-06-10")
    months = as_alice.data(MONTHLY, {"from": "2024-05", "to": "2024-06"})["monthlySummary"]
    assert [(m["month"], m["expense"], m["transactionCount"]) for m in months] == [
        ("2024-05", "42.00", 3),
        ("2024-06", "1.00", 1),
    ]
    assert DirtyBucket.objects.filter(user=alice, month="2024-06").exists()


def test_a_dirty_bucket_ignores_its_stale_rollup(as_alice: GraphQLClient, alice: User) -> None:
    MonthlyRollup.objects.create(
        user=alice,
        account=ensure_default_account(user=alice),
        month="2024-06",
        category="Books",
        type="expense",
        total_minor=999,
        transaction_count=9,
    )
    create(as_alice, "1.00", category="Books", date="2024-06-10")
    rows = as_alice.data(BREAKDOWN, {"from": "2024-06", "to": "2024-06"})["categoryBreakdown"]
    assert rows == [{"category": "Books", "type": "EXPENSE", "total": "1.00", "transactionCount": 1}]


def test_other_users_rollups_never_show(as_alice: GraphQLClient, bob: User) -> None:
    MonthlyRollup.objects.create(
        user=bob,
        account=ensure_default_account(user=bob),
        month="2024-05",
        category="Secret",
        type="income",
        total_minor=100,
        transaction_count=1,
    )
    assert as_alice.data(BREAKDOWN, {"from": "2024-05", "to": "2024-05"})["categoryBreakdown"] == []


@pytest.mark.parametrize(
    ("start", "end"),
    [("2020-01", "2030-01"), ("2026-05", "2026-04"), ("2026-13", "2026-12"), ("2026-1", "2026-02"), ("x", "y")],
)
def test_bad_ranges_are_refused_with_a_code(as_alice: GraphQLClient, start: str, end: str) -> None:
    for query in (MONTHLY, BREAKDOWN):
        body = as_alice.post(query, {"from": start, "to": end})
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["INVALID_MONTH_RANGE"]


def test_exactly_120_months_is_allowed(as_alice: GraphQLClient) -> None:
    months = as_alice.data(MONTHLY, {"from": "2017-01", "to": "2026-12"})["monthlySummary"]
    assert len(months) == 120


def test_analytics_need_authentication(anonymous: GraphQLClient, db: None) -> None:
    body = anonymous.post(MONTHLY, {"from": "2026-01", "to": "2026-02"})
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]


def test_an_answer_is_cached_under_the_version_until_the_next_write(as_alice: GraphQLClient) -> None:
    create(as_alice, "3.00", category="Books", date="2024-06-10")
    first = as_alice.data(MONTHLY, {"from": "2024-06", "to": "2024-06"})["monthlySummary"]
    with CaptureQueriesContext(connection) as captured:
        again = as_alice.data(MONTHLY, {"from": "2024-06", "to": "2024-06"})["monthlySummary"]
    assert again == first
    assert len(captured) == 1  # the caller with the version joined; no dirty set, rollups or rows
    create(as_alice, "2.00", category="Books", date="2024-06-11")
    months = as_alice.data(MONTHLY, {"from": "2024-06", "to": "2024-06"})["monthlySummary"]
    assert [(m["expense"], m["transactionCount"]) for m in months] == [("5.00", 2)]
    rows = as_alice.data(BREAKDOWN, {"from": "2024-06", "to": "2024-06"})["categoryBreakdown"]
    assert rows == [{"category": "Books", "type": "EXPENSE", "total": "5.00", "transactionCount": 2}]


def test_a_refused_argument_is_never_cached(as_alice: GraphQLClient) -> None:
    for _ in range(2):
        body = as_alice.post('{ monthlySummary(from: "2024-06", to: "2024-06", currency: "XYZ") { month } }')
        assert body["errors"][0]["extensions"]["errors"][0]["code"] == "INVALID_CURRENCY"
