"""An account's currency can change only while it has no entries; its opening balance keeps its value."""

from ledger.models import Account, BalanceVersion
from tests.conftest import GraphQLClient, create

OPEN = "mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id } errors { code } } }"
UPDATE = """
mutation($id: ID!, $i: UpdateAccountInput!) {
  updateAccount(id: $id, input: $i) { account { currency openingBalance balance } errors { field code message } }
}
"""


def open_account(client: GraphQLClient, opening: str) -> str:
    payload = client.data(OPEN, {"i": {"name": "Wallet", "kind": "CASH", "openingBalance": opening}})["createAccount"]
    assert payload["errors"] == []
    return payload["account"]["id"]


def test_an_empty_account_changes_currency_keeping_its_opening_value(as_alice: GraphQLClient) -> None:
    wallet = open_account(as_alice, "12.50")
    payload = as_alice.data(UPDATE, {"id": wallet, "i": {"currency": "kwd"}})["updateAccount"]
    assert payload == {"account": {"currency": "KWD", "openingBalance": "12.500", "balance": "12.500"}, "errors": []}
    net_worth = as_alice.data("{ netWorth { currency total } }")["netWorth"]
    assert {"currency": "KWD", "total": "12.500"} in net_worth


def test_a_value_the_new_currency_cannot_hold_needs_a_new_opening_balance(as_alice: GraphQLClient, alice) -> None:
    wallet = open_account(as_alice, "12.50")
    volume = BalanceVersion.objects.get(user=alice).volume_minor
    refused = as_alice.data(UPDATE, {"id": wallet, "i": {"currency": "JPY"}})["updateAccount"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("openingBalance", "INVALID_AMOUNT")]
    assert Account.objects.get(pk=wallet).currency == "USD"
    payload = as_alice.data(UPDATE, {"id": wallet, "i": {"currency": "JPY", "openingBalance": "1800"}})["updateAccount"]
    assert payload["account"] == {"currency": "JPY", "openingBalance": "1800", "balance": "1800"}
    assert BalanceVersion.objects.get(user=alice).volume_minor == volume - 1250 + 1800


def test_an_account_with_entries_keeps_its_currency(as_alice: GraphQLClient) -> None:
    wallet = open_account(as_alice, "0")
    create(as_alice, "1.00", accountId=wallet)
    refused = as_alice.data(UPDATE, {"id": wallet, "i": {"currency": "EUR", "name": "Renamed"}})["updateAccount"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("currency", "ACCOUNT_NOT_EMPTY")]
    stored = Account.objects.get(pk=wallet)
    assert (stored.currency, stored.name) == ("USD", "Wallet")


def test_an_unknown_currency_is_refused(as_alice: GraphQLClient) -> None:
    wallet = open_account(as_alice, "1.00")
    refused = as_alice.data(UPDATE, {"id": wallet, "i": {"currency": "XYZ"}})["updateAccount"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("currency", "INVALID_CURRENCY")]


def test_a_create_whose_account_changed_currency_after_its_read_is_refused(
    as_alice: GraphQLClient, alice, monkeypatch
) -> None:
    from ledger.services import account_update, transactions  # noqa: PLC0415

    wallet = open_account(as_alice, "0")
    real = transactions.account_for_write

    def read_then_change(*args: object, **kwargs: object) -> object:
        seen = real(*args, **kwargs)  # the amount is parsed in USD's digits from here
        account_update(user=alice, account_id=wallet, currency="JPY")
        return seen

    monkeypatch.setattr(transactions, "account_for_write", read_then_change)
    payload = as_alice.data(
        "mutation($i: CreateTransactionInput!) { createTransaction(input: $i) { transaction { id } errors { field code } } }",
        {"i": {"amount": "1.25", "type": "EXPENSE", "accountId": wallet}},
    )["createTransaction"]
    assert payload == {"transaction": None, "errors": [{"field": "accountId", "code": "CURRENCY_MISMATCH"}]}
    assert not Account.objects.get(pk=wallet).transactions.exists()
