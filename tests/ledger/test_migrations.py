"""The models and the committed migrations agree, and the rollup fingerprint migration starts from "unknown"."""

import importlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from ledger.models import MonthlyRollup, RollupFingerprint
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
            user=with_rollups, month="2024-05", category=category, type="expense", total_minor=100, transaction_count=1
        )
    name = "0002_rollup_fingerprint_covering_index"
    migration = importlib.import_module(f"ledger.migrations.{name}")
    # The models as that migration sees them, not as they are today.
    historical = MigrationLoader(connection).project_state(("ledger", name)).apps
    migration.mark_existing_rollups_unknown(historical, None)
    fingerprints = {(f.user_id, f.digest, f.rollup_count) for f in RollupFingerprint.objects.all()}
    assert fingerprints == {(with_rollups.pk, None, None)}
    assert not RollupFingerprint.objects.filter(user=without).exists()
