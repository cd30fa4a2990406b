"""Money figures are read once per request and version: a query pays one statement and one Redis read for any number
of account balances, and a second mutation in the same document answers with the figures after its own write."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import GraphQLClient, create

ACCOUNTS = "{ accounts { name balance } netWorth { currency total } balance { total } }"


def test_every_balance_of_a_query_costs_the_callers_statement_and_the_list(as_alice: GraphQLClient) -> None:
    for name in ("Savings", "Cash", "Card"):
        payload = as_alice.data(
            "mutation($n: String!) { createAccount(input: {name: $n, kind: OTHER}) { errors { code } } }", {"n": name}
        )["createAccount"]
        assert payload["errors"] == []
    create(as_alice, "5.00", "INCOME")
    as_alice.data(ACCOUNTS)  # fills the cache
    with CaptureQueriesContext(connection) as captured:
        body = as_alice.data(ACCOUNTS)
    assert [a["balance"] for a in body["accounts"]] == ["0.00", "0.00", "5.00", "0.00"]
    assert body["netWorth"] == [{"currency": "USD", "total": "5.00"}]
    # The caller with the balance version joined, then the accounts; balances, net worth and balance share one read.
    assert len(captured) == 2, [query["sql"] for query in captured.captured_queries]


def test_a_second_mutation_of_a_document_answers_with_the_figures_after_its_write(as_alice: GraphQLClient) -> None:
    document = """
    mutation {
      first: createTransaction(input: {amount: "10.00", type: INCOME}) { transaction { account { balance } } }
      second: createTransaction(input: {amount: "2.50", type: EXPENSE}) { transaction { account { balance } } }
    }
    """
    body = as_alice.data(document)
    assert body["first"]["transaction"]["account"]["balance"] == "10.00"
    assert body["second"]["transaction"]["account"]["balance"] == "7.50"
