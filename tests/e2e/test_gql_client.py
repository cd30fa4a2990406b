"""A real Python GraphQL client (`gql`) against the server started as `make run` starts it.

The client is built from the committed schema.graphql, so gql validates every operation against the schema before
it is sent: the file frontends generate their clients from is the one this test proves usable.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport
from graphql import GraphQLError

from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e

SCHEMA = (Path(__file__).resolve().parents[2] / "schema.graphql").read_text()

REGISTER = gql("""
mutation Register($username: String!, $email: String!, $password: String!) {
  register(username: $username, email: $email, password: $password) { user { username } errors { field code } }
}
""")
LOGIN = gql("""
mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) { token refreshToken errors { code } }
}
""")
CREATE = gql("""
mutation Create($input: CreateTransactionInput!) {
  createTransaction(input: $input) { transaction { id amount type category date } errors { field code } }
}
""")
PAGE = gql("""
query Page($first: Int!, $after: String) {
  transactions(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id amount type category date description } }
  }
}
""")
BALANCE = gql("query Balance { me { username } balance { total income expense transactionCount } }")
MONTHLY = gql("""
query Monthly($from: String!, $to: String!) {
  monthlySummary(from: $from, to: $to) { month income expense net transactionCount }
}
""")

TRANSACTIONS = [
    {"amount": "3000.00", "type": "INCOME", "category": "Salary", "date": "2026-01-31", "description": "January pay"},
    {"amount": "1200.00", "type": "EXPENSE", "category": "Rent", "date": "2026-02-01", "description": "February rent"},
    {"amount": "0.10", "type": "EXPENSE", "category": "Fees", "date": "2026-02-14", "description": "card fee"},
    {"amount": "0.20", "type": "EXPENSE", "category": "Fees", "date": "2026-02-15", "description": "card fee"},
    {"amount": "85.45", "type": "EXPENSE", "category": "Groceries", "date": "2026-03-03", "description": "Épicerie"},
]


def client_for(stack: LiveStack, token: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = RequestsHTTPTransport(url=f"{stack.base}/graphql/", headers=headers, timeout=30, retries=0)
    return Client(transport=transport, schema=SCHEMA)


@pytest.fixture
def session(live_stack: LiveStack) -> Iterator[Client]:
    """A registered, logged-in user's client (a gql session: one HTTP connection reused)."""
    with client_for(live_stack) as anonymous:
        registered = anonymous.execute(
            REGISTER,
            variable_values={"username": "grace", "email": "grace@example.com", "password": "a long passphrase"},
        )["register"]
        assert registered == {"user": {"username": "grace"}, "errors": []}
        login = anonymous.execute(LOGIN, variable_values={"username": "grace", "password": "a long passphrase"})[
            "login"
        ]
        assert login["errors"] == []
    with client_for(live_stack, login["token"]) as client:
        yield client


def test_a_script_records_pages_and_sums_with_gql(session: Client) -> None:
    created = []
    for fields in TRANSACTIONS:
        payload = session.execute(CREATE, variable_values={"input": fields})["createTransaction"]
        assert payload["errors"] == []
        created.append(payload["transaction"])
    assert [row["amount"] for row in created] == ["3000.00", "1200.00", "0.10", "0.20", "85.45"]

    # Walk every page with `after`, two at a time: newest date first, each row exactly once.
    pages, after = [], None
    while True:
        page = session.execute(PAGE, variable_values={"first": 2, "after": after})["transactions"]
        assert page["totalCount"] == 5
        pages.append([edge["node"] for edge in page["edges"]])
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [len(rows) for rows in pages] == [2, 2, 1]
    listed = [row for rows in pages for row in rows]
    assert [row["date"] for row in listed] == ["2026-03-03", "2026-02-15", "2026-02-14", "2026-02-01", "2026-01-31"]
    assert {row["id"] for row in listed} == {row["id"] for row in created}
    assert listed[0] == {
        "id": created[4]["id"],
        "amount": "85.45",
        "type": "EXPENSE",
        "category": "Groceries",
        "date": "2026-03-03",
        "description": "Épicerie",
    }

    assert session.execute(BALANCE) == {
        "me": {"username": "grace"},
        "balance": {"total": "1714.25", "income": "3000.00", "expense": "1285.75", "transactionCount": 5},
    }
    assert session.execute(MONTHLY, variable_values={"from": "2025-12", "to": "2026-03"})["monthlySummary"] == [
        {"month": "2025-12", "income": "0.00", "expense": "0.00", "net": "0.00", "transactionCount": 0},
        {"month": "2026-01", "income": "3000.00", "expense": "0.00", "net": "3000.00", "transactionCount": 1},
        {"month": "2026-02", "income": "0.00", "expense": "1200.30", "net": "-1200.30", "transactionCount": 3},
        {"month": "2026-03", "income": "0.00", "expense": "85.45", "net": "-85.45", "transactionCount": 1},
    ]


def test_gql_refuses_an_operation_the_schema_does_not_have_before_sending_it(live_stack: LiveStack) -> None:
    with client_for(live_stack) as client, pytest.raises(GraphQLError, match="Cannot query field 'saldo'"):
        client.execute(gql("query { balance { saldo } }"))
    # A valid operation goes through to the server, which answers an anonymous caller with the typed auth error.
    with client_for(live_stack) as client, pytest.raises(TransportQueryError) as raised:
        client.execute(BALANCE)
    assert raised.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
