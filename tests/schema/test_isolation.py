"""Another user's transaction must be indistinguishable from one that does not exist."""

import uuid

import pytest

from ledger.models import Transaction
from tests.conftest import BALANCE, GraphQLClient, create
from tests.schema.test_transactions_query import LIST, ONE
from tests.schema.test_update_delete_transaction import DELETE, UPDATE


@pytest.fixture
def bobs(as_bob: GraphQLClient) -> dict:
    return create(as_bob, "77.00", "INCOME", description="bob's secret", category="Secret")


def test_lists_and_balances_cover_only_the_caller(as_alice: GraphQLClient, bobs: dict) -> None:
    create(as_alice, "1.00")
    body = as_alice.data(LIST, {"filters": {"search": "secret"}})
    assert body["transactions"]["totalCount"] == 0
    assert as_alice.data(LIST)["transactions"]["totalCount"] == 1
    assert as_alice.data(BALANCE)["balance"] == {
        "total": "-1.00",
        "income": "0.00",
        "expense": "1.00",
        "transactionCount": 1,
    }


def test_reading_another_users_transaction_looks_like_a_missing_one(as_alice: GraphQLClient, bobs: dict) -> None:
    assert as_alice.data(ONE, {"id": bobs["id"]}) == as_alice.data(ONE, {"id": str(uuid.uuid4())})
    assert as_alice.data(ONE, {"id": bobs["id"]})["transaction"] is None


@pytest.mark.parametrize(
    ("query", "extra", "key"),
    [(UPDATE, {"input": {"amount": "1.00"}}, "updateTransaction"), (DELETE, {}, "deleteTransaction")],
)
def test_changing_another_users_transaction_looks_like_a_missing_one(
    as_alice: GraphQLClient, bobs: dict, query: str, extra: dict, key: str
) -> None:
    foreign = as_alice.data(query, {"id": bobs["id"], **extra})[key]
    missing = as_alice.data(query, {"id": str(uuid.uuid4()), **extra})[key]
    assert foreign["errors"] == missing["errors"]
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    stored = Transaction.objects.get(pk=bobs["id"])
    assert stored.amount_minor == 7700


def test_a_cursor_from_another_user_reveals_nothing(as_alice: GraphQLClient, as_bob: GraphQLClient, bobs: dict) -> None:
    create(as_alice, "1.00", date="2020-01-01")
    bob_cursor = as_bob.data(LIST)["transactions"]["edges"][0]["cursor"]
    body = as_alice.data(LIST, {"after": bob_cursor})["transactions"]
    assert all(edge["node"]["description"] != "bob's secret" for edge in body["edges"])


def test_every_user_field_needs_authentication(anonymous: GraphQLClient, bobs: dict) -> None:
    for query, variables in (
        ("{ me { id } }", None),
        (BALANCE, None),
        (LIST, None),
        (ONE, {"id": bobs["id"]}),
        (UPDATE, {"id": bobs["id"], "input": {"amount": "1.00"}}),
        (DELETE, {"id": bobs["id"]}),
        ('mutation { createTransaction(input: {amount: "1.00", type: INCOME}) { errors { code } } }', None),
    ):
        body = anonymous.post(query, variables)
        assert all(value is None for value in (body["data"] or {}).values()), query
        assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert Transaction.objects.get().amount_minor == 7700
