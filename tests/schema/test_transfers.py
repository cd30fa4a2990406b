"""Transfers through GraphQL: between accounts of one currency and of two, what they move (account balances, net
worth) and what they never count in (balance, monthlySummary, categoryBreakdown), updates, deletes, atomicity, and
the currency scope of the income/expense figures."""

from pathlib import Path

import pytest
from django_redis import get_redis_connection

from accounts.models import User
from devserver.servers import start_redis
from ledger.models import BalanceVersion, DirtyBucket, Transfer
from ledger.money import MAX_VOLUME_MINOR
from tests.conftest import GraphQLClient, create
from tests.schema.test_accounts import (
    BALANCE_IN,
    CREATE_TRANSFER,
    NET_WORTH,
    ONE_ACCOUNT,
    UPDATE_ACCOUNT,
    UPDATE_TRANSACTION_ACCOUNT,
    codes,
    default_account_of,
    ledger_rows,
    make_transfer,
    open_account,
    refused,
)

UPDATE_TRANSFER = """
mutation UpdateTransfer($id: ID!, $input: UpdateTransferInput!) {
  updateTransfer(id: $id, input: $input) {
    transfer { id amount toAmount date description fromAccount { id } toAccount { id } }
    errors { field message code }
  }
}
"""
DELETE_TRANSFER = "mutation($id: ID!) { deleteTransfer(id: $id) { deletedId errors { field message code } } }"
ONE_TRANSFER = "query($id: ID!) { transfer(id: $id) { id amount toAmount date description } }"
MONTHLY = """
query Monthly($from: String!, $to: String!, $currency: String, $accountId: ID) {
  monthlySummary(from: $from, to: $to, currency: $currency, accountId: $accountId) {
    month income expense net transactionCount
  }
}
"""
BREAKDOWN = """
query Breakdown($from: String!, $to: String!, $currency: String, $accountId: ID) {
  categoryBreakdown(from: $from, to: $to, currency: $currency, accountId: $accountId) {
    category type total transactionCount
  }
}
"""
FILTERED = """
query Filtered($filters: TransactionFilter) { transactions(filters: $filters) { totalCount edges { node { id } } } }
"""


@pytest.fixture
def main(as_alice: GraphQLClient) -> dict:
    return default_account_of(as_alice)


@pytest.fixture
def savings(as_alice: GraphQLClient, main: dict) -> dict:
    return open_account(as_alice, "Savings", openingBalance="1000.00")


@pytest.fixture
def euros(as_alice: GraphQLClient, main: dict) -> dict:
    return open_account(as_alice, "Euros", "EUR", openingBalance="50.00")


@pytest.fixture
def yen(as_alice: GraphQLClient, main: dict) -> dict:
    return open_account(as_alice, "Yen", "JPY")


def balance_of(client: GraphQLClient, account: dict) -> str:
    return client.data(ONE_ACCOUNT, {"id": account["id"]})["account"]["balance"]


def net_worth(client: GraphQLClient) -> dict[str, str]:
    return {row["currency"]: row["total"] for row in client.data(NET_WORTH)["netWorth"]}


# --- one currency ---------------------------------------------------------------------------------------------------


def test_a_transfer_in_one_currency_moves_equal_amounts(as_alice: GraphQLClient, main: dict, savings: dict) -> None:
    transfer = make_transfer(as_alice, savings["id"], main["id"], "250.10", date="2026-01-05", description="rent")
    assert {key: transfer[key] for key in ("amount", "toAmount", "date", "description")} == {
        "amount": "250.10",
        "toAmount": "250.10",
        "date": "2026-01-05",
        "description": "rent",
    }
    assert (transfer["fromAccount"]["id"], transfer["toAccount"]["id"]) == (savings["id"], main["id"])
    stored = Transfer.objects.get(pk=transfer["id"])
    assert (stored.amount_minor, stored.to_amount_minor) == (25010, 25010)
    assert (balance_of(as_alice, savings), balance_of(as_alice, main)) == ("749.90", "250.10")
    assert net_worth(as_alice) == {"USD": "1000.00"}
    assert as_alice.data(ONE_TRANSFER, {"id": transfer["id"]})["transfer"] == {
        "id": transfer["id"],
        "amount": "250.10",
        "toAmount": "250.10",
        "date": "2026-01-05",
        "description": "rent",
    }


