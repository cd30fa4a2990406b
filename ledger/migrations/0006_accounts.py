"""Ledger accounts and transfers (issue 12). Every user gets a default "Main" account (CHECKING, in
settings.DEFAULT_CURRENCY) holding all their transactions and rollups, so balances, analytics, cursors and CSV round
trips are unchanged. The rollups gain the account; their fingerprints (which the Go aggregator now hashes with the
account) are marked unknown, so the next `aggregator --full` recomputes them.

Set-based on PostgreSQL: one INSERT ... SELECT for the accounts, one UPDATE ... FROM per table. The new indexes follow
in 0007, built CONCURRENTLY. Upgrade with the API servers and aggregators stopped: older code writes transactions
without an account.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

MAIN_ACCOUNT_NAME = "Main"


def give_every_user_a_main_account(apps, schema_editor):
    """A default account per user who has none, then every transaction and rollup row into it."""
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Account = apps.get_model("ledger", "Account")
    connection = schema_editor.connection
    currency = settings.DEFAULT_CURRENCY
    users, accounts = User._meta.db_table, Account._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {accounts} (id, user_id, name, name_key, kind, currency, opening_balance_minor, "
                "is_default, archived, created_at, updated_at) "
                f"SELECT gen_random_uuid(), u.id, %s, %s, 'checking', %s, 0, true, false, now(), now() FROM {users} u "
                f"WHERE NOT EXISTS (SELECT 1 FROM {accounts} a WHERE a.user_id = u.id AND a.is_default)",
                [MAIN_ACCOUNT_NAME, MAIN_ACCOUNT_NAME.casefold(), currency],
            )
            # The new foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at commit, PostgreSQL would queue a
            # trigger event per updated row first (a million rows, a million events). Checked as each row is written,
            # against a small accounts table, they cost far less.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in ("ledger_transaction", "ledger_monthlyrollup"):
                cursor.execute(
                    f"UPDATE {table} t SET account_id = a.id FROM {accounts} a "
                    "WHERE a.user_id = t.user_id AND a.is_default AND t.account_id IS NULL"
                )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            now = timezone.now()
            with_default = set(
                Account.objects.using(connection.alias).filter(is_default=True).values_list("user_id", flat=True)
            )
            Account.objects.using(connection.alias).bulk_create(
                (
                    Account(
                        id=uuid.uuid4(),
                        user_id=user_id,
                        name=MAIN_ACCOUNT_NAME,
                        name_key=MAIN_ACCOUNT_NAME.casefold(),
                        kind="checking",
                        currency=currency,
                        is_default=True,
                        created_at=now,
                        updated_at=now,
                    )
                    for user_id in User.objects.using(connection.alias).values_list("pk", flat=True).iterator(10_000)
                    if user_id not in with_default
                ),
                batch_size=1000,
            )
            for table in ("ledger_transaction", "ledger_monthlyrollup"):
                cursor.execute(
                    f"UPDATE {table} SET account_id = (SELECT a.id FROM {accounts} a "
                    f"WHERE a.user_id = {table}.user_id AND a.is_default) WHERE account_id IS NULL"
                )
        cursor.execute("UPDATE ledger_rollupfingerprint SET digest = NULL, rollup_count = NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_idempotency_fingerprint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
                ("name_key", models.CharField(max_length=400)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("checking", "Checking"),
                            ("savings", "Savings"),
                            ("credit_card", "Credit card"),
                            ("cash", "Cash"),
                            ("investment", "Investment"),
                            ("loan", "Loan"),
                            ("other", "Other"),
                        ],
                        max_length=11,
                    ),
                ),
                ("currency", models.CharField(max_length=3)),
                ("opening_balance_minor", models.BigIntegerField(default=0)),
                ("is_default", models.BooleanField(default=False)),
                ("archived", models.BooleanField(default=False)),
                ("idempotency_key", models.CharField(blank=True, max_length=255, null=True)),
                ("idempotency_fingerprint", models.CharField(blank=True, max_length=64, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="Transfer",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("amount_minor", models.BigIntegerField()),
                ("to_amount_minor", models.BigIntegerField()),
                ("date", models.DateField()),
                ("description", models.CharField(blank=True, default="", max_length=255)),
                ("idempotency_key", models.CharField(blank=True, max_length=255, null=True)),
                ("idempotency_fingerprint", models.CharField(blank=True, max_length=64, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="monthlyrollup",
            name="ledger_monthlyrollup_bucket_unique",
        ),
        migrations.AlterField(
            model_name="monthlyrollup",
            name="type",
            field=models.CharField(
                choices=[
                    ("income", "Income"),
                    ("expense", "Expense"),
                    ("transfer_in", "Transfer in"),
                    ("transfer_out", "Transfer out"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="account",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="ledger_accounts",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="monthlyrollup",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="ledger.account",
            ),
        ),
        migrations.AddField(
            model_name="transaction",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="transactions",
                to="ledger.account",
            ),
        ),
        migrations.AddField(
            model_name="transfer",
            name="from_account",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.RESTRICT, related_name="+", to="ledger.account"
            ),
        ),
        migrations.AddField(
            model_name="transfer",
            name="to_account",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.RESTRICT, related_name="+", to="ledger.account"
            ),
        ),
        migrations.AddField(
            model_name="transfer",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(fields=("user", "name_key"), name="ledger_account_user_name_unique"),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_default", True)), fields=("user",), name="ledger_account_one_default_per_user"
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(
                condition=models.Q(("idempotency_key__isnull", False)),
                fields=("user", "idempotency_key"),
                name="ledger_account_idempotency_key_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind__in", ["checking", "savings", "credit_card", "cash", "investment", "loan", "other"])
                ),
                name="ledger_account_kind_valid",
            ),
        ),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                fields=["from_account", "-date", "-id"], include=("amount_minor",), name="ledger_transfer_from_date"
            ),
        ),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                fields=["to_account", "-date", "-id"], include=("to_amount_minor",), name="ledger_transfer_to_date"
            ),
        ),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                fields=["user", "date"],
                include=("from_account", "to_account", "amount_minor", "to_amount_minor"),
                name="ledger_transfer_user_date",
            ),
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_minor__gt", 0)), name="ledger_transfer_amount_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.CheckConstraint(
                condition=models.Q(("to_amount_minor__gt", 0)), name="ledger_transfer_to_amount_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.CheckConstraint(
                condition=models.Q(("from_account", models.F("to_account")), _negated=True),
                name="ledger_transfer_distinct_accounts",
            ),
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.UniqueConstraint(
                condition=models.Q(("idempotency_key__isnull", False)),
                fields=("user", "idempotency_key"),
                name="ledger_transfer_idempotency_key_unique",
            ),
        ),
        migrations.RunPython(give_every_user_a_main_account, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="transaction",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="transactions",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="monthlyrollup",
            name="account",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="ledger.account"
            ),
        ),
        migrations.AddConstraint(
            model_name="monthlyrollup",
            constraint=models.UniqueConstraint(
                fields=("user", "month", "account", "category", "type"), name="ledger_monthlyrollup_bucket_unique"
            ),
        ),
    ]
