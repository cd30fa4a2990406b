"""The real Go binary records recurring rules' due occurrences (issue 13): the API reads them as its own transactions,
its cached balance and its analytics are exact right after, and a second run records nothing again."""

import datetime
import json
import subprocess

import pytest
from django.test import Client

from accounts.tokens import issue_token_pair
from ledger.models import BalanceVersion, CategoryName, DirtyBucket, RecurringOccurrence, RecurringRule, Transaction
from ledger.services.bookkeeping import ensure_default_account
from tests.conftest import GraphQLClient, make_user
from tests.e2e.test_aggregator import AGGREGATOR, database_url
from tests.schema.test_analytics import MONTHLY

pytestmark = pytest.mark.e2e

BALANCE = "query { balance { currency total income expense transactionCount } }"


def record(today: str) -> dict:
    assert AGGREGATOR.exists(), "go_aggregator/bin/aggregator is built by `make test`"
    result = subprocess.run(
        [str(AGGREGATOR), "--database-url", database_url(), "--once", "--today", today],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_recorded_occurrences_are_ordinary_transactions_the_api_serves_at_once() -> None:
    user = make_user("recurring-e2e")
    account = ensure_default_account(user=user)
    rule = RecurringRule.objects.create(
        user=user,
        account=account,
        amount_minor=4200,
        type="expense",
        category="Rent",
        description="flat",
        frequency="monthly",
        interval=1,
        start_date=datetime.date(2024, 1, 31),
        next_index=0,
        next_date=datetime.date(2024, 1, 31),
    )
    client = GraphQLClient(http=Client(), token=issue_token_pair(user).token)
    assert client.data(BALANCE)["balance"]["transactionCount"] == 0  # cached under the current version

    summary = record("2024-04-15")

    assert summary["recurring"] == {
        "today": "2024-04-15",
        "rules_due": 1,
        "occurrences_recorded": 3,
        "occurrences_passed": 0,
        "rules_waiting": 0,
        "rules_failed": 0,
        "failures": [],
    }
    # Rolled up by the same pass.
    assert summary["buckets_updated"] == 3 and DirtyBucket.objects.filter(user=user).count() == 0
    transactions = list(Transaction.objects.filter(user=user).order_by("date"))
    assert [t.date for t in transactions] == [
        datetime.date(2024, 1, 31),
        datetime.date(2024, 2, 29),
        datetime.date(2024, 3, 31),
    ]
    for transaction in transactions:
        # Every column as the API writes it, read back through the ORM's own converters.
        assert (transaction.account_id, transaction.amount_minor, transaction.type) == (account.pk, 4200, "expense")
        assert (transaction.category, transaction.category_key, transaction.description) == ("Rent", "rent", "flat")
        assert transaction.idempotency_key is None and transaction.idempotency_fingerprint is None
        assert transaction.created_at.tzinfo is not None and transaction.created_at == transaction.updated_at
    occurrences = RecurringOccurrence.objects.filter(rule=rule).order_by("date")
    assert [(o.date, o.transaction_id, o.skipped) for o in occurrences] == [(t.date, t.pk, False) for t in transactions]
    rule.refresh_from_db()
    assert (rule.next_index, rule.next_date) == (3, datetime.date(2024, 4, 30))
    assert BalanceVersion.objects.get(user=user).volume_minor == 3 * 4200
    assert CategoryName.objects.get(user=user, key="rent").name == "Rent"

    # The cached balance and the analytics see the recorded transactions at once (the version moved).
    balance = client.data(BALANCE)["balance"]
    assert (balance["transactionCount"], balance["expense"]) == (3, "126.00")
    monthly = client.data(MONTHLY, {"from": "2024-01", "to": "2024-04"})["monthlySummary"]
    assert [(m["month"], m["expense"], m["transactionCount"]) for m in monthly] == [
        ("2024-01", "42.00", 1),
        ("2024-02", "42.00", 1),
        ("2024-03", "42.00", 1),
        ("2024-04", "0.00", 0),
    ]

    # Deleting a recorded transaction does not bring it back; the next run records only what is newly due.
    Transaction.objects.filter(pk=transactions[1].pk).delete()
    again = record("2024-04-30")["recurring"]
    assert (again["occurrences_recorded"], again["occurrences_passed"]) == (1, 0)
    assert Transaction.objects.filter(user=user).count() == 3
    assert RecurringOccurrence.objects.get(rule=rule, date=datetime.date(2024, 2, 29)).transaction_id is None