def test_an_equal_to_amount_in_one_currency_is_accepted(as_alice: GraphQLClient, main: dict, savings: dict) -> None:
    transfer = make_transfer(as_alice, savings["id"], main["id"], "1.5", toAmount="1.50")
    assert (transfer["amount"], transfer["toAmount"]) == ("1.50", "1.50")


def test_a_different_to_amount_in_one_currency_is_refused(
    as_alice: GraphQLClient, alice: User, main: dict, savings: dict
) -> None:
    before = ledger_rows(alice)
    variables = {
        "input": {"fromAccountId": savings["id"], "toAccountId": main["id"], "amount": "5.00", "toAmount": "4.99"}
    }
    refused(as_alice.data(CREATE_TRANSFER, variables)["createTransfer"], "transfer", "toAmount", "INVALID_AMOUNT")
    assert ledger_rows(alice) == before
    assert DirtyBucket.objects.count() == 0


def test_a_transfer_to_the_same_account_is_refused(as_alice: GraphQLClient, alice: User, savings: dict) -> None:
    before = ledger_rows(alice)
    variables = {"input": {"fromAccountId": savings["id"], "toAccountId": savings["id"], "amount": "5.00"}}
    refused(as_alice.data(CREATE_TRANSFER, variables)["createTransfer"], "transfer", "toAccountId", "INVALID_TRANSFER")
    assert ledger_rows(alice) == before


def test_every_bad_transfer_field_is_reported_at_once(as_alice: GraphQLClient, alice: User, main: dict) -> None:
    before = ledger_rows(alice)
    variables = {
        "input": {
            "fromAccountId": main["id"],
            "toAccountId": "nope",
            "amount": "5.00",
            "date": "2026-02-30",
            "description": "d" * 256,
        }
    }
    payload = as_alice.data(CREATE_TRANSFER, variables)["createTransfer"]
    assert payload["transfer"] is None
    assert sorted(codes(payload["errors"])) == [
        ("date", "INVALID_DATE"),
        ("description", "INVALID_DESCRIPTION"),
        ("toAccountId", "NOT_FOUND"),
    ]
    assert ledger_rows(alice) == before


# --- two currencies -------------------------------------------------------------------------------------------------


def test_a_transfer_between_currencies_moves_each_accounts_own_amount(
    as_alice: GraphQLClient, main: dict, savings: dict, euros: dict, yen: dict
) -> None:
    to_euros = make_transfer(as_alice, savings["id"], euros["id"], "110.00", toAmount="100.5")
    assert (to_euros["amount"], to_euros["toAmount"]) == ("110.00", "100.50")
    to_yen = make_transfer(as_alice, euros["id"], yen["id"], "10.25", toAmount="1650")
    assert (to_yen["amount"], to_yen["toAmount"]) == ("10.25", "1650")
    stored = Transfer.objects.get(pk=to_yen["id"])
    assert (stored.amount_minor, stored.to_amount_minor) == (1025, 1650)
    assert (balance_of(as_alice, savings), balance_of(as_alice, euros), balance_of(as_alice, yen)) == (
        "890.00",
        "140.25",
        "1650",
    )
    assert net_worth(as_alice) == {"EUR": "140.25", "JPY": "1650", "USD": "890.00"}


def test_a_transfer_between_currencies_needs_to_amount(
    as_alice: GraphQLClient, alice: User, savings: dict, euros: dict
) -> None:
    before = ledger_rows(alice)
    variables = {"input": {"fromAccountId": savings["id"], "toAccountId": euros["id"], "amount": "5.00"}}
    refused(as_alice.data(CREATE_TRANSFER, variables)["createTransfer"], "transfer", "toAmount", "INVALID_AMOUNT")
    assert ledger_rows(alice) == before


