"""Budgets through the GraphQL endpoint (issue 13): setBudget and its history cutting, every refusal (exact errors,
nothing written), deleteBudget, the auth matrix, and the month's report (any case, transfers never count,
unbudgeted spending, rollover)."""

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from graphql import Undefined, build_schema, is_non_null_type

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger.balance_cache import read_balance_version
from ledger.models import Budget
from schema.export import SCHEMA_FILE
from tests.conftest import GraphQLClient, create, run_together
from tests.schema.test_accounts import SET_DEFAULT, default_account_of, make_transfer, open_account

SET_BUDGET = """
mutation Set($input: SetBudgetInput!) {
  setBudget(input: $input) {
    budget { id category currency amount startMonth endMonth rollover }
    errors { field message code }
  }
}
"""
DELETE_BUDGET = """
mutation Delete($id: ID!) { deleteBudget(id: $id) { deletedId errors { field message code } } }
"""
BUDGETS = "query { budgets { id category currency amount startMonth endMonth rollover } }"
REPORT = """
query Report($month: String!, $currency: String) {
  budgetReport(month: $month, currency: $currency) {
    month currency totalBudgeted totalSpent unbudgetedSpent
    lines { category budgeted carriedOver spent available overspent }
  }
}
"""


def as_user(user: User) -> GraphQLClient:
    return GraphQLClient(http=Client(), token=issue_token_pair(user).token)


def set_budget(client: GraphQLClient, category: str, amount: str, from_month: str, **fields: object) -> dict:
    """setBudget through the API; the payload must carry no errors."""
    variables = {"input": {"category": category, "amount": amount, "fromMonth": from_month, **fields}}
    payload = client.data(SET_BUDGET, variables)["setBudget"]
    assert payload["errors"] == [], payload["errors"]
    return payload["budget"]


def periods(client: GraphQLClient) -> list[tuple]:
    """The caller's budget rows as (category, currency, amount, start, end, rollover), in the API's order."""
    return [
        (b["category"], b["currency"], b["amount"], b["startMonth"], b["endMonth"], b["rollover"])
        for b in client.data(BUDGETS)["budgets"]
    ]


def report(client: GraphQLClient, month: str, currency: str | None = None) -> dict:
    return client.data(REPORT, {"month": month, "currency": currency})["budgetReport"]


def stored(user: User) -> list[dict]:
    """Every stored column of the user's budgets: what a refused write must leave as it was."""
    return list(Budget.objects.filter(user=user).order_by("pk").values())


# --- setBudget ----------------------------------------------------------------------------------------------------


def test_set_budget_answers_the_new_row_in_the_default_currency(as_alice: GraphQLClient, alice: User) -> None:
    budget = set_budget(as_alice, " Groceries ", "400.5", "2026-01")
    assert budget == {
        "id": budget["id"],
        "category": "Groceries",
        "currency": "USD",
        "amount": "400.50",
        "startMonth": "2026-01",
        "endMonth": None,
        "rollover": False,
    }
    row = Budget.objects.get(pk=budget["id"])
    assert (row.user_id, row.category_key, row.amount_minor) == (alice.pk, "groceries", 40050)
    assert periods(as_alice) == [("Groceries", "USD", "400.50", "2026-01", None, False)]


def test_zero_is_a_budget_and_digits_follow_the_currency(as_alice: GraphQLClient) -> None:
    assert set_budget(as_alice, "Fun", "0", "2026-01")["amount"] == "0.00"
    assert set_budget(as_alice, "Fun", "1200", "2026-01", currency="jpy")["amount"] == "1200"
    assert set_budget(as_alice, "Fun", "1.25", "2026-01", currency="KWD", rollover=True)["amount"] == "1.250"
    assert [(p[1], p[2], p[5]) for p in periods(as_alice)] == [
        ("JPY", "1200", False),
        ("KWD", "1.250", True),
        ("USD", "0.00", False),
    ]


