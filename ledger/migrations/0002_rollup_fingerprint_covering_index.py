import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ledger.migration_operations import AddIndexConcurrentlyOnPostgres, RemoveIndexConcurrentlyOnPostgres


def mark_existing_rollups_unknown(apps, schema_editor):
    """Rollups written before fingerprints existed have none: NULL (unknown) makes the next full rebuild compare
    those users' rows one by one instead of trusting a digest nobody computed."""
    MonthlyRollup = apps.get_model("ledger", "MonthlyRollup")
    RollupFingerprint = apps.get_model("ledger", "RollupFingerprint")
    db = schema_editor.connection.alias
    users = MonthlyRollup.objects.using(db).values_list("user_id", flat=True).distinct().order_by()
    RollupFingerprint.objects.using(db).bulk_create(
        (RollupFingerprint(user_id=user_id, digest=None, rollup_count=None) for user_id in users.iterator()),
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    # The covering index is built with CREATE INDEX CONCURRENTLY on PostgreSQL: the API keeps writing meanwhile.
    atomic = False

    dependencies = [
        ("accounts", "0003_user_token_version"),
        ("ledger", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupFingerprint",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("digest", models.BigIntegerField(null=True)),
                ("rollup_count", models.BigIntegerField(null=True)),
            ],
        ),
        migrations.RunPython(mark_existing_rollups_unknown, migrations.RunPython.noop, atomic=True),
        # The new index first, then the old one goes: keyset pages always have one.
        AddIndexConcurrentlyOnPostgres(
            model_name="transaction",
            index=models.Index(
                fields=["user", "-date", "-id"],
                include=("category", "type", "amount_minor"),
                name="ledger_txn_user_date_cover",
            ),
        ),
        RemoveIndexConcurrentlyOnPostgres(model_name="transaction", name="ledger_txn_user_date_id"),
    ]