@pytest.mark.parametrize(
    ("amount", "to_amount", "field"),
    [("5.001", "700", "amount"), ("5.00", "700.5", "toAmount"), ("5.00", "0", "toAmount"), ("5.00", "-7", "toAmount")],
)
def test_each_leg_is_read_in_its_own_currencys_digits(
    as_alice: GraphQLClient, alice: User, savings: dict, yen: dict, amount: str, to_amount: str, field: str
) -> None:
    before = ledger_rows(alice)
    variables = {
        "input": {"fromAccountId": savings["id"], "toAccountId": yen["id"], "amount": amount, "toAmount": to_amount}
    }
    refused(as_alice.data(CREATE_TRANSFER, variables)["createTransfer"], "transfer", field, "INVALID_AMOUNT")
    assert ledger_rows(alice) == before


# --- what transfers never count in ----------------------------------------------------------------------------------


def test_income_and_expense_figures_ignore_transfers(
    as_alice: GraphQLClient, main: dict, savings: dict, euros: dict
) -> None:
    create(as_alice, "3000.00", "INCOME", category="Salary", date="2026-01-31")
    create(as_alice, "80.10", category="Groceries", date="2026-01-15", accountId=savings["id"])
    create(as_alice, "7.00", category="Cafe", date="2026-02-02", accountId=euros["id"])
    ranges = {"from": "2026-01", "to": "2026-02"}
    figures = (
        as_alice.data(BALANCE_IN)["balance"],
        as_alice.data(BALANCE_IN, {"currency": "EUR"})["balance"],
        as_alice.data(MONTHLY, ranges)["monthlySummary"],
        as_alice.data(BREAKDOWN, ranges)["categoryBreakdown"],
        as_alice.data(MONTHLY, {**ranges, "currency": "EUR"})["monthlySummary"],
    )
    make_transfer(as_alice, main["id"], savings["id"], "500.00", date="2026-01-20")
    make_transfer(as_alice, savings["id"], euros["id"], "100.00", toAmount="90.00", date="2026-02-01")
    assert (
        as_alice.data(BALANCE_IN)["balance"],
        as_alice.data(BALANCE_IN, {"currency": "EUR"})["balance"],
        as_alice.data(MONTHLY, ranges)["monthlySummary"],
        as_alice.data(BREAKDOWN, ranges)["categoryBreakdown"],
        as_alice.data(MONTHLY, {**ranges, "currency": "EUR"})["monthlySummary"],
    ) == figures
    assert figures[0] == {
        "currency": "USD",
        "total": "2919.90",
        "income": "3000.00",
        "expense": "80.10",
        "transactionCount": 2,
    }
    assert (balance_of(as_alice, main), balance_of(as_alice, savings), balance_of(as_alice, euros)) == (
        "2500.00",
        "1319.90",
        "133.00",
    )
    assert net_worth(as_alice) == {"EUR": "133.00", "USD": "3819.90"}


# --- update and delete ----------------------------------------------------------------------------------------------


def test_updating_the_amount_in_one_currency_moves_both_legs(
    as_alice: GraphQLClient, main: dict, savings: dict
) -> None:
    transfer = make_transfer(as_alice, savings["id"], main["id"], "100.00", date="2026-01-05")
    payload = as_alice.data(UPDATE_TRANSFER, {"id": transfer["id"], "input": {"amount": "40.00"}})["updateTransfer"]
    assert payload["errors"] == []
    assert (payload["transfer"]["amount"], payload["transfer"]["toAmount"]) == ("40.00", "40.00")
    assert (balance_of(as_alice, savings), balance_of(as_alice, main)) == ("960.00", "40.00")
    same = as_alice.data(UPDATE_TRANSFER, {"id": transfer["id"], "input": {"amount": "41.00", "toAmount": "41.00"}})
    assert same["updateTransfer"]["errors"] == []
    assert (balance_of(as_alice, savings), balance_of(as_alice, main)) == ("959.00", "41.00")