def test_the_currency_defaults_to_the_default_accounts(as_alice: GraphQLClient) -> None:
    euros = open_account(as_alice, "Euros", "EUR")
    as_alice.data(SET_DEFAULT, {"id": euros["id"]})
    assert set_budget(as_alice, "Rent", "900.00", "2026-01")["currency"] == "EUR"
    create(as_alice, "850.00", category="rent", date="2026-01-02")  # the default account: EUR
    line = report(as_alice, "2026-01")
    assert (line["currency"], line["lines"][0]["spent"]) == ("EUR", "850.00")


def test_a_later_amount_ends_the_earlier_one_the_month_before(as_alice: GraphQLClient) -> None:
    set_budget(as_alice, "Food", "100.00", "2026-01")
    set_budget(as_alice, "FOOD", "150.00", "2026-04", rollover=True)
    assert periods(as_alice) == [
        ("Food", "USD", "100.00", "2026-01", "2026-03", False),
        ("FOOD", "USD", "150.00", "2026-04", None, True),
    ]
    assert report(as_alice, "2026-03")["totalBudgeted"] == "100.00"
    assert report(as_alice, "2026-04")["totalBudgeted"] == "150.00"
    assert report(as_alice, "2025-12")["lines"] == []


def test_a_range_inside_a_row_splits_it_and_rows_inside_are_deleted(as_alice: GraphQLClient) -> None:
    set_budget(as_alice, "Food", "100.00", "2026-01", endMonth="2026-12", rollover=True)
    set_budget(as_alice, "food", "50.00", "2026-05", endMonth="2026-06")
    assert periods(as_alice) == [
        ("Food", "USD", "100.00", "2026-01", "2026-04", True),
        ("food", "USD", "50.00", "2026-05", "2026-06", False),
        ("Food", "USD", "100.00", "2026-07", "2026-12", True),
    ]
    # Over all three: the middle row goes, the outer ones are cut to what lies outside.
    set_budget(as_alice, "Food", "70.00", "2026-03", endMonth="2026-08")
    assert periods(as_alice) == [
        ("Food", "USD", "100.00", "2026-01", "2026-02", True),
        ("Food", "USD", "70.00", "2026-03", "2026-08", False),
        ("Food", "USD", "100.00", "2026-09", "2026-12", True),
    ]
    # The same start month replaces the row; an open-ended range from before takes everything after.
    set_budget(as_alice, "Food", "75.00", "2026-03", endMonth="2026-08")
    set_budget(as_alice, "Food", "10.00", "2025-06")
    assert periods(as_alice) == [("Food", "USD", "10.00", "2025-06", None, False)]


def test_a_row_running_past_the_range_starts_after_it(as_alice: GraphQLClient) -> None:
    set_budget(as_alice, "Food", "100.00", "2026-03")
    set_budget(as_alice, "Food", "20.00", "2026-01", endMonth="2026-04")
    assert periods(as_alice) == [
        ("Food", "USD", "20.00", "2026-01", "2026-04", False),
        ("Food", "USD", "100.00", "2026-05", None, False),
    ]


def test_other_categories_and_currencies_keep_their_rows(as_alice: GraphQLClient) -> None:
    set_budget(as_alice, "Food", "100.00", "2026-01")
    set_budget(as_alice, "Food", "100", "2026-01", currency="JPY")
    set_budget(as_alice, "Fun", "5.00", "2026-01")
    set_budget(as_alice, "Food", "90.00", "2026-01")
    assert periods(as_alice) == [
        ("Food", "JPY", "100", "2026-01", None, False),
        ("Food", "USD", "90.00", "2026-01", None, False),
        ("Fun", "USD", "5.00", "2026-01", None, False),
    ]


def test_a_budget_write_bumps_the_balance_version(as_alice: GraphQLClient, alice: User) -> None:
    before = read_balance_version(alice.pk)
    budget = set_budget(as_alice, "Food", "1.00", "2026-01")
    assert read_balance_version(alice.pk) == before + 1
    as_alice.data(DELETE_BUDGET, {"id": budget["id"]})
    assert read_balance_version(alice.pk) == before + 2


