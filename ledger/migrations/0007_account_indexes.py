"""The indexes of ledger accounts (0006), built without blocking the API: the figures aggregate now groups by
account, each account's register reads (account, date, id) ranges, and the aggregator's covering index carries the
account (its recompute of a (user, month) stays index-only). Each old index goes after its replacement exists."""

from django.db import migrations, models

from ledger.migration_operations import AddIndexConcurrentlyOnPostgres, RemoveIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("ledger", "0006_accounts"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="transaction",
            index=models.Index(
                fields=["user", "account", "type", "amount_minor"], name="ledger_txn_user_acct_type_amt"
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="transaction",
            index=models.Index(
                fields=["account", "-date", "-id"], include=("type", "amount_minor"), name="ledger_txn_account_date"
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="transaction",
            index=models.Index(
                fields=["user", "-date", "-id"],
                include=("account", "category_key", "type", "amount_minor"),
                name="ledger_txn_user_date_cover",
            ),
        ),
        RemoveIndexConcurrentlyOnPostgres(model_name="transaction", name="ledger_txn_user_type_amount"),
        RemoveIndexConcurrentlyOnPostgres(model_name="transaction", name="ledger_txn_user_date_covering"),
    ]