def test_updating_to_a_different_to_amount_in_one_currency_is_refused(
    as_alice: GraphQLClient, alice: User, main: dict, savings: dict
) -> None:
    transfer = make_transfer(as_alice, savings["id"], main["id"], "100.00")
    before = ledger_rows(alice)
    for change in ({"toAmount": "99.00"}, {"amount": "10.00", "toAmount": "11.00"}):
        payload = as_alice.data(UPDATE_TRANSFER, {"id": transfer["id"], "input": change})["updateTransfer"]
        refused(payload, "transfer", "toAmount", "INVALID_AMOUNT")
    assert ledger_rows(alice) == before


def test_updating_a_transfer_between_currencies(
    as_alice: GraphQLClient, alice: User, savings: dict, euros: dict
) -> None:
    transfer = make_transfer(as_alice, savings["id"], euros["id"], "110.00", toAmount="100.00")
    only_amount = as_alice.data(UPDATE_TRANSFER, {"id": transfer["id"], "input": {"amount": "120.00"}})
    assert (
        only_amount["updateTransfer"]["transfer"]["amount"],
        only_amount["updateTransfer"]["transfer"]["toAmount"],
    ) == (
        "120.00",
        "100.00",
    )
    only_to = as_alice.data(UPDATE_TRANSFER, {"id": transfer["id"], "input": {"toAmount": "101.01"}})
    assert only_to["updateTransfer"]["transfer"]["toAmount"] == "101.01"
    assert (balance_of(as_alice, savings), balance_of(as_alice, euros)) == ("880.00", "151.01")
    before = ledger_rows(alice)
    bad = as_alice.data(UPDATE_TRANSFER, {"id": transfer["id"], "input": {"toAmount": "1.001", "amount": "0"}})
    assert sorted(codes(bad["updateTransfer"]["errors"])) == [
        ("amount", "INVALID_AMOUNT"),
        ("toAmount", "INVALID_AMOUNT"),
    ]
    assert ledger_rows(alice) == before


def test_moving_a_transfer_to_another_month(as_alice: GraphQLClient, alice: User, main: dict, savings: dict) -> None:
    transfer = make_transfer(as_alice, savings["id"], main["id"], "100.00", date="2026-01-31")
    generations = dict(DirtyBucket.objects.filter(user=alice).values_list("month", "generation"))
    assert generations == {"2026-01": 1}
    payload = as_alice.data(
        UPDATE_TRANSFER, {"id": transfer["id"], "input": {"date": "2026-03-01", "description": "later"}}
    )["updateTransfer"]
    assert payload["errors"] == []
    assert (payload["transfer"]["date"], payload["transfer"]["description"]) == ("2026-03-01", "later")
    generations = dict(DirtyBucket.objects.filter(user=alice).values_list("month", "generation"))
    assert generations == {"2026-01": 2, "2026-03": 1}
    assert (balance_of(as_alice, savings), balance_of(as_alice, main)) == ("900.00", "100.00")
    months = as_alice.data(MONTHLY, {"from": "2026-01", "to": "2026-03"})["monthlySummary"]
    assert [month["transactionCount"] for month in months] == [0, 0, 0]


def test_deleting_a_transfer_restores_both_balances(
    as_alice: GraphQLClient, alice: User, savings: dict, euros: dict
) -> None:
    transfer = make_transfer(as_alice, savings["id"], euros["id"], "110.00", toAmount="100.00", date="2026-04-04")
    payload = as_alice.data(DELETE_TRANSFER, {"id": transfer["id"]})["deleteTransfer"]
    assert payload == {"deletedId": transfer["id"], "errors": []}
    assert not Transfer.objects.exists()
    assert (balance_of(as_alice, savings), balance_of(as_alice, euros)) == ("1000.00", "50.00")
    assert as_alice.data(ONE_TRANSFER, {"id": transfer["id"]})["transfer"] is None
    assert DirtyBucket.objects.get(user=alice, month="2026-04").generation == 2
    again = as_alice.data(DELETE_TRANSFER, {"id": transfer["id"]})["deleteTransfer"]
    refused(again, "deletedId", "id", "NOT_FOUND")
    update = as_alice.data(UPDATE_TRANSFER, {"id": transfer["id"], "input": {"amount": "1.00"}})["updateTransfer"]
    refused(update, "transfer", "id", "NOT_FOUND")


