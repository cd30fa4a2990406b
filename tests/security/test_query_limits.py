"""Abusive documents are refused at validation, before any resolver runs, as GraphQL errors (never a 500)."""

import json

import pytest

from ledger.models import Transaction
from tests.conftest import GraphQLClient


def refused(client: GraphQLClient, query: str) -> list[dict]:
    body = client.post(query)
    assert body.get("data") is None, body
    assert body["errors"]
    return body["errors"]


def test_depth_over_the_limit_is_refused(as_alice: GraphQLClient) -> None:
    assert as_alice.data("query { transactions { edges { node { id } } } }")  # depth 4 is fine
    nesting = "__typename"
    for _ in range(12):
        nesting = f'__type(name: "User") {{ name fields {{ type {{ ofType {{ {nesting} }} }} }} }}'
    errors = refused(as_alice, "query { " + nesting + " }")
    assert any("depth" in error["message"].lower() for error in errors)


def test_too_many_aliases_are_refused_even_inside_fragments(as_alice: GraphQLClient) -> None:
    aliases = " ".join(f"a{n}: id" for n in range(16))
    assert "alias" in refused(as_alice, f"query {{ me {{ {aliases} }} }}")[0]["message"].lower()
    fragment = "query { me { ...F } } fragment F on User { " + aliases + " }"
    assert "alias" in refused(as_alice, fragment)[0]["message"].lower()


def test_aliased_writes_over_the_limit_write_nothing(as_alice: GraphQLClient) -> None:
    writes = " ".join(
        f'w{n}: createTransaction(input: {{amount: "1.00", type: EXPENSE}}) {{ errors {{ code }} }}' for n in range(16)
    )
    refused(as_alice, f"mutation {{ {writes} }}")
    assert Transaction.objects.count() == 0


def test_too_many_tokens_are_refused(as_alice: GraphQLClient) -> None:
    huge = "query { me { " + " ".join(["id"] * 2100) + " } }"
    assert "token" in refused(as_alice, huge)[0]["message"].lower()


def test_fragment_fan_out_of_repeated_fields_is_refused(as_alice: GraphQLClient) -> None:
    fields = " ".join(["id username email"] * 10)
    spreads = " ".join(["...U"] * 20)
    query = f"query {{ me {{ {spreads} }} }} fragment U on User {{ {fields} }}"
    errors = refused(as_alice, query)
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_too_many_directives_are_refused(as_alice: GraphQLClient) -> None:
    query = "query { me { id " + " ".join(["@include(if: true)"] * 11) + " } }"
    errors = refused(as_alice, query)
    assert any(error.get("extensions", {}).get("code") == "QUERY_TOO_COMPLEX" for error in errors)


def test_a_normal_query_with_a_few_directives_passes(as_alice: GraphQLClient) -> None:
    assert as_alice.data("query { me { id @include(if: true) username @skip(if: false) } }")["me"]["id"]


@pytest.mark.django_db
def test_array_batching_is_refused_with_a_graphql_error(anonymous: GraphQLClient) -> None:
    batch = [{"query": "{ __typename }"}] * 3
    response = anonymous.http.post("/graphql/", data=json.dumps(batch), content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BATCHING_NOT_ALLOWED"


@pytest.mark.django_db
@pytest.mark.parametrize("payload", ["{not json", '{"variables": {}}', '"just a string"', "[]"])
def test_malformed_requests_get_a_graphql_error_not_a_500(anonymous: GraphQLClient, payload: str) -> None:
    response = anonymous.http.post("/graphql/", data=payload, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.json()["errors"][0]["extensions"]["code"] in ("BAD_REQUEST", "BATCHING_NOT_ALLOWED")


@pytest.mark.parametrize(
    "query",
    [
        "query { me { " + " ".join(f"a{n}: id" for n in range(16)) + " } }",
        "query { me { " + " ".join(["id"] * 2100) + " } }",
    ],
    ids=["aliases", "tokens"],
)
def test_every_limit_answers_query_too_complex(as_alice: GraphQLClient, query: str) -> None:
    assert [error["extensions"]["code"] for error in refused(as_alice, query)] == ["QUERY_TOO_COMPLEX"]
