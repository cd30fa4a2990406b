"""The indexes of ledger accounts (0006), built without blocking the API: the figures aggregate now groups by
account, and each account's register reads (account, date, id) ranges. The old (user, type, amount) index goes
after its replacement exists."""

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
        RemoveIndexConcurrentlyOnPostgres(model_name="transaction", name="ledger_txn_user_type_amount"),
    ]