# --- atomic: both legs or nothing -----------------------------------------------------------------------------------


def test_a_transfer_refused_inside_its_transaction_leaves_nothing(
    as_alice: GraphQLClient, alice: User, savings: dict, euros: dict
) -> None:
    # The volume check runs in the write's own DB transaction (after the version bump): a refusal there must roll
    # back the bump, both legs and the dirty mark.
    BalanceVersion.objects.filter(user=alice).update(volume_minor=MAX_VOLUME_MINOR - 150)
    before = ledger_rows(alice), list(BalanceVersion.objects.filter(user=alice).values())
    variables = {
        "input": {"fromAccountId": savings["id"], "toAccountId": euros["id"], "amount": "1.00", "toAmount": "0.90"}
    }
    payload = as_alice.data(CREATE_TRANSFER, variables)["createTransfer"]
    refused(payload, "transfer", "amount", "VOLUME_LIMIT_EXCEEDED")
    assert (ledger_rows(alice), list(BalanceVersion.objects.filter(user=alice).values())) == before
    assert DirtyBucket.objects.count() == 0
    assert (balance_of(as_alice, savings), balance_of(as_alice, euros)) == ("1000.00", "50.00")


# --- currency scope of income and expense ---------------------------------------------------------------------------


@pytest.fixture
def two_currencies(as_alice: GraphQLClient, main: dict, savings: dict, euros: dict, yen: dict) -> None:
    create(as_alice, "100.00", "INCOME", category="Salary", date="2026-01-10")
    create(as_alice, "30.00", category="Food", date="2026-01-11", accountId=savings["id"])
    create(as_alice, "20.00", "INCOME", category="Salary", date="2026-02-10", accountId=euros["id"])
    create(as_alice, "5.55", category="Food", date="2026-02-11", accountId=euros["id"])
    create(as_alice, "900", category="Food", date="2026-02-12", accountId=yen["id"])


def test_balance_is_per_currency(as_alice: GraphQLClient, two_currencies: None) -> None:
    assert as_alice.data(BALANCE_IN)["balance"] == as_alice.data(BALANCE_IN, {"currency": "usd"})["balance"]
    assert as_alice.data(BALANCE_IN)["balance"] == {
        "currency": "USD",
        "total": "70.00",
        "income": "100.00",
        "expense": "30.00",
        "transactionCount": 2,
    }
    assert as_alice.data(BALANCE_IN, {"currency": "EUR"})["balance"] == {
        "currency": "EUR",
        "total": "14.45",
        "income": "20.00",
        "expense": "5.55",
        "transactionCount": 2,
    }
    assert as_alice.data(BALANCE_IN, {"currency": "JPY"})["balance"]["total"] == "-900"
    assert as_alice.data(BALANCE_IN, {"currency": "GBP"})["balance"] == {
        "currency": "GBP",
        "total": "0.00",
        "income": "0.00",
        "expense": "0.00",
        "transactionCount": 0,
    }


