"""The real Go binary records recurring rules' due occurrences (issue 13): the API reads them as its own transactions,
its cached balance and its analytics are exact right after, and a second run records nothing again. Each recording
appends its change rows (issue 14) as ledger/changes.py's contract says: the snapshots are what snapshot_of writes,
and the `changes` feed serves the recorded transactions as `transaction(id)` does, numbered after the API's own."""

import datetime
import json
import subprocess

import pytest
from django.test import Client

from accounts.tokens import issue_token_pair
from ledger.changes import snapshot_of
from ledger.models import (
    BalanceVersion,
    CategoryName,
    Change,
    DirtyBucket,
    RecurringOccurrence,
    RecurringRule,
    Transaction,
)
from ledger.services.bookkeeping import ensure_default_account
from tests.conftest import GraphQLClient, make_user
from tests.e2e.test_aggregator import AGGREGATOR, database_url
from tests.schema.test_accounts import open_account
from tests.schema.test_analytics import MONTHLY
from tests.schema.test_recurring_rules import RULE_FIELDS, RULES, SKIP, new_rule

pytestmark = pytest.mark.e2e

BALANCE = "query { balance { currency total income expense transactionCount } }"
TRANSACTION_FIELDS = "id amount currency type category description date createdAt updatedAt account { id currency }"
TRANSACTION = f"query Transaction($id: ID!) {{ transaction(id: $id) {{ {TRANSACTION_FIELDS} }} }}"
FEED = f"""
query Feed($after: String) {{
  changes(after: $after, first: 500) {{
    changes {{
      sequence operation entityType entityId
      transaction {{ {TRANSACTION_FIELDS} }}
      recurringRule {{ {RULE_FIELDS} }}
    }}
    cursor hasMore
  }}
}}
"""


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


@pytest.mark.django_db(transaction=True)
def test_recorded_occurrences_are_changes_the_feed_serves_as_the_api_serves_them(settings) -> None:
    user = make_user("recurring-changes-e2e")
    client = GraphQLClient(http=Client(), token=issue_token_pair(user).token)
    settings.LEDGER_TODAY = datetime.date(2026, 3, 10)
    # A yen account: the snapshots carry its currency (and its amounts have no minor digits).
    yen = open_account(client, "Yen", currency="JPY")
    rent = new_rule(client, accountId=yen["id"], startDate="2025-12-31", category="Rent", amount="90000")
    gym = new_rule(client, frequency="WEEKLY", startDate="2026-03-03", description='a "gym" <b> & ü', amount="5.00")
    assert client.data(SKIP, {"ruleId": rent["id"], "date": "2026-01-31"})["skipOccurrence"]["errors"] == []
    before = int(BalanceVersion.objects.get(user=user).change_sequence)  # the API's own changes so far
    assert before == Change.objects.filter(user=user).count() > 0

    assert record("2026-03-10")["recurring"]["occurrences_recorded"] == 4

    # In the database: the rows ledger/changes.py describes, numbered after the API's, one transaction's changes
    # in a row (rules in id order, each rule's transactions in date order, then the rule).
    changes = list(Change.objects.filter(user=user, sequence__gt=before).order_by("sequence"))
    assert [c.sequence for c in changes] == list(range(before + 1, before + 7))
    assert BalanceVersion.objects.get(user=user).change_sequence == before + 6
    recorded = {t.pk: t for t in Transaction.objects.filter(user=user).select_related("account")}
    rules = {r.pk: r for r in RecurringRule.objects.filter(user=user).select_related("account")}
    expected_kinds = []
    for rule_id in sorted(rules):  # the binary takes due rules in id order
        count = sum(1 for t in recorded.values() if t.category == rules[rule_id].category)
        expected_kinds += [("TRANSACTION", "CREATED")] * count + [("RECURRING_RULE", "UPDATED")]
    assert [(c.entity_type, c.operation) for c in changes] == expected_kinds
    for change in changes:
        if change.entity_type == "TRANSACTION":
            # Exactly what the API would have written for this transaction, and the write's time.
            assert change.snapshot == snapshot_of(recorded[change.entity_id])
            assert change.at == recorded[change.entity_id].created_at
        else:
            assert change.snapshot == snapshot_of(rules[change.entity_id])
    assert sorted(c.entity_id for c in changes if c.entity_type == "TRANSACTION") == sorted(recorded)

    # Through the API: after the API's own changes, the feed serves the recorded transactions as transaction(id)
    # does, and the rules as recurringRules does.
    page = client.data(FEED)["changes"]
    assert page["hasMore"] is False
    served = [c for c in page["changes"] if int(c["sequence"]) > before]
    assert [(c["sequence"], c["entityType"], c["operation"]) for c in served] == [
        (str(c.sequence), c.entity_type, c.operation) for c in changes
    ]
    listed = {rule["id"]: rule for rule in client.data(RULES)["recurringRules"]}
    for change in served:
        if change["entityType"] == "TRANSACTION":
            assert change["recurringRule"] is None
            answer = client.data(TRANSACTION, {"id": change["entityId"]})["transaction"]
            assert change["transaction"] == answer and answer is not None
        else:
            assert change["transaction"] is None and change["recurringRule"] == listed[change["entityId"]]
    assert {c["transaction"]["currency"] for c in served if c["transaction"]} == {"JPY", "USD"}
    assert {c["entityId"] for c in served if c["recurringRule"]} == {rent["id"], gym["id"]}

    # A second run records nothing and appends nothing.
    assert record("2026-03-10")["recurring"]["occurrences_recorded"] == 0
    assert Change.objects.filter(user=user).count() == before + 6
