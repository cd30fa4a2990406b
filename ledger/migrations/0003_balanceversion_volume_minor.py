"""Per-user volume (the sum of all amounts), which bounds every figure computed from a user's rows."""

from django.db import migrations, models

_INT64_MAX = 2**63 - 1


def fill_volumes(apps, schema_editor):
    """Every user with transactions gets their volume, clamped to int64 (data written before the bound may exceed
    it; such a user's further writes are refused until deletes bring it down)."""
    BalanceVersion = apps.get_model("ledger", "BalanceVersion")
    Transaction = apps.get_model("ledger", "Transaction")
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # Set-based: SUM over bigint is numeric on PostgreSQL, so it cannot overflow before the clamp.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_balanceversion (user_id, version, volume_minor) "
                "SELECT user_id, 0, LEAST(SUM(amount_minor), %s) FROM ledger_transaction GROUP BY user_id "
                "ON CONFLICT (user_id) DO UPDATE SET volume_minor = excluded.volume_minor",
                [_INT64_MAX],
            )
        return
    # SQLite's SUM raises on int64 overflow: add in Python, whose integers do not overflow.
    db = connection.alias
    volumes: dict[object, int] = {}
    rows = Transaction.objects.using(db).order_by().values_list("user_id", "amount_minor")
    for user_id, amount in rows.iterator(10_000):
        volumes[user_id] = volumes.get(user_id, 0) + amount
    for user_id, volume in volumes.items():
        BalanceVersion.objects.using(db).update_or_create(
            user_id=user_id, defaults={"volume_minor": min(volume, _INT64_MAX)}
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_rollup_fingerprint_covering_index")]

    operations = [
        migrations.AddField(
            model_name="balanceversion", name="volume_minor", field=models.BigIntegerField(default=0, db_default=0)
        ),
        migrations.RunPython(fill_volumes, migrations.RunPython.noop),
    ]