def test_monthly_summary_by_currency_and_by_account(
    as_alice: GraphQLClient, savings: dict, euros: dict, two_currencies: None
) -> None:
    ranges = {"from": "2026-01", "to": "2026-02"}
    usd = as_alice.data(MONTHLY, ranges)["monthlySummary"]
    assert usd == [
        {"month": "2026-01", "income": "100.00", "expense": "30.00", "net": "70.00", "transactionCount": 2},
        {"month": "2026-02", "income": "0.00", "expense": "0.00", "net": "0.00", "transactionCount": 0},
    ]
    assert as_alice.data(MONTHLY, {**ranges, "currency": "USD"})["monthlySummary"] == usd
    assert as_alice.data(MONTHLY, {**ranges, "accountId": savings["id"]})["monthlySummary"] == [
        {"month": "2026-01", "income": "0.00", "expense": "30.00", "net": "-30.00", "transactionCount": 1},
        {"month": "2026-02", "income": "0.00", "expense": "0.00", "net": "0.00", "transactionCount": 0},
    ]
    by_account = as_alice.data(MONTHLY, {**ranges, "accountId": euros["id"], "currency": "EUR"})["monthlySummary"]
    assert by_account == as_alice.data(MONTHLY, {**ranges, "currency": "EUR"})["monthlySummary"]
    assert by_account[1] == {
        "month": "2026-02",
        "income": "20.00",
        "expense": "5.55",
        "net": "14.45",
        "transactionCount": 2,
    }
    assert as_alice.data(MONTHLY, {**ranges, "currency": "JPY"})["monthlySummary"][1]["expense"] == "900"


def test_category_breakdown_by_currency_and_by_account(
    as_alice: GraphQLClient, savings: dict, two_currencies: None
) -> None:
    ranges = {"from": "2026-01", "to": "2026-02"}
    assert as_alice.data(BREAKDOWN, ranges)["categoryBreakdown"] == [
        {"category": "Salary", "type": "INCOME", "total": "100.00", "transactionCount": 1},
        {"category": "Food", "type": "EXPENSE", "total": "30.00", "transactionCount": 1},
    ]
    assert as_alice.data(BREAKDOWN, {**ranges, "accountId": savings["id"]})["categoryBreakdown"] == [
        {"category": "Food", "type": "EXPENSE", "total": "30.00", "transactionCount": 1},
    ]
    assert as_alice.data(BREAKDOWN, {**ranges, "currency": "JPY"})["categoryBreakdown"] == [
        {"category": "Food", "type": "EXPENSE", "total": "900", "transactionCount": 1},
    ]


def test_transactions_filter_by_account_and_currency(
    as_alice: GraphQLClient, savings: dict, euros: dict, two_currencies: None
) -> None:
    assert as_alice.data(FILTERED, {"filters": {"currency": "EUR"}})["transactions"]["totalCount"] == 2
    assert as_alice.data(FILTERED, {"filters": {"currency": "usd"}})["transactions"]["totalCount"] == 2
    assert as_alice.data(FILTERED, {"filters": {"accountId": savings["id"]}})["transactions"]["totalCount"] == 1
    both = {"accountId": euros["id"], "currency": "USD"}
    assert as_alice.data(FILTERED, {"filters": both})["transactions"]["totalCount"] == 0


@pytest.mark.parametrize("query", [MONTHLY, BREAKDOWN])
def test_an_account_and_a_contradicting_currency_are_a_currency_mismatch(
    as_alice: GraphQLClient, euros: dict, two_currencies: None, query: str
) -> None:
    body = as_alice.post(query, {"from": "2026-01", "to": "2026-02", "currency": "USD", "accountId": euros["id"]})
    assert body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("CURRENCY_MISMATCH", "currency")
    ]


@pytest.mark.parametrize("query", [MONTHLY, BREAKDOWN])
def test_analytics_in_an_unknown_currency_is_invalid(as_alice: GraphQLClient, main: dict, query: str) -> None:
    body = as_alice.post(query, {"from": "2026-01", "to": "2026-02", "currency": "XYZ"})
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("INVALID_CURRENCY", "currency")
    ]


