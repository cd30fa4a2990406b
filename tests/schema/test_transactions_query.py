import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import GraphQLClient, create

LIST = """
query List($filters: TransactionFilter, $first: Int, $after: String) {
  transactions(filters: $filters, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id amount type description category date } }
  }
}
"""
ONE = "query One($id: ID!) { transaction(id: $id) { id amount } }"


@pytest.fixture
def ledger(as_alice: GraphQLClient) -> list[dict]:
    rows = [
        ("2500.00", "INCOME", "Salary March", "Salary", "2026-03-01"),
        ("12.40", "EXPENSE", "Groceries at Aldi", "Groceries", "2026-03-02"),
        ("800.00", "EXPENSE", "Rent", "Housing", "2026-03-03"),
        ("5.60", "EXPENSE", "Coffee", "Food", "2026-03-03"),
        ("2500.00", "INCOME", "Salary April", "Salary", "2026-04-01"),
        ("45.10", "EXPENSE", "groceries weekly", "groceries", "2026-04-02"),
    ]
    return [
        create(as_alice, amount, kind, description=text, category=category, date=day)
        for amount, kind, text, category, day in rows
    ]


def descriptions(body: dict) -> list[str]:
    return [edge["node"]["description"] for edge in body["transactions"]["edges"]]


def test_list_is_newest_date_first(as_alice: GraphQLClient, ledger: list[dict]) -> None:
    body = as_alice.data(LIST)
    assert body["transactions"]["totalCount"] == 6
    dates = [edge["node"]["date"] for edge in body["transactions"]["edges"]]
    assert dates == sorted(dates, reverse=True)
    assert body["transactions"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"type": "INCOME"}, {"Salary March", "Salary April"}),
        ({"category": "GROCERIES"}, {"Groceries at Aldi", "groceries weekly"}),
        ({"dateFrom": "2026-03-03", "dateTo": "2026-04-01"}, {"Rent", "Coffee", "Salary April"}),
        ({"minAmount": "12.40", "maxAmount": "800.00"}, {"Groceries at Aldi", "Rent", "groceries weekly"}),
        ({"search": "salary"}, {"Salary March", "Salary April"}),
        ({"search": "ALDI", "type": "EXPENSE"}, {"Groceries at Aldi"}),
        ({"type": "EXPENSE", "dateFrom": "2026-04-01"}, {"groceries weekly"}),
    ],
)
def test_filters(as_alice: GraphQLClient, ledger: list[dict], filters: dict, expected: set[str]) -> None:
    body = as_alice.data(LIST, {"filters": filters})
    assert set(descriptions(body)) == expected
    assert body["transactions"]["totalCount"] == len(expected)


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"filters": {"minAmount": "1e3"}}, "INVALID_AMOUNT"),
        ({"filters": {"dateFrom": "03/01/2026"}}, "INVALID_DATE"),
        ({"after": "garbage!"}, "INVALID_CURSOR"),
        ({"after": base64.urlsafe_b64encode(b"2026-01-01|zz").decode()}, "INVALID_CURSOR"),
        ({"first": -1}, "INVALID_PAGE_SIZE"),
    ],
)
def test_bad_arguments_are_graphql_errors_with_a_code(as_alice: GraphQLClient, variables: dict, code: str) -> None:
    body = as_alice.post(LIST, variables)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]