@pytest.mark.django_db(transaction=True)
def test_racing_set_budgets_of_one_category_leave_a_history_without_overlap(alice: User) -> None:
    # Each write bumps the balance version first, whose row lock serializes the user's writes: every one cuts the
    # rows the one before it left, so none fails on the unique start month and no two rows overlap.
    set_budget(as_user(alice), "Food", "1.00", "2026-01")
    ranges = iter([("2026-03", None), ("2026-01", "2026-06"), ("2026-02", "2026-02"), ("2026-03", "2026-04")])

    def set_one() -> dict:
        first, last = next(ranges)
        variables = {"input": {"category": "FOOD", "amount": "2.00", "fromMonth": first, "endMonth": last}}
        return as_user(alice).post(SET_BUDGET, variables)

    answers = run_together(set_one, 4)
    assert all("errors" not in answer and answer["data"]["setBudget"]["errors"] == [] for answer in answers), answers
    rows = periods(as_user(alice))
    covered = [
        month
        for _, _, _, start, end, _ in rows
        for month in (f"2026-{number:02d}" for number in range(1, 13))
        if start <= month and (end is None or month <= end)
    ]
    assert len(covered) == len(set(covered)) == 12


# --- refusals -----------------------------------------------------------------------------------------------------

VALID = {"category": "Food", "amount": "10.00", "fromMonth": "2026-01"}


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"category": "  "}, "category", "INVALID_CATEGORY"),
        ({"category": "x" * 51}, "category", "INVALID_CATEGORY"),
        ({"category": "a\x00b"}, "category", "INVALID_CATEGORY"),
        ({"amount": "-1.00"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "1.234"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "ten"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "1e3"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "1.5", "currency": "JPY"}, "amount", "INVALID_AMOUNT"),
        ({"currency": "XYZ"}, "currency", "INVALID_CURRENCY"),
        ({"currency": "XAU"}, "currency", "INVALID_CURRENCY"),
        ({"fromMonth": "2026-13"}, "fromMonth", "INVALID_MONTH"),
        ({"fromMonth": "2026-1"}, "fromMonth", "INVALID_MONTH"),
        ({"fromMonth": "2026-01-01"}, "fromMonth", "INVALID_MONTH"),
        ({"fromMonth": "1899-12"}, "fromMonth", "INVALID_MONTH"),
        ({"fromMonth": "3000-01"}, "fromMonth", "INVALID_MONTH"),
        ({"endMonth": "2026-00"}, "endMonth", "INVALID_MONTH"),
        ({"endMonth": "3000-01"}, "endMonth", "INVALID_MONTH"),
        ({"endMonth": "2025-12"}, "endMonth", "INVALID_MONTH"),
    ],
)
def test_each_refusal_has_its_code_and_writes_nothing(
    as_alice: GraphQLClient, alice: User, changes: dict, field: str, code: str
) -> None:
    set_budget(as_alice, "Food", "5.00", "2025-01")  # a row the refused write would have cut
    before, version = stored(alice), read_balance_version(alice.pk)
    payload = as_alice.data(SET_BUDGET, {"input": {**VALID, **changes}})["setBudget"]
    assert payload["budget"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [(field, code)]
    assert stored(alice) == before
    assert read_balance_version(alice.pk) == version


def test_a_number_literal_amount_is_refused(as_alice: GraphQLClient, alice: User) -> None:
    body = as_alice.data(
        'mutation { setBudget(input: {category: "A", amount: 12.5, fromMonth: "2026-01"}) '
        "{ budget { id } errors { field code } } }"
    )
    assert body["setBudget"] == {"budget": None, "errors": [{"field": "amount", "code": "INVALID_AMOUNT"}]}
    assert stored(alice) == []


def test_every_problem_is_reported_at_once(as_alice: GraphQLClient, alice: User) -> None:
    variables = {
        "input": {"category": "", "amount": "-3", "currency": "ABC", "fromMonth": "May 2026", "endMonth": "2026-13"}
    }
    payload = as_alice.data(SET_BUDGET, variables)["setBudget"]
    assert payload["budget"] is None
    assert sorted((error["field"], error["code"]) for error in payload["errors"]) == [
        ("amount", "INVALID_AMOUNT"),
        ("category", "INVALID_CATEGORY"),
        ("currency", "INVALID_CURRENCY"),
        ("endMonth", "INVALID_MONTH"),
        ("fromMonth", "INVALID_MONTH"),
    ]
    assert stored(alice) == []


# --- deleteBudget -------------------------------------------------------------------------------------------------


def test_delete_budget_removes_one_period(as_alice: GraphQLClient, alice: User) -> None:
    set_budget(as_alice, "Food", "100.00", "2026-01")
    later = set_budget(as_alice, "Food", "150.00", "2026-04")
    payload = as_alice.data(DELETE_BUDGET, {"id": later["id"]})["deleteBudget"]
    assert payload == {"deletedId": later["id"], "errors": []}
    assert periods(as_alice) == [("Food", "USD", "100.00", "2026-01", "2026-03", False)]
    assert report(as_alice, "2026-04")["lines"] == []


@pytest.mark.parametrize("budget_id", ["not-an-id", str(uuid.uuid4()), ""])
def test_deleting_an_unknown_id_is_not_found(as_alice: GraphQLClient, alice: User, budget_id: str) -> None:
    set_budget(as_alice, "Food", "1.00", "2026-01")
    before = stored(alice)
    payload = as_alice.data(DELETE_BUDGET, {"id": budget_id})["deleteBudget"]
    assert payload["deletedId"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    assert stored(alice) == before


# --- auth matrix --------------------------------------------------------------------------------------------------

OPERATIONS = {
    "budgets": (BUDGETS, lambda budget_id: {}),
    "budgetReport": (REPORT, lambda budget_id: {"month": "2026-01"}),
    "setBudget": (SET_BUDGET, lambda budget_id: {"input": VALID}),
    "deleteBudget": (DELETE_BUDGET, lambda budget_id: {"id": budget_id}),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_anonymous_callers_are_refused_everywhere(
    anonymous: GraphQLClient, as_alice: GraphQLClient, alice: User, name: str
) -> None:
    budget = set_budget(as_alice, "Food", "1.00", "2026-01")
    before = stored(alice)
    query, variables = OPERATIONS[name]
    body = anonymous.post(query, variables(budget["id"]))
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert stored(alice) == before


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_another_users_budgets_are_invisible_and_untouchable(
    as_alice: GraphQLClient, as_bob: GraphQLClient, alice: User, bob: User, name: str
) -> None:
    budget = set_budget(as_alice, "Food", "1.00", "2026-01")
    create(as_alice, "0.50", category="Food", date="2026-01-05")
    before = stored(alice)
    query, variables = OPERATIONS[name]
    as_bob_answer = as_bob.data(query, variables(budget["id"]))
    as_random = as_bob.data(query, variables(str(uuid.uuid4())))
    if name == "deleteBudget":  # exactly like an id that exists nowhere
        assert as_bob_answer == as_random
        assert [(e["field"], e["code"]) for e in as_bob_answer["deleteBudget"]["errors"]] == [("id", "NOT_FOUND")]
    elif name == "budgets":
        assert as_bob_answer == {"budgets": []}
    elif name == "budgetReport":
        assert as_bob_answer["budgetReport"]["lines"] == []
        assert as_bob_answer["budgetReport"]["unbudgetedSpent"] == "0.00"
    else:  # setBudget: Bob's own row, Alice's history untouched
        assert Budget.objects.filter(user=bob).count() == 1
    assert stored(alice) == before


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_the_owner_gets_the_answer(as_alice: GraphQLClient, alice: User, name: str) -> None:
    budget = set_budget(as_alice, "Food", "1.00", "2025-01", endMonth="2025-12")
    query, variables = OPERATIONS[name]
    answer = as_alice.data(query, variables(budget["id"]))
    expected = {
        "budgets": lambda: [b["id"] for b in answer["budgets"]] == [budget["id"]],
        "budgetReport": lambda: answer["budgetReport"]["month"] == "2026-01",
        "setBudget": lambda: answer["setBudget"]["errors"] == [] and answer["setBudget"]["budget"]["id"],
        "deleteBudget": lambda: answer["deleteBudget"] == {"deletedId": budget["id"], "errors": []},
    }
    assert expected[name]()


# --- budgetReport -------------------------------------------------------------------------------------------------


def test_the_report_matches_categories_in_any_case_and_ignores_transfers(as_alice: GraphQLClient) -> None:
    main = default_account_of(as_alice)
    card = open_account(as_alice, "Card")
    yen = open_account(as_alice, "Yen", "JPY")
    set_budget(as_alice, "Groceries", "200.00", "2026-01")
    set_budget(as_alice, "Rent", "1000.00", "2026-01", endMonth="2026-01")
    create(as_alice, "50.00", category="groceries", date="2026-01-03")
    create(as_alice, "25.25", category="GROCERIES ", date="2026-01-31", accountId=card["id"])
    create(as_alice, "1100.00", category="Rent", date="2026-01-01")
    create(as_alice, "9.99", category="Books", date="2026-01-10")
    create(as_alice, "3.01", category="books", date="2026-01-11", accountId=card["id"])
    create(as_alice, "999.00", "INCOME", category="Groceries", date="2026-01-12")  # income never counts
    create(as_alice, "700", category="Groceries", date="2026-01-12", accountId=yen["id"])  # another currency
    create(as_alice, "7.00", category="Groceries", date="2026-02-01")  # another month
    make_transfer(as_alice, main["id"], card["id"], "500.00", date="2026-01-15")  # transfers never count
    assert report(as_alice, "2026-01") == {
        "month": "2026-01",
        "currency": "USD",
        "totalBudgeted": "1200.00",
        "totalSpent": "1175.25",
        "unbudgetedSpent": "13.00",
        "lines": [
            {
                "category": "Groceries",
                "budgeted": "200.00",
                "carriedOver": "0.00",
                "spent": "75.25",
                "available": "124.75",
                "overspent": False,
            },
            {
                "category": "Rent",
                "budgeted": "1000.00",
                "carriedOver": "0.00",
                "spent": "1100.00",
                "available": "-100.00",
                "overspent": True,
            },
        ],
    }
    # February: Rent has no budget any more, so what it spends there is unbudgeted.
    create(as_alice, "1000.00", category="rent", date="2026-02-01")
    february = report(as_alice, "2026-02")
    assert [line["category"] for line in february["lines"]] == ["Groceries"]
    assert (february["totalSpent"], february["unbudgetedSpent"]) == ("7.00", "1000.00")
    yen_report = report(as_alice, "2026-01", "jpy")
    assert (yen_report["currency"], yen_report["lines"], yen_report["unbudgetedSpent"]) == ("JPY", [], "700")


def test_rollover_carries_remainders_and_overspending_through_amount_changes(as_alice: GraphQLClient) -> None:
    set_budget(as_alice, "Fun", "100.00", "2026-01", rollover=True)
    set_budget(as_alice, "Fun", "50.00", "2026-03", rollover=True)  # the history keeps carrying
    create(as_alice, "30.00", category="Fun", date="2026-01-10")  # leaves 70
    create(as_alice, "150.00", category="fun", date="2026-02-10")  # overspends 50: carried 20
    create(as_alice, "10.00", category="FUN", date="2026-03-10")
    lines = {month: report(as_alice, month)["lines"][0] for month in ("2026-01", "2026-02", "2026-03", "2026-04")}
    assert [(line["carriedOver"], line["spent"], line["available"]) for line in lines.values()] == [
        ("0.00", "30.00", "70.00"),
        ("70.00", "150.00", "20.00"),
        ("20.00", "10.00", "60.00"),
        ("60.00", "0.00", "110.00"),
    ]
    # A row without rollover breaks the chain; the next rollover row starts again from 0.
    set_budget(as_alice, "Fun", "40.00", "2026-03", endMonth="2026-03")
    assert report(as_alice, "2026-03")["lines"][0]["carriedOver"] == "0.00"
    assert report(as_alice, "2026-04")["lines"][0]["carriedOver"] == "0.00"
    assert report(as_alice, "2026-05")["lines"][0]["carriedOver"] == "50.00"
    # A gap breaks it too.
    middle = next(b for b in as_alice.data(BUDGETS)["budgets"] if b["startMonth"] == "2026-03")
    as_alice.data(DELETE_BUDGET, {"id": middle["id"]})
    assert report(as_alice, "2026-04")["lines"][0]["carriedOver"] == "0.00"


def test_a_report_is_fresh_after_every_kind_of_write(as_alice: GraphQLClient) -> None:
    set_budget(as_alice, "Food", "10.00", "2026-01")
    assert report(as_alice, "2026-01")["lines"][0]["spent"] == "0.00"  # cached now
    create(as_alice, "4.00", category="Food", date="2026-01-02")
    assert report(as_alice, "2026-01")["lines"][0]["available"] == "6.00"
    set_budget(as_alice, "Food", "20.00", "2026-01")
    assert report(as_alice, "2026-01")["lines"][0]["available"] == "16.00"


def test_a_report_is_cached_under_the_version(as_alice: GraphQLClient) -> None:
    set_budget(as_alice, "Food", "10.00", "2024-01", rollover=True)
    create(as_alice, "4.00", category="Food", date="2024-02-02")
    first = report(as_alice, "2026-01")
    with CaptureQueriesContext(connection) as captured:
        again = report(as_alice, "2026-01")
    assert again == first
    assert first["lines"][0]["carriedOver"] == "236.00"  # 24 months of 10.00, less 4.00
    assert len(captured) == 1  # the caller with the version joined; no budgets, dirty set, rollups or rows


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-01", "", "1899-12", "3000-01", "2026-01-01"])
def test_a_bad_month_is_an_invalid_month_error(as_alice: GraphQLClient, month: str) -> None:
    body = as_alice.post(REPORT, {"month": month})
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INVALID_MONTH"]
    assert body["errors"][0]["extensions"]["field"] == "month"


def test_a_bad_currency_is_an_invalid_currency_error(as_alice: GraphQLClient) -> None:
    body = as_alice.post(REPORT, {"month": "2026-01", "currency": "XYZ"})
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INVALID_CURRENCY"]


# --- the contract -------------------------------------------------------------------------------------------------

CONTRACT = {
    "Budget": {
        "id": "ID!",
        "category": "String!",
        "currency": "String!",
        "amount": "Decimal!",
        "startMonth": "String!",
        "endMonth": "String",
        "rollover": "Boolean!",
    },
    "BudgetLine": {
        "category": "String!",
        "budgeted": "Decimal!",
        "carriedOver": "Decimal!",
        "spent": "Decimal!",
        "available": "Decimal!",
        "overspent": "Boolean!",
    },
    "BudgetReport": {
        "month": "String!",
        "currency": "String!",
        "lines": "[BudgetLine!]!",
        "totalBudgeted": "Decimal!",
        "totalSpent": "Decimal!",
        "unbudgetedSpent": "Decimal!",
    },
    "BudgetPayload": {"budget": "Budget", "errors": "[FieldError!]!"},
}
ROOT_CONTRACT = {
    ("Query", "budgets"): ({}, "[Budget!]!"),
    ("Query", "budgetReport"): ({"month": "String!", "currency": "String"}, "BudgetReport!"),
    ("Mutation", "setBudget"): ({"input": "SetBudgetInput!"}, "BudgetPayload!"),
    ("Mutation", "deleteBudget"): ({"id": "ID!"}, "DeletePayload!"),
}
INPUT_CONTRACT = {
    "category": ("String!", None),
    "amount": ("Decimal!", None),
    "currency": ("String", None),
    "fromMonth": ("String!", None),
    "endMonth": ("String", None),
    "rollover": ("Boolean", False),
}


def test_the_issue_13_contract_holds_in_the_committed_schema() -> None:
    committed = build_schema(SCHEMA_FILE.read_text())
    for type_name, fields in CONTRACT.items():
        declared = committed.type_map[type_name].fields
        assert {name: str(declared[name].type) for name in fields} == fields, type_name
    for (root, name), (arguments, result) in ROOT_CONTRACT.items():
        declared = committed.type_map[root].fields[name]
        assert str(declared.type) == result
        assert {arg: str(value.type) for arg, value in declared.args.items() if arg in arguments} == arguments
        assert all(arg in arguments or not is_non_null_type(value.type) for arg, value in declared.args.items())
    inputs = committed.type_map["SetBudgetInput"].fields
    assert set(inputs) == set(INPUT_CONTRACT)
    for name, (kind, default) in INPUT_CONTRACT.items():
        assert (str(inputs[name].type), inputs[name].default_value in (default, Undefined)) == (kind, True), name
