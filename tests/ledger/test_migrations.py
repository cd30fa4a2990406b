"""The models and the committed migrations agree, and the rollup fingerprint migration starts from "unknown"."""

import datetime
import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

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
    BalanceVersion.objects.create(user=bob, version=4)
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
