"""The models and the committed migrations agree, and the rollup fingerprint migration starts from "unknown"."""

import contextlib
import datetime
import importlib
from collections.abc import Iterator
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from ledger.models import BalanceVersion, CategoryName, MonthlyRollup, RollupFingerprint, Transaction
from ledger.services import ensure_default_account
from tests.conftest import make_user


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations --check found changes without a migration:\n{out.getvalue()}")


@pytest.mark.django_db
def test_rollups_written_before_fingerprints_existed_are_marked_unknown() -> None:
    with_rollups, without = make_user("has-rollups"), make_user("no-rollups")
    for category in ("Food", "Rent"):
        MonthlyRollup.objects.create(
            user=with_rollups,
            account=ensure_default_account(user=with_rollups),
            month="2024-05",
            category=category,
            type="expense",
            total_minor=100,
            transaction_count=1,
        )
    name = "0002_rollup_fingerprint_covering_index"
    migration = importlib.import_module(f"ledger.migrations.{name}")
    # The models as that migration sees them, not as they are today.
    historical = MigrationLoader(connection).project_state(("ledger", name)).apps
    migration.mark_existing_rollups_unknown(historical, SimpleNamespace(connection=connection))
    fingerprints = {(f.user_id, f.digest, f.rollup_count) for f in RollupFingerprint.objects.all()}
    assert fingerprints == {(with_rollups.pk, None, None)}
    assert not RollupFingerprint.objects.filter(user=without).exists()


@pytest.mark.django_db
def test_the_volume_migration_fills_volumes_from_existing_rows() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    Transaction.objects.create(user=alice, amount_minor=150, type="expense", date=datetime.date(2026, 1, 1))
    Transaction.objects.create(user=alice, amount_minor=50, type="income", date=datetime.date(2026, 1, 2))
    Transaction.objects.create(user=bob, amount_minor=7, type="income", date=datetime.date(2026, 1, 2))
    # Bob's row exists already: creating his default account (for the transaction above) took its change sequence.
    BalanceVersion.objects.filter(user=bob).update(version=4)
    name = "0003_balanceversion_volume_minor"
    migration = importlib.import_module(f"ledger.migrations.{name}")
    historical = MigrationLoader(connection).project_state(("ledger", name)).apps
    migration.fill_volumes(historical, SimpleNamespace(connection=connection))
    volumes = dict(BalanceVersion.objects.values_list("user_id", "volume_minor"))
    versions = dict(BalanceVersion.objects.values_list("user_id", "version"))
    assert volumes == {alice.pk: 200, bob.pk: 7}
    assert versions[bob.pk] == 4


@pytest.mark.django_db
def test_the_category_migration_keys_every_row_and_keeps_the_latest_spelling() -> None:
    alice = make_user("alice")
    name = "0004_category_keys"
    migration = importlib.import_module(f"ledger.migrations.{name}")
    historical = MigrationLoader(connection).project_state(("ledger", name)).apps
    spellings = ["Straße", "STRASSE", " groceries", "Groceries"]
    main = ensure_default_account(user=alice)
    rows = Transaction.objects.bulk_create(
        Transaction(
            user=alice,
            account=main,
            amount_minor=100,
            type="expense",
            category=spelling,
            date=datetime.date(2026, 1, 1),
        )
        for spelling in spellings
    )
    Transaction.objects.filter(pk__in=[row.pk for row in rows]).update(category_key="")  # as before the migration
    for minute, row in enumerate(rows):  # written in this order
        Transaction.objects.filter(pk=row.pk).update(
            created_at=datetime.datetime(2026, 1, 1, 12, minute, tzinfo=datetime.UTC)
        )
    CategoryName.objects.all().delete()
    editor = SimpleNamespace(connection=connection)
    migration.fill_category_keys(historical, editor)
    migration.fill_category_names(historical, editor)
    keys = dict(Transaction.objects.values_list("category", "category_key"))
    assert keys == {"Straße": "strasse", "STRASSE": "strasse", " groceries": "groceries", "Groceries": "groceries"}
    names = dict(CategoryName.objects.filter(user=alice).values_list("key", "name"))
    assert names == {"strasse": "STRASSE", "groceries": "Groceries"}


