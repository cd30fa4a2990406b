"""ledger.selectors and ledger.analytics called directly, on the real database and Redis: filters, keyset pages,
balance figures and their cache, the authenticated-user lookup, and analytics from rollups and dirty buckets."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_redis import get_redis_connection

from accounts.models import User
from ledger import error_codes
from ledger.analytics import CategoryFigures, MonthFigures, category_breakdown, monthly_summary
from ledger.balance_cache import BalanceFigures, LedgerFigures, figures_cache_key, read_balance_version
from ledger.models import DirtyBucket, MonthlyRollup, Transaction
from ledger.selectors import (
    TransactionFilters,
    balance_figures,
    compute_ledger_figures,
    encode_cursor,
    transaction_filter,
    transaction_page,
    user_for_request,
)
from ledger.services import ensure_default_account, transaction_create


def _create(user: User, amount: str, day: str, **fields: object) -> Transaction:
    return transaction_create(user=user, amount=amount, type=fields.pop("type", "expense"), date=day, **fields)


def _amounts(user: User, **filters: object) -> list[int]:
    return sorted(
        transaction_filter(user=user, filters=TransactionFilters(**filters)).values_list("amount_minor", flat=True)
    )


def _errors(raised: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, str]]:
    return sorted((field, error.code) for field, errors in raised.value.error_dict.items() for error in errors)


def test_category_matches_in_any_case_but_only_whole(alice: User, bob: User) -> None:
    _create(alice, "1.00", "2026-01-01", category="Food")
    _create(alice, "2.00", "2026-01-01", category="FOOD")
    _create(alice, "3.00", "2026-01-01", category="Foodstuff")
    _create(bob, "4.00", "2026-01-01", category="food")
    assert _amounts(alice, category=" food ") == [100, 200]


def test_date_and_amount_bounds_are_inclusive(alice: User) -> None:
    for amount, day in [
        ("4.99", "2025-12-31"),
        ("5.00", "2026-01-01"),
        ("10.00", "2026-01-31"),
        ("10.01", "2026-02-01"),
    ]:
        _create(alice, amount, day)
    assert _amounts(alice, date_from="2026-01-01", date_to="2026-01-31") == [500, 1000]
    assert _amounts(alice, min_amount="5", max_amount="10.00") == [500, 1000]
    assert _amounts(alice, date_from="2026-01-31", min_amount="10.01") == [1001]


def test_search_looks_in_description_or_category_without_regard_to_case(alice: User) -> None:
    _create(alice, "1.00", "2026-01-01", description="Morning COFFEE", category="Food")
    _create(alice, "2.00", "2026-01-01", description="Beans", category="coffee shop")
    _create(alice, "3.00", "2026-01-01", description="Rent", category="Home")
    assert _amounts(alice, search="Coffee") == [100, 200]
    assert _amounts(alice, search="", type="expense") == [100, 200, 300]


def test_every_bad_filter_is_reported_at_once_in_snake_case(alice: User) -> None:
    bad = TransactionFilters(
        category="",
        date_from="2026-13-01",
        date_to="yesterday",
        min_amount="-1",
        max_amount="1.001",
        search="s" * 101,
    )
    with pytest.raises(ValidationError) as raised:
        transaction_filter(user=alice, filters=bad)
    assert _errors(raised) == [
        ("category", error_codes.INVALID_CATEGORY),
        ("date_from", error_codes.INVALID_DATE),
        ("date_to", error_codes.INVALID_DATE),
        ("max_amount", error_codes.INVALID_AMOUNT),
        ("min_amount", error_codes.INVALID_AMOUNT),
        ("search", error_codes.INVALID_SEARCH),
    ]


def test_pages_never_skip_or_repeat_rows_sharing_a_date(alice: User) -> None:
    days = ["2026-03-01"] * 5 + ["2026-02-01"] * 4 + ["2026-01-01"]
    rows = [_create(alice, f"{number}.00", day) for number, day in enumerate(days, start=1)]
    expected = [row.pk for row in sorted(rows, key=lambda row: (row.date, row.pk), reverse=True)]
    seen, after, pages = [], None, 0
    while True:
        page = transaction_page(user=alice, filters=None, first=3, after=after)
        seen += [row.pk for row in page.rows]
        pages += 1
        assert page.has_previous_page == (after is not None)
        if not page.has_next_page:
            break
        after = encode_cursor(page.rows[-1])
    assert seen == expected
    assert (pages, page.filtered.count()) == (4, 10)


def test_a_page_keeps_the_filters_and_an_empty_page_is_the_end(alice: User) -> None:
    for number in range(1, 5):
        _create(alice, f"{number}.00", "2026-01-01", category="Food" if number % 2 else "Rent")
    food = TransactionFilters(category="food")
    page = transaction_page(user=alice, filters=food, first=1, after=None)
    rest = transaction_page(user=alice, filters=food, first=5, after=encode_cursor(page.rows[0]))
    assert sorted(row.amount_minor for row in page.rows + rest.rows) == [100, 300]
    assert (page.has_next_page, rest.has_next_page) == (True, False)
    assert transaction_page(user=alice, filters=None, first=0, after=None).rows == []


@pytest.mark.parametrize(
    ("first", "after", "field", "code"),
    [(-1, None, "first", error_codes.INVALID_PAGE_SIZE), (5, "bm90IGEgY3Vyc29y", "after", error_codes.INVALID_CURSOR)],
)
def test_a_bad_page_request_names_its_argument(
    alice: User, first: int, after: str | None, field: str, code: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        transaction_page(user=alice, filters=None, first=first, after=after)
    assert _errors(raised) == [(field, code)]


def test_compute_balance_figures_sums_only_the_users_rows(alice: User, bob: User) -> None:
    assert compute_ledger_figures(user=alice).balance("USD") == BalanceFigures("USD", 0, 0, 0)
    _create(alice, "3000.00", "2026-01-31", type="income")
    _create(alice, "1200.50", "2026-02-01")
    _create(alice, "0.25", "2026-02-02")
    _create(bob, "99.00", "2026-02-02", type="income")
    assert compute_ledger_figures(user=alice).balance("USD") == BalanceFigures("USD", 300000, 120075, 3)


def test_a_write_makes_the_next_cached_read_fresh(alice: User) -> None:
    _create(alice, "10.00", "2026-01-01")
    version = read_balance_version(alice.pk)
    assert balance_figures(user=alice, version=version) == BalanceFigures("USD", 0, 1000, 1)
    cached = LedgerFigures.decode(get_redis_connection("default").get(figures_cache_key(alice.pk, version)))
    assert cached.balance("USD") == BalanceFigures("USD", 0, 1000, 1)
    _create(alice, "3.00", "2026-01-02", type="income")
    assert balance_figures(user=alice, version=read_balance_version(alice.pk)) == BalanceFigures("USD", 300, 1000, 2)
    assert balance_figures(user=alice) == BalanceFigures("USD", 300, 1000, 2)


def test_the_cache_answers_for_the_version_it_was_filled_at(alice: User) -> None:
    _create(alice, "10.00", "2026-01-01")
    version = read_balance_version(alice.pk)
    balance_figures(user=alice, version=version)
    # A row that no service wrote (no version bump): the cached figures of this version still answer.
    Transaction.objects.create(user=alice, amount_minor=500, type="income", date=datetime.date(2026, 1, 2))
    assert balance_figures(user=alice, version=version) == BalanceFigures("USD", 0, 1000, 1)
    assert compute_ledger_figures(user=alice).balance("USD") == BalanceFigures("USD", 500, 1000, 2)


def test_user_for_request_returns_the_user_and_the_committed_version(alice: User) -> None:
    assert user_for_request(alice.pk, with_balance_version=True) == (alice, 0)
    _create(alice, "1.00", "2026-01-01")
    _create(alice, "1.00", "2026-01-02")
    user, version = user_for_request(alice.pk, with_balance_version=True)
    assert (user.pk, user.username, user.token_version, user.is_active, version) == (alice.pk, "alice", 0, True, 2)
    assert user_for_request(alice.pk, with_balance_version=False) == (alice, None)


@pytest.mark.django_db
def test_user_for_request_of_an_unknown_id_is_none() -> None:
    assert user_for_request(uuid.uuid4(), with_balance_version=True) == (None, None)


def _rollup(user: User, month: str, category: str, kind: str, total: int, count: int) -> None:
    MonthlyRollup.objects.create(
        user=user,
        account=ensure_default_account(user=user),
        month=month,
        category=category,
        type=kind,
        total_minor=total,
        transaction_count=count,
    )


def test_dirty_months_are_aggregated_live(alice: User) -> None:
    _create(alice, "3000.00", "2026-01-31", type="income", category="Salary")
    _create(alice, "1200.00", "2026-01-01", category="Rent")
    _create(alice, "4.50", "2026-03-15", category="Food")
    assert monthly_summary(user=alice, start="2026-01", end="2026-03") == [
        MonthFigures("2026-01", 300000, 120000, 2),
        MonthFigures("2026-02", 0, 0, 0),
        MonthFigures("2026-03", 0, 450, 1),
    ]


def test_clean_months_are_answered_from_their_rollups(alice: User) -> None:
    # No dirty bucket: the aggregator's rollups are the answer (no transaction rows are read for this month).
    _rollup(alice, "2025-11", "salary", "income", 500000, 2)
    _rollup(alice, "2025-11", "rent", "expense", 150000, 1)
    _rollup(alice, "2025-11", "food", "expense", 150000, 7)
    assert monthly_summary(user=alice, start="2025-11", end="2025-11") == [MonthFigures("2025-11", 500000, 300000, 10)]
    assert category_breakdown(user=alice, start="2025-11", end="2025-11", type="expense") == [
        CategoryFigures("food", "expense", 150000, 7),
        CategoryFigures("rent", "expense", 150000, 1),
    ]


def test_the_dirty_set_wins_over_stale_rollups(alice: User, bob: User) -> None:
    _rollup(alice, "2026-01", "food", "expense", 999999, 42)  # stale: written before the writes below
    _rollup(alice, "2025-12", "food", "expense", 700, 1)  # a clean month
    _rollup(bob, "2026-01", "food", "expense", 5, 1)  # another user's
    _create(alice, "12.00", "2026-01-10", category="food")
    _create(alice, "8.00", "2026-01-20", category="travel")
    assert list(DirtyBucket.objects.filter(user=alice).values_list("month", flat=True)) == ["2026-01"]
    assert monthly_summary(user=alice, start="2025-12", end="2026-01") == [
        MonthFigures("2025-12", 0, 700, 1),
        MonthFigures("2026-01", 0, 2000, 2),
    ]
    assert category_breakdown(user=alice, start="2025-12", end="2026-01", type=None) == [
        CategoryFigures("food", "expense", 1900, 2),
        CategoryFigures("travel", "expense", 800, 1),
    ]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2026-13", "2026-12", "from"), ("2026-02", "2026-01", "to"), ("2000-01", "2010-01", "to")],
)
def test_a_bad_month_range_is_refused(alice: User, start: str, end: str, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        monthly_summary(user=alice, start=start, end=end)
    assert _errors(raised) == [(field, error_codes.INVALID_MONTH_RANGE)]


def test_a_dirty_bucket_without_rows_answers_zero_not_the_rollup(alice: User) -> None:
    _rollup(alice, "2026-05", "Food", "expense", 1234, 3)
    DirtyBucket.objects.create(user=alice, month="2026-05", marked_at=timezone.now())
    assert monthly_summary(user=alice, start="2026-05", end="2026-05") == [MonthFigures("2026-05", 0, 0, 0)]
