"""Category identity (ledger.categories): a key beside each transaction, the name each user spells a key with, and
the covering index carrying the key (what the Go aggregator now reads) instead of the spelling.

Upgrade with the API servers and aggregators stopped: code older than this migration writes no `category_key` (its
inserts would fail once the column is NOT NULL, its category updates would leave a stale key) and an older
aggregator reads the spelling. The index is still built CONCURRENTLY, so reads served meanwhile are not blocked.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Max

from ledger.migration_operations import AddIndexConcurrentlyOnPostgres, RemoveIndexConcurrentlyOnPostgres


def _key(name: str) -> str:
    # ledger.categories.category_key, frozen here: a migration must not change when that module does.
    return name.strip().casefold()


def fill_category_keys(apps, schema_editor):
    """One pass over the table on either database; the rule runs in Python, once per distinct spelling."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT DISTINCT category FROM ledger_transaction")
            spellings = [row[0] for row in cursor.fetchall()]
            cursor.execute("CREATE TEMPORARY TABLE category_keys (category text PRIMARY KEY, key text NOT NULL)")
            cursor.executemany("INSERT INTO category_keys VALUES (%s, %s)", [(s, _key(s)) for s in spellings])
            cursor.execute(
                "UPDATE ledger_transaction t SET category_key = k.key FROM category_keys k WHERE k.category = t.category"
            )
            cursor.execute("DROP TABLE category_keys")
        else:
            connection.connection.create_function("category_key", 1, _key, deterministic=True)
            cursor.execute("UPDATE ledger_transaction SET category_key = category_key(category)")


def fill_category_names(apps, schema_editor):
    """Each user's most recently written spelling of each key."""
    Transaction = apps.get_model("ledger", "Transaction")
    CategoryName = apps.get_model("ledger", "CategoryName")
    db = schema_editor.connection.alias
    latest: dict[tuple[object, str], tuple[object, str]] = {}
    spellings = Transaction.objects.using(db).values("user_id", "category").annotate(used_at=Max("created_at")).order_by()
    for row in spellings.iterator(10_000):
        slot = (row["user_id"], _key(row["category"]))
        if slot not in latest or row["used_at"] > latest[slot][0]:
            latest[slot] = (row["used_at"], row["category"])
    CategoryName.objects.using(db).bulk_create(
        (
            CategoryName(user_id=user_id, key=key, name=name, used_at=used_at)
            for (user_id, key), (used_at, name) in latest.items()
        ),
        batch_size=1000,
    )


def mark_rollups_unknown(apps, schema_editor):
    """Rollups written before keys hold spellings: the next `--full` compares every user's rows and rewrites them
    keyed (analytics fold them meanwhile, so figures stay right)."""
    RollupFingerprint = apps.get_model("ledger", "RollupFingerprint")
    RollupFingerprint.objects.using(schema_editor.connection.alias).update(digest=None, rollup_count=None)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; each data step is atomic on its own.
    atomic = False

    dependencies = [
        ("ledger", "0003_balanceversion_volume_minor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="transaction",
            name="category_key",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.RunPython(fill_category_keys, migrations.RunPython.noop, atomic=True),
        migrations.CreateModel(
            name="CategoryName",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=200)),
                ("name", models.CharField(max_length=50)),
                ("used_at", models.DateTimeField()),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("user", "key"), name="ledger_categoryname_user_key")]
            },
        ),
        migrations.RunPython(fill_category_names, migrations.RunPython.noop, atomic=True),
        migrations.AlterField(model_name="monthlyrollup", name="category", field=models.CharField(max_length=200)),
        migrations.RunPython(mark_rollups_unknown, migrations.RunPython.noop, atomic=True),
        # The new index first, then the old one goes: keyset pages always have one.
        AddIndexConcurrentlyOnPostgres(
            model_name="transaction",
            index=models.Index(
                fields=["user", "-date", "-id"],
                include=("category_key", "type", "amount_minor"),
                name="ledger_txn_user_date_covering",
            ),
        ),
        RemoveIndexConcurrentlyOnPostgres(model_name="transaction", name="ledger_txn_user_date_cover"),
    ]