BEFORE_ACCOUNTS = [("ledger", "0005_idempotency_fingerprint")]
ACCOUNTS = [("ledger", "0006_accounts")]


@contextlib.contextmanager
def migrated_back(target: list[tuple[str, str]]) -> Iterator[object]:
    """The database migrated back to `target`, and its historical models; migrated forward to the latest state
    again afterwards, whatever the caller did."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    try:
        yield executor.loader.project_state(target).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def before_accounts() -> Iterator[object]:
    """The database as it was before ledger accounts (migrated back to 0005)."""
    with migrated_back(BEFORE_ACCOUNTS) as apps:
        yield apps


@pytest.mark.django_db(transaction=True)
def test_the_accounts_migration_gives_every_user_one_main_account_holding_their_rows(
    before_accounts: object, settings: object
) -> None:
    settings.DEFAULT_CURRENCY = "EUR"
    old = before_accounts
    User = old.get_model("accounts", "User")
    Transaction = old.get_model("ledger", "Transaction")
    MonthlyRollup = old.get_model("ledger", "MonthlyRollup")
    RollupFingerprint = old.get_model("ledger", "RollupFingerprint")
    users = {
        name: User.objects.create(username=name, email=f"{name}@example.com", password="!", date_joined=timezone.now())
        for name in ("with-rows", "without-rows", "only-transactions")
    }
    rows = [
        (users["with-rows"], 1250, "income", "Salary", datetime.date(2024, 1, 31)),
        (users["with-rows"], 300, "expense", "Food", datetime.date(2024, 2, 1)),
        (users["with-rows"], 45, "expense", "Food", datetime.date(2024, 2, 1)),
        (users["only-transactions"], 7, "expense", "Other", datetime.date(2025, 6, 6)),
    ]
    Transaction.objects.bulk_create(
        Transaction(
            user=user, amount_minor=amount, type=kind, category=category, category_key=category.lower(), date=day
        )
        for user, amount, kind, category, day in rows
    )
    for month, key, kind, total, count in (
        ("2024-01", "salary", "income", 1250, 1),
        ("2024-02", "food", "expense", 345, 2),
    ):
        MonthlyRollup.objects.create(
            user=users["with-rows"], month=month, category=key, type=kind, total_minor=total, transaction_count=count
        )
    RollupFingerprint.objects.create(user=users["with-rows"], digest=123456789, rollup_count=2)
    before = sorted(Transaction.objects.values_list("id", "user_id", "amount_minor", "type", "category_key", "date"))

    executor = MigrationExecutor(connection)
    executor.migrate(ACCOUNTS)
    new = executor.loader.project_state(ACCOUNTS).apps
    Account = new.get_model("ledger", "Account")
    Transaction = new.get_model("ledger", "Transaction")
    MonthlyRollup = new.get_model("ledger", "MonthlyRollup")
    RollupFingerprint = new.get_model("ledger", "RollupFingerprint")

    accounts = list(
        Account.objects.values_list(
            "user_id", "name", "name_key", "kind", "currency", "opening_balance_minor", "is_default", "archived"
        )
    )
    assert sorted(accounts) == sorted(
        (user.pk, "Main", "main", "checking", "EUR", 0, True, False) for user in users.values()
    )
    main_of = dict(Account.objects.values_list("user_id", "pk"))
    assert (
        sorted(Transaction.objects.values_list("id", "user_id", "amount_minor", "type", "category_key", "date"))
        == before
    )
    assert all(
        main_of[user_id] == account_id
        for user_id, account_id in Transaction.objects.values_list("user_id", "account_id")
    )
    assert sorted(MonthlyRollup.objects.values_list("user_id", "account_id", "month", "total_minor")) == sorted(
        [
            (users["with-rows"].pk, main_of[users["with-rows"].pk], "2024-01", 1250),
            (users["with-rows"].pk, main_of[users["with-rows"].pk], "2024-02", 345),
        ]
    )
    assert list(RollupFingerprint.objects.values_list("user_id", "digest", "rollup_count")) == [
        (users["with-rows"].pk, None, None)
    ]

    # Run again (a retried deploy), it finds every user with their default and nothing without an account.
    migration = importlib.import_module("ledger.migrations.0006_accounts")
    migration.give_every_user_a_main_account(new, SimpleNamespace(connection=connection))
    assert Account.objects.count() == len(users)
