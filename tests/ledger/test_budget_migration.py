"""Migration 0008 with the historical models (the style of test_migrations.py): what was written before it stays as
it was, and its budget table holds the rules ledger.models.Budget states (amounts not negative, months in order,
one row per start month of a category and currency)."""

import datetime
from collections.abc import Iterator

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.ledger.test_migrations import migrated_back

BEFORE = [("ledger", "0007_account_indexes")]
BUDGETS = [("ledger", "0008_budgets_recurring")]


@pytest.fixture
def before_budgets() -> Iterator[object]:
    """The database as it was before 0008, and its historical models."""
    with migrated_back(BEFORE) as apps:
        yield apps


def _rows(apps: object) -> dict[str, list[tuple]]:
    """Every row 0008 must leave alone, by model."""
    columns = {
        "Account": ("id", "user_id", "name", "currency", "opening_balance_minor", "is_default"),
        "Transaction": ("id", "user_id", "account_id", "amount_minor", "type", "category", "category_key", "date"),
        "MonthlyRollup": ("user_id", "account_id", "month", "category", "type", "total_minor", "transaction_count"),
        "DirtyBucket": ("user_id", "month", "generation"),
        "BalanceVersion": ("user_id", "version", "volume_minor"),
    }
    return {
        name: sorted(apps.get_model("ledger", name).objects.values_list(*fields)) for name, fields in columns.items()
    }


@pytest.mark.django_db(transaction=True)
def test_0008_keeps_earlier_rows_and_its_budget_table_holds_the_model_rules(before_budgets: object) -> None:
    old = before_budgets
    User = old.get_model("accounts", "User")
    Account = old.get_model("ledger", "Account")
    Transaction = old.get_model("ledger", "Transaction")
    alice = User.objects.create(username="alice", email="alice@example.com", password="!", date_joined=timezone.now())
    main = Account.objects.create(
        user=alice, name="Main", name_key="main", kind="checking", currency="EUR", is_default=True
    )
    Transaction.objects.create(
        user=alice,
        account=main,
        amount_minor=1250,
        type="expense",
        category="Groceries",
        category_key="groceries",
        date=datetime.date(2026, 1, 5),
    )
    old.get_model("ledger", "MonthlyRollup").objects.create(
        user=alice,
        account=main,
        month="2026-01",
        category="groceries",
        type="expense",
        total_minor=1250,
        transaction_count=1,
    )
    old.get_model("ledger", "DirtyBucket").objects.create(
        user=alice, month="2026-02", generation=3, marked_at=timezone.now()
    )
    old.get_model("ledger", "BalanceVersion").objects.create(user=alice, version=7, volume_minor=1250)
    before = _rows(old)
    with pytest.raises(LookupError):
        old.get_model("ledger", "Budget")

    executor = MigrationExecutor(connection)
    executor.migrate(BUDGETS)
    new = executor.loader.project_state(BUDGETS).apps
    assert _rows(new) == before

    Budget = new.get_model("ledger", "Budget")
    common = {"user_id": alice.pk, "category": "Groceries", "category_key": "groceries", "currency": "EUR"}
    Budget.objects.create(**common, amount_minor=40000, start_month="2026-01", end_month="2026-03", rollover=True)
    Budget.objects.create(**common, amount_minor=0, start_month="2026-04", end_month=None)
    assert list(Budget.objects.order_by("start_month").values_list("start_month", "end_month", "rollover")) == [
        ("2026-01", "2026-03", True),
        ("2026-04", None, False),
    ]
    refused = [
        {**common, "amount_minor": -1, "start_month": "2026-05"},  # a negative amount
        {**common, "amount_minor": 1, "start_month": "2026-06", "end_month": "2026-05"},  # months out of order
        {**common, "amount_minor": 1, "start_month": "2026-04"},  # a second row of the same start month
    ]
    for values in refused:
        with pytest.raises(IntegrityError), transaction.atomic():
            Budget.objects.create(**values)
    assert Budget.objects.count() == 2
    # Another currency or user may start the same month.
    Budget.objects.create(**{**common, "currency": "USD"}, amount_minor=1, start_month="2026-04")
    assert _rows(new) == before