def test_a_transaction_moves_only_to_an_account_of_its_currency(
    as_alice: GraphQLClient, alice: User, main: dict, savings: dict, euros: dict
) -> None:
    txn = create(as_alice, "12.00", date="2026-01-10")
    before = ledger_rows(alice)
    payload = as_alice.data(UPDATE_TRANSACTION_ACCOUNT, {"id": txn["id"], "input": {"accountId": euros["id"]}})
    refused(payload["updateTransaction"], "transaction", "accountId", "CURRENCY_MISMATCH")
    with_amount = {"accountId": euros["id"], "amount": "1.00"}
    payload = as_alice.data(UPDATE_TRANSACTION_ACCOUNT, {"id": txn["id"], "input": with_amount})
    assert payload["updateTransaction"]["transaction"] is None
    assert ("accountId", "CURRENCY_MISMATCH") in codes(payload["updateTransaction"]["errors"])
    assert ledger_rows(alice) == before
    moved = as_alice.data(UPDATE_TRANSACTION_ACCOUNT, {"id": txn["id"], "input": {"accountId": savings["id"]}})
    assert moved["updateTransaction"]["errors"] == []
    assert moved["updateTransaction"]["transaction"]["account"]["id"] == savings["id"]
    assert (balance_of(as_alice, main), balance_of(as_alice, savings)) == ("0.00", "988.00")


# --- the cache ----------------------------------------------------------------------------------------------------


def test_account_figures_from_an_old_redis_snapshot_are_not_believed(
    as_alice: GraphQLClient, main: dict, savings: dict, euros: dict, settings, tmp_path: Path
) -> None:
    own = start_redis(tmp_path / "redis")
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": own.url}}
    try:
        make_transfer(as_alice, savings["id"], main["id"], "10.00")
        assert net_worth(as_alice) == {"EUR": "50.00", "USD": "1000.00"}  # cached
        assert balance_of(as_alice, main) == "10.00"
        get_redis_connection("default").save()  # the cached figures are on disk
        own.stop()
        # Written while Redis is unreachable: every kind of account write.
        make_transfer(as_alice, savings["id"], euros["id"], "20.00", toAmount="18.00")
        as_alice.data(UPDATE_ACCOUNT, {"id": main["id"], "input": {"openingBalance": "-1.00"}})
        create(as_alice, "0.50", accountId=main["id"])
        assert (
            as_alice.data(UPDATE_ACCOUNT, {"id": euros["id"], "input": {"archived": True}})["updateAccount"]["errors"]
            == []
        )
        own = start_redis(tmp_path / "redis", port=own.port)  # back from its dump with the old figures
        assert net_worth(as_alice) == {"EUR": "68.00", "USD": "978.50"}
        assert (balance_of(as_alice, main), balance_of(as_alice, savings), balance_of(as_alice, euros)) == (
            "8.50",
            "970.00",
            "68.00",
        )
        assert as_alice.data(BALANCE_IN)["balance"]["expense"] == "0.50"
    finally:
        own.stop()


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"date": "2026-02-30"}, [("date", "INVALID_DATE")]),
        (
            {"description": "d" * 256, "amount": "1.001"},
            [("amount", "INVALID_AMOUNT"), ("description", "INVALID_DESCRIPTION")],
        ),
        ({"toAmount": "0"}, [("toAmount", "INVALID_AMOUNT")]),
        ({"amount": "-5.00"}, [("amount", "INVALID_AMOUNT")]),
    ],
)
def test_a_refused_transfer_update_changes_nothing(
    as_alice: GraphQLClient, alice: User, savings: dict, euros: dict, change: dict, errors: list
) -> None:
    transfer = make_transfer(as_alice, savings["id"], euros["id"], "10.00", toAmount="9.00", date="2026-01-01")
    before = ledger_rows(alice), list(DirtyBucket.objects.values_list("month", "generation"))
    payload = as_alice.data(UPDATE_TRANSFER, {"id": transfer["id"], "input": change})["updateTransfer"]
    assert payload["transfer"] is None
    assert sorted(codes(payload["errors"])) == errors
    assert (ledger_rows(alice), list(DirtyBucket.objects.values_list("month", "generation"))) == before
