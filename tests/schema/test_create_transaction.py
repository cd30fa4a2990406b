import datetime
import json
import uuid

import pytest
from django.utils import timezone

from accounts.models import User
from ledger.models import DirtyBucket, Transaction
from tests.conftest import CREATE, GraphQLClient, create


def test_create_returns_the_transaction_with_exact_amount(as_alice: GraphQLClient, alice: User) -> None:
    txn = create(as_alice, "1200.5", "INCOME", description="Salary — März ☕", category="  Salary  ", date="2026-03-31")
    assert txn["amount"] == "1200.50"
    assert txn["type"] == "INCOME"
    assert txn["description"] == "Salary — März ☕"
    assert txn["category"] == "Salary"
    assert txn["date"] == "2026-03-31"
    stored = Transaction.objects.get(pk=txn["id"])
    assert (stored.user_id, stored.amount_minor, stored.type) == (alice.pk, 120050, "income")


def test_defaults_are_other_empty_and_today(as_alice: GraphQLClient) -> None:
    txn = create(as_alice, "3")
    assert (txn["category"], txn["description"], txn["amount"]) == ("Other", "", "3.00")
    assert txn["date"] == timezone.localdate().isoformat()


def test_create_marks_the_month_dirty_for_the_aggregator(as_alice: GraphQLClient, alice: User) -> None:
    create(as_alice, "1.00", date="2025-12-31")
    create(as_alice, "2.00", date="2025-12-01")
    bucket = DirtyBucket.objects.get(user=alice, month="2025-12")
    assert bucket.generation == 2


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"amount": "0"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "-1.00"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "1.001"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "NaN"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "Infinity"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "1e2"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "1000000000000.00"}, "amount", "INVALID_AMOUNT"),
        ({"amount": 12.5}, "amount", "INVALID_AMOUNT"),
        ({"amount": 12}, "amount", "INVALID_AMOUNT"),
        ({"category": "   "}, "category", "INVALID_CATEGORY"),
        ({"category": "x" * 51}, "category", "INVALID_CATEGORY"),
        ({"category": "a\x00b"}, "category", "INVALID_CATEGORY"),
        ({"description": "d" * 256}, "description", "INVALID_DESCRIPTION"),
        ({"description": "nul \x00 byte"}, "description", "INVALID_DESCRIPTION"),
        ({"date": "2026-02-30"}, "date", "INVALID_DATE"),
        ({"date": "20260101"}, "date", "INVALID_DATE"),
        ({"date": "yesterday"}, "date", "INVALID_DATE"),
        ({"idempotencyKey": ""}, "idempotencyKey", "INVALID_IDEMPOTENCY_KEY"),
        ({"idempotencyKey": "k" * 256}, "idempotencyKey", "INVALID_IDEMPOTENCY_KEY"),
    ],
)
def test_invalid_input_is_a_payload_error_and_writes_nothing(
    as_alice: GraphQLClient, fields: dict, field: str, code: str
) -> None:
    payload = as_alice.data(CREATE, {"input": {"amount": "5.00", "type": "EXPENSE", **fields}})["createTransaction"]
    assert payload["transaction"] is None
    assert len(payload["errors"]) == 1
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]
    assert Transaction.objects.count() == 0
    assert DirtyBucket.objects.count() == 0


def test_every_bad_field_is_reported_at_once(as_alice: GraphQLClient) -> None:
    variables = {"input": {"amount": "abc", "type": "INCOME", "category": "", "date": "nope"}}
    payload = as_alice.data(CREATE, variables)["createTransaction"]
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("amount", "INVALID_AMOUNT"),
        ("category", "INVALID_CATEGORY"),
        ("date", "INVALID_DATE"),
    ]


def test_amount_literals_in_the_query_must_be_strings(as_alice: GraphQLClient) -> None:
    body = as_alice.data(
        "mutation { createTransaction(input: {amount: 12.5, type: INCOME}) { errors { field code } } }"
    )
    assert body["createTransaction"]["errors"] == [{"field": "amount", "code": "INVALID_AMOUNT"}]
    body = as_alice.data(
        'mutation { createTransaction(input: {amount: "12.5", type: INCOME}) { transaction { amount } } }'
    )
    assert body["createTransaction"]["transaction"]["amount"] == "12.50"


def test_amount_output_is_a_json_string_never_a_number(as_alice: GraphQLClient) -> None:
    create(as_alice, "10")
    response = as_alice.http.post(
        "/graphql/",
        data=json.dumps({"query": "{ transactions { edges { node { amount } } } balance { total } }"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {as_alice.token}",
    )
    assert b'"amount": "10.00"' in response.content or b'"amount":"10.00"' in response.content
    assert b'"total":"-10.00"' in response.content.replace(b" ", b"")


def test_unknown_type_is_refused_by_graphql_and_writes_nothing(as_alice: GraphQLClient) -> None:
    body = as_alice.post(CREATE, {"input": {"amount": "1.00", "type": "GIFT"}})
    assert body["errors"] and "GIFT" in body["errors"][0]["message"]
    assert Transaction.objects.count() == 0


def test_a_retry_with_the_same_idempotency_key_returns_the_first_transaction(as_alice: GraphQLClient) -> None:
    first = create(as_alice, "9.99", idempotencyKey="order-42")
    again = create(as_alice, "9.99", idempotencyKey="order-42")
    assert again["id"] == first["id"]
    assert Transaction.objects.count() == 1


def test_idempotency_keys_are_per_user(as_alice: GraphQLClient, as_bob: GraphQLClient) -> None:
    mine = create(as_alice, "1.00", idempotencyKey="same")
    theirs = create(as_bob, "1.00", idempotencyKey="same")
    assert mine["id"] != theirs["id"]
    assert Transaction.objects.count() == 2


def test_maximum_amount_is_kept_exactly(as_alice: GraphQLClient) -> None:
    create(as_alice, "999999999999.99", "INCOME")
    create(as_alice, "999999999999.99", "INCOME")
    assert as_alice.data("{ balance { income } }")["balance"]["income"] == "1999999999999.98"


def test_date_far_in_the_past_is_accepted(as_alice: GraphQLClient) -> None:
    assert create(as_alice, "1.00", date="1999-01-01")["date"] == "1999-01-01"
    assert Transaction.objects.get().date == datetime.date(1999, 1, 1)


def test_input_quoted_back_in_an_error_may_contain_percent_signs(as_alice: GraphQLClient) -> None:
    payload = as_alice.data(CREATE, {"input": {"amount": "50%", "type": "EXPENSE", "date": "%s%d"}})[
        "createTransaction"
    ]
    assert sorted(e["code"] for e in payload["errors"]) == ["INVALID_AMOUNT", "INVALID_DATE"]
    assert any("50%" in e["message"] for e in payload["errors"])


def test_the_same_key_with_other_input_is_refused(as_alice: GraphQLClient, alice: User) -> None:
    first = create(as_alice, "9.99", idempotencyKey="order-42")
    payload = as_alice.data(CREATE, {"input": {"amount": "10.00", "type": "EXPENSE", "idempotencyKey": "order-42"}})
    assert payload["createTransaction"]["transaction"] is None
    assert [(e["field"], e["code"]) for e in payload["createTransaction"]["errors"]] == [
        ("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
    ]
    assert list(Transaction.objects.filter(user=alice).values_list("id", flat=True)) == [uuid.UUID(first["id"])]
