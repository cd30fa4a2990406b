import uuid

import pytest

from ledger.models import DirtyBucket, Transaction
from tests.conftest import BALANCE, GraphQLClient, create

UPDATE = """
mutation Update($id: ID!, $input: UpdateTransactionInput!) {
  updateTransaction(id: $id, input: $input) {
    transaction { id amount type description category date }
    errors { field message code }
  }
}
"""
DELETE = "mutation Delete($id: ID!) { deleteTransaction(id: $id) { deletedId errors { field message code } } }"


def test_update_changes_only_the_given_fields(as_alice: GraphQLClient) -> None:
    txn = create(as_alice, "10.00", description="coffee", category="Food", date="2026-01-05")
    payload = as_alice.data(UPDATE, {"id": txn["id"], "input": {"amount": "12.30", "category": "Cafe"}})[
        "updateTransaction"
    ]
    assert payload["errors"] == []
    assert payload["transaction"] == {**txn_subset(txn), "amount": "12.30", "category": "Cafe"}
    assert Transaction.objects.get().amount_minor == 1230


def test_null_fields_keep_their_value(as_alice: GraphQLClient) -> None:
    txn = create(as_alice, "10.00", description="coffee")
    payload = as_alice.data(UPDATE, {"id": txn["id"], "input": {"amount": None, "description": None}})
    assert payload["updateTransaction"]["transaction"]["amount"] == "10.00"
    assert payload["updateTransaction"]["transaction"]["description"] == "coffee"


def test_update_moves_the_balance_and_marks_both_months_dirty(as_alice: GraphQLClient, alice) -> None:
    txn = create(as_alice, "10.00", date="2026-01-05")
    assert as_alice.data(BALANCE)["balance"]["total"] == "-10.00"
    as_alice.data(UPDATE, {"id": txn["id"], "input": {"type": "INCOME", "date": "2026-02-01"}})
    assert as_alice.data(BALANCE)["balance"] == {
        "total": "10.00",
        "income": "10.00",
        "expense": "0.00",
        "transactionCount": 1,
    }
    assert set(DirtyBucket.objects.filter(user=alice).values_list("month", "generation")) == {
        ("2026-01", 2),
        ("2026-02", 1),
    }


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"amount": "0.00"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "abc"}, "amount", "INVALID_AMOUNT"),
        ({"category": ""}, "category", "INVALID_CATEGORY"),
        ({"date": "2026-13-01"}, "date", "INVALID_DATE"),
    ],
)
def test_invalid_update_changes_nothing(as_alice: GraphQLClient, fields: dict, field: str, code: str) -> None:
    txn = create(as_alice, "10.00", category="Food", date="2026-01-05")
    before = Transaction.objects.values().get()
    payload = as_alice.data(UPDATE, {"id": txn["id"], "input": fields})["updateTransaction"]
    assert payload["transaction"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert Transaction.objects.values().get() == before


def test_delete_removes_the_transaction_and_updates_the_balance(as_alice: GraphQLClient) -> None:
    keep = create(as_alice, "1.00")
    gone = create(as_alice, "2.00")
    assert as_alice.data(BALANCE)["balance"]["total"] == "-3.00"
    payload = as_alice.data(DELETE, {"id": gone["id"]})["deleteTransaction"]
    assert payload == {"deletedId": gone["id"], "errors": []}
    assert list(Transaction.objects.values_list("id", flat=True)) == [uuid.UUID(keep["id"])]
    assert as_alice.data(BALANCE)["balance"]["total"] == "-1.00"


@pytest.mark.parametrize("bad_id", [str(uuid.uuid4()), "not-a-uuid", "1", ""])
def test_unknown_ids_are_not_found(as_alice: GraphQLClient, bad_id: str) -> None:
    create(as_alice, "1.00")
    for query, variables, key in (
        (DELETE, {"id": bad_id}, "deleteTransaction"),
        (UPDATE, {"id": bad_id, "input": {"amount": "5.00"}}, "updateTransaction"),
    ):
        payload = as_alice.data(query, variables)[key]
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    assert Transaction.objects.get().amount_minor == 100


def test_deleting_twice_is_not_found_the_second_time(as_alice: GraphQLClient) -> None:
    txn = create(as_alice, "1.00")
    as_alice.data(DELETE, {"id": txn["id"]})
    payload = as_alice.data(DELETE, {"id": txn["id"]})["deleteTransaction"]
    assert payload["deletedId"] is None
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]


def txn_subset(txn: dict) -> dict:
    return {key: txn[key] for key in ("id", "amount", "type", "description", "category", "date")}