def test_pagination_walks_every_row_once_in_order(as_alice: GraphQLClient, ledger: list[dict]) -> None:
    seen, after, pages = [], None, 0
    while True:
        body = as_alice.data(LIST, {"first": 4, "after": after})["transactions"]
        pages += 1
        seen += [edge["node"]["id"] for edge in body["edges"]]
        assert body["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not body["pageInfo"]["hasNextPage"]:
            break
        after = body["pageInfo"]["endCursor"]
        assert after == body["edges"][-1]["cursor"]
    everything = [edge["node"]["id"] for edge in as_alice.data(LIST)["transactions"]["edges"]]
    assert pages == 2
    assert seen == everything
    assert len(set(seen)) == 6


def test_rows_on_the_same_date_are_not_skipped_between_pages(as_alice: GraphQLClient) -> None:
    ids = {create(as_alice, f"{n}.00", date="2026-05-05")["id"] for n in range(1, 8)}
    seen, after = [], None
    for _ in range(10):
        body = as_alice.data(LIST, {"first": 2, "after": after})["transactions"]
        seen += [edge["node"]["id"] for edge in body["edges"]]
        if not body["pageInfo"]["hasNextPage"]:
            break
        after = body["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(ids)


def test_first_is_capped(as_alice: GraphQLClient, settings) -> None:
    settings.GRAPHQL_MAX_PAGE_SIZE = 3
    for n in range(5):
        create(as_alice, f"{n + 1}.00")
    body = as_alice.data(LIST, {"first": 1000})["transactions"]
    assert len(body["edges"]) == 3
    assert body["pageInfo"]["hasNextPage"] is True


def test_first_zero_returns_no_rows_but_the_count(as_alice: GraphQLClient, ledger: list[dict]) -> None:
    body = as_alice.data(LIST, {"first": 0})["transactions"]
    assert body["edges"] == []
    assert body["totalCount"] == 6
    assert body["pageInfo"]["hasNextPage"] is True


def test_a_page_costs_a_constant_number_of_queries(as_alice: GraphQLClient) -> None:
    for n in range(30):
        create(as_alice, f"{n + 1}.00")
    counts = []
    for size in (1, 30):
        with CaptureQueriesContext(connection) as captured:
            as_alice.data(LIST, {"first": size})
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert counts[0] <= 4  # user lookup, page, count, the caller's accounts (each amount's currency digits)


def test_single_transaction_by_id(as_alice: GraphQLClient, ledger: list[dict]) -> None:
    wanted = ledger[2]
    assert as_alice.data(ONE, {"id": wanted["id"]})["transaction"] == {"id": wanted["id"], "amount": "800.00"}
    assert as_alice.data(ONE, {"id": "not-an-id"})["transaction"] is None


def test_the_filter_input_and_the_selectors_filters_declare_the_same_fields() -> None:
    import dataclasses

    from ledger.selectors import TransactionFilters
    from schema.inputs import TransactionFilter

    graphql_fields = {field.python_name for field in TransactionFilter.__strawberry_definition__.fields}
    assert graphql_fields == {field.name for field in dataclasses.fields(TransactionFilters)}


def test_every_bad_filter_is_reported_at_once(as_alice) -> None:
    query = "query($f: TransactionFilter) { transactions(filters: $f) { totalCount } }"
    body = as_alice.post(query, {"f": {"dateFrom": "soon", "minAmount": "-1", "category": " "}})
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("INVALID_CATEGORY", "category")
    problems = [(p["field"], p["code"]) for p in error["extensions"]["errors"]]
    assert problems == [("category", "INVALID_CATEGORY"), ("dateFrom", "INVALID_DATE"), ("minAmount", "INVALID_AMOUNT")]


TIMESTAMPS = [
    "{ transactions(first: 30) { edges { node { id createdAt updatedAt } } } }",
    "{ transactions(first: 30) { edges { node { id ...Stamped } } } } fragment Stamped on Transaction { createdAt }",
    "{ transactions(first: 30) { ...Page } } fragment Page on TransactionConnection { edges { node { updatedAt } } }",
    "{ transactions(first: 30) { edges { ... on TransactionEdge { node { ... on Transaction { createdAt } } } } } }",
    "{ transactions(first: 30) { edges { node { id } } } }",
]


@pytest.mark.parametrize("query", TIMESTAMPS)
def test_a_page_reads_its_rows_in_one_statement_whatever_it_selects(as_alice: GraphQLClient, query: str) -> None:
    # Timestamps are loaded only when selected (fragments included): one left out by mistake would cost a query
    # per row to load, so the statement count tells.
    for n in range(30):
        create(as_alice, f"{n + 1}.00")
    with CaptureQueriesContext(connection) as captured:
        edges = as_alice.data(query)["transactions"]["edges"]
    assert len(edges) == 30
    stamps = [value for edge in edges for key, value in edge["node"].items() if key in ("createdAt", "updatedAt")]
    assert all(stamp.startswith("20") for stamp in stamps)
    page_reads = [query for query in captured if "ledger_transaction" in query["sql"]]
    assert len(page_reads) == 1, [query["sql"][:120] for query in captured]
    assert ("created_at" in page_reads[0]["sql"]) == bool(stamps)


def test_each_row_of_a_page_has_its_own_accounts_digits(as_alice: GraphQLClient) -> None:
    from tests.schema.test_accounts import open_account  # noqa: PLC0415

    rows = [("USD", "1.50", "2026-03-01"), ("JPY", "1500", "2026-03-02"), ("KWD", "1.500", "2026-03-03")]
    for currency, amount, day in rows:
        account = open_account(as_alice, currency, currency)
        create(as_alice, amount, accountId=account["id"], date=day)
    create(as_alice, "2.25", date="2026-03-04")  # the default account, read after the others
    page = as_alice.data("{ transactions(first: 10) { edges { node { amount currency } } } }")["transactions"]
    shown = [(edge["node"]["currency"], edge["node"]["amount"]) for edge in page["edges"]]
    assert shown == [("USD", "2.25"), ("KWD", "1.500"), ("JPY", "1500"), ("USD", "1.50")]
