"""Mistakes a client makes in the document or its variables come back with the GraphQL ecosystem's codes and a
message that names the field, never a Python repr of the input."""

import pytest

from tests.conftest import GraphQLClient

CREATE = "mutation($i: CreateTransactionInput!) { createTransaction(input: $i) { errors { code } } }"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"i": {"amount": "5.00", "type": "SIDEWAYS"}},
            "Variable '$i' is invalid at 'i.type': Value 'SIDEWAYS' does not exist in 'TransactionType' enum.",
        ),
        (
            {"i": {"amount": "5.00"}},
            "Variable '$i' is invalid: Field 'type' of required type 'TransactionType!' was not provided.",
        ),
        (
            {"i": {"amount": "5.00", "type": "INCOME", "bogus": 1}},
            "Variable '$i' is invalid: Field 'bogus' is not defined by type 'CreateTransactionInput'.",
        ),
        ({}, "Variable '$i' of required type 'CreateTransactionInput!' was not provided."),
    ],
    ids=["unknown-enum-value", "missing-field", "unknown-field", "missing-variable"],
)
def test_variables_that_do_not_fit_are_bad_user_input(as_alice: GraphQLClient, variables: dict, message: str) -> None:
    body = as_alice.post(CREATE, variables)
    [error] = body["errors"]
    assert (error["message"], error["extensions"]["code"]) == (message, "BAD_USER_INPUT")
    assert "{" not in error["message"]  # no echo of the input as a Python dict


@pytest.mark.parametrize(
    "query",
    [
        'mutation { createTransaction(input: {amount: "5.00", type: SIDEWAYS}) { errors { code } } }',
        "{ nope }",
        "{ balance(x: 1) { total } }",
        'query { transactions(first: "x") { totalCount } }',
    ],
    ids=["enum-literal", "unknown-field", "unknown-argument", "wrong-literal-type"],
)
def test_documents_the_schema_refuses_are_validation_failures(as_alice: GraphQLClient, query: str) -> None:
    body = as_alice.post(query)
    assert body["errors"] and all(e["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" for e in body["errors"])


def test_a_syntax_error_is_a_parse_failure(as_alice: GraphQLClient) -> None:
    [error] = as_alice.post("{ me { ")["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["message"].startswith("Syntax Error")
