"""Ledger accounts through GraphQL: create, update, archive, delete, the default account, currencies and their
digits, and every error code of the accounts rules (issue 12)."""

import uuid

import pytest
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger.models import Account, DirtyBucket, Transaction, Transfer
from tests.conftest import CREATE, GraphQLClient, create, make_user

ACCOUNT_FIELDS = "id name kind currency openingBalance balance archived isDefault createdAt"
CREATE_ACCOUNT = f"""
mutation CreateAccount($input: CreateAccountInput!) {{
  createAccount(input: $input) {{ account {{ {ACCOUNT_FIELDS} }} errors {{ field message code }} }}
}}
"""
UPDATE_ACCOUNT = f"""
mutation UpdateAccount($id: ID!, $input: UpdateAccountInput!) {{
  updateAccount(id: $id, input: $input) {{ account {{ {ACCOUNT_FIELDS} }} errors {{ field message code }} }}
}}
"""
DELETE_ACCOUNT = (
    "mutation DeleteAccount($id: ID!) { deleteAccount(id: $id) { deletedId errors { field message code } } }"
)
SET_DEFAULT = f"""
mutation SetDefault($id: ID!) {{
  setDefaultAccount(id: $id) {{ account {{ {ACCOUNT_FIELDS} }} errors {{ field message code }} }}
}}
"""
ACCOUNTS = f"""
query Accounts($includeArchived: Boolean) {{ accounts(includeArchived: $includeArchived) {{ {ACCOUNT_FIELDS} }} }}
"""
ONE_ACCOUNT = f"query OneAccount($id: ID!) {{ account(id: $id) {{ {ACCOUNT_FIELDS} }} }}"
DEFAULT_ACCOUNT = f"query {{ me {{ defaultAccount {{ {ACCOUNT_FIELDS} }} }} }}"
NET_WORTH = "query { netWorth { currency total } }"
BALANCE_IN = """
query BalanceIn($currency: String) { balance(currency: $currency) { currency total income expense transactionCount } }
"""
TRANSFER_FIELDS = "id amount toAmount date description fromAccount { id } toAccount { id } createdAt updatedAt"
CREATE_TRANSFER = f"""
mutation CreateTransfer($input: CreateTransferInput!) {{
  createTransfer(input: $input) {{ transfer {{ {TRANSFER_FIELDS} }} errors {{ field message code }} }}
}}
"""
UPDATE_TRANSACTION_ACCOUNT = """
mutation Move($id: ID!, $input: UpdateTransactionInput!) {
  updateTransaction(id: $id, input: $input) {
    transaction { id amount currency account { id } }
    errors { field message code }
  }
}
"""
REGISTER = """
mutation Register($username: String!, $email: String!, $password: String!, $currency: String) {
  register(username: $username, email: $email, password: $password, currency: $currency) {
    user { id username defaultAccount { name kind currency isDefault openingBalance } }
    errors { field message code }
  }
}
"""


def open_account(client: GraphQLClient, name: str, currency: str | None = "USD", **fields: object) -> dict:
    """Create a ledger account through the API (CHECKING unless `kind` is given); the payload must carry no
    errors."""
    payload = client.data(
        CREATE_ACCOUNT, {"input": {"name": name, "kind": "CHECKING", "currency": currency, **fields}}
    )["createAccount"]
    assert payload["errors"] == [], payload["errors"]
    return payload["account"]


def default_account_of(client: GraphQLClient) -> dict:
    return client.data(DEFAULT_ACCOUNT)["me"]["defaultAccount"]


def make_transfer(client: GraphQLClient, source: str, target: str, amount: str, **fields: object) -> dict:
    """Create a transfer through the API; the payload must carry no errors."""
    variables = {"input": {"fromAccountId": source, "toAccountId": target, "amount": amount, **fields}}
    payload = client.data(CREATE_TRANSFER, variables)["createTransfer"]
    assert payload["errors"] == [], payload["errors"]
    return payload["transfer"]


def account_rows(user: User) -> list[dict]:
    """Every stored column of the user's ledger accounts: what a refused write must leave as it was."""
    return list(Account.objects.filter(user=user).order_by("pk").values())


def ledger_rows(user: User) -> tuple[list[dict], list[dict], list[dict]]:
    return (
        account_rows(user),
        list(Transaction.objects.filter(user=user).order_by("pk").values()),
        list(Transfer.objects.filter(user=user).order_by("pk").values()),
    )


def codes(errors: list[dict]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in errors]


def refused(payload: dict, result_key: str, field: str | None, code: str) -> None:
    """Exactly one error, on `field` with `code`, a message for people, and no result."""
    assert payload[result_key] is None
    assert codes(payload["errors"]) == [(field, code)]
    assert payload["errors"][0]["message"]


@pytest.fixture
def main(as_alice: GraphQLClient) -> dict:
    """Alice's default account, created on first use ("Main", USD)."""
    return default_account_of(as_alice)


# --- create, read, order ----------------------------------------------------------------------------------------


def test_create_account_returns_it_as_stored(as_alice: GraphQLClient, alice: User, main: dict) -> None:
    account = open_account(as_alice, "  Rainy day  ", "eur", kind="SAVINGS", openingBalance="100.5")
    assert {key: value for key, value in account.items() if key not in ("id", "createdAt")} == {
        "name": "Rainy day",
        "kind": "SAVINGS",
        "currency": "EUR",
        "openingBalance": "100.50",
        "balance": "100.50",
        "archived": False,
        "isDefault": False,
    }
    stored = Account.objects.get(pk=account["id"])
    assert (stored.user_id, stored.currency, stored.opening_balance_minor, stored.kind, stored.is_default) == (
        alice.pk,
        "EUR",
        10050,
        "savings",
        False,
    )


def test_the_first_default_account_is_main_checking_in_the_default_currency(main: dict, settings) -> None:
    assert (main["name"], main["kind"], main["currency"], main["isDefault"]) == ("Main", "CHECKING", "USD", True)
    assert (main["openingBalance"], main["balance"], main["archived"]) == ("0.00", "0.00", False)
    assert settings.DEFAULT_CURRENCY == "USD"


def test_currency_defaults_to_the_default_accounts(as_alice: GraphQLClient, main: dict) -> None:
    yen = open_account(as_alice, "Yen", "JPY")
    as_alice.data(SET_DEFAULT, {"id": yen["id"]})
    assert open_account(as_alice, "Wallet", None)["currency"] == "JPY"


def test_accounts_are_listed_by_name_in_any_case_and_archived_only_when_asked(
    as_alice: GraphQLClient, main: dict
) -> None:
    for name in ("zeta", "Alpha", "beta", "Omega"):
        open_account(as_alice, name)
    omega = as_alice.data(ACCOUNTS)["accounts"][-2]
    assert omega["name"] == "Omega"
    as_alice.data(UPDATE_ACCOUNT, {"id": omega["id"], "input": {"archived": True}})
    assert [a["name"] for a in as_alice.data(ACCOUNTS)["accounts"]] == ["Alpha", "beta", "Main", "zeta"]
    everything = as_alice.data(ACCOUNTS, {"includeArchived": True})["accounts"]
    assert [(a["name"], a["archived"]) for a in everything] == [
        ("Alpha", False),
        ("beta", False),
        ("Main", False),
        ("Omega", True),
        ("zeta", False),
    ]


def test_account_by_id_is_the_callers_or_null(as_alice: GraphQLClient, main: dict) -> None:
    savings = open_account(as_alice, "Savings")
    assert as_alice.data(ONE_ACCOUNT, {"id": savings["id"]})["account"] == savings
    for missing in (str(uuid.uuid4()), "not-an-id", ""):
        assert as_alice.data(ONE_ACCOUNT, {"id": missing})["account"] is None


def test_set_default_account_moves_the_default_and_what_follows_it(as_alice: GraphQLClient, main: dict) -> None:
    euros = open_account(as_alice, "Euros", "EUR")
    create(as_alice, "5.00", "INCOME")  # into Main (USD)
    payload = as_alice.data(SET_DEFAULT, {"id": euros["id"]})["setDefaultAccount"]
    assert payload["errors"] == []
    assert (payload["account"]["id"], payload["account"]["isDefault"]) == (euros["id"], True)
    assert default_account_of(as_alice)["id"] == euros["id"]
    assert as_alice.data(ONE_ACCOUNT, {"id": main["id"]})["account"]["isDefault"] is False
    assert Account.objects.filter(is_default=True).count() == 1
    txn = create(as_alice, "7.25", "INCOME")  # no accountId: the new default
    assert Transaction.objects.get(pk=txn["id"]).account_id == uuid.UUID(euros["id"])
    assert as_alice.data(BALANCE_IN)["balance"] == {
        "currency": "EUR",
        "total": "7.25",
        "income": "7.25",
        "expense": "0.00",
        "transactionCount": 1,
    }
    # Setting the default that already is one changes nothing.
    again = as_alice.data(SET_DEFAULT, {"id": euros["id"]})["setDefaultAccount"]
    assert (again["errors"], again["account"]["isDefault"]) == ([], True)


# --- register with a currency -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_register_creates_main_in_the_given_currency(anonymous: GraphQLClient) -> None:
    variables = {"username": "kenji", "email": "kenji@example.com", "password": "s3cret-enough!", "currency": "jpy"}
    payload = anonymous.data(REGISTER, variables)["register"]
    assert payload["errors"] == []
    assert payload["user"]["defaultAccount"] == {
        "name": "Main",
        "kind": "CHECKING",
        "currency": "JPY",
        "isDefault": True,
        "openingBalance": "0",
    }
    user = User.objects.get(username="kenji")
    assert list(Account.objects.filter(user=user).values_list("name", "currency", "is_default")) == [
        ("Main", "JPY", True)
    ]


@pytest.mark.django_db
def test_register_without_currency_uses_the_default_currency(anonymous: GraphQLClient) -> None:
    variables = {"username": "ann", "email": "ann@example.com", "password": "s3cret-enough!"}
    payload = anonymous.data(REGISTER, variables)["register"]
    assert payload["user"]["defaultAccount"]["currency"] == "USD"


@pytest.mark.django_db
def test_register_reports_a_bad_currency_with_the_other_problems_and_creates_no_user(
    anonymous: GraphQLClient,
) -> None:
    variables = {"username": "bad name!", "email": "not-an-email", "password": "s3cret-enough!", "currency": "XYZ"}
    payload = anonymous.data(REGISTER, variables)["register"]
    assert payload["user"] is None
    assert sorted(codes(payload["errors"])) == [
        ("currency", "INVALID_CURRENCY"),
        ("email", "INVALID_EMAIL"),
        ("username", "INVALID_USERNAME"),
    ]
    assert User.objects.count() == 0
    assert Account.objects.count() == 0


@pytest.mark.django_db
def test_register_with_only_a_bad_currency_creates_no_user(anonymous: GraphQLClient) -> None:
    variables = {"username": "fine", "email": "fine@example.com", "password": "s3cret-enough!", "currency": "XAU"}
    payload = anonymous.data(REGISTER, variables)["register"]
    refused(payload, "user", "currency", "INVALID_CURRENCY")
    assert User.objects.count() == 0
    assert Account.objects.count() == 0


# --- update ---------------------------------------------------------------------------------------------------------


def test_update_account_changes_only_the_given_fields(as_alice: GraphQLClient, main: dict) -> None:
    card = open_account(as_alice, "Card", kind="CREDIT_CARD", openingBalance="-10.00")
    create(as_alice, "2.50", accountId=card["id"])
    payload = as_alice.data(UPDATE_ACCOUNT, {"id": card["id"], "input": {"name": "Visa", "openingBalance": "-20"}})[
        "updateAccount"
    ]
    assert payload["errors"] == []
    assert payload["account"] == {**card, "name": "Visa", "openingBalance": "-20.00", "balance": "-22.50"}
    kind = as_alice.data(UPDATE_ACCOUNT, {"id": card["id"], "input": {"kind": "LOAN", "name": None}})
    assert (kind["updateAccount"]["account"]["kind"], kind["updateAccount"]["account"]["name"]) == ("LOAN", "Visa")
    assert as_alice.data(ONE_ACCOUNT, {"id": card["id"]})["account"]["balance"] == "-22.50"


def test_renaming_an_account_to_its_own_name_in_another_case_is_allowed(as_alice: GraphQLClient, main: dict) -> None:
    savings = open_account(as_alice, "savings")
    payload = as_alice.data(UPDATE_ACCOUNT, {"id": savings["id"], "input": {"name": "SAVINGS"}})["updateAccount"]
    assert (payload["errors"], payload["account"]["name"]) == ([], "SAVINGS")


def test_archived_accounts_count_in_net_worth_and_can_be_unarchived(as_alice: GraphQLClient, main: dict) -> None:
    savings = open_account(as_alice, "Savings", openingBalance="40.00")
    as_alice.data(UPDATE_ACCOUNT, {"id": savings["id"], "input": {"archived": True}})
    assert as_alice.data(NET_WORTH)["netWorth"] == [{"currency": "USD", "total": "40.00"}]
    payload = as_alice.data(UPDATE_ACCOUNT, {"id": savings["id"], "input": {"archived": False}})["updateAccount"]
    assert (payload["errors"], payload["account"]["archived"]) == ([], False)
    create(as_alice, "1.00", accountId=savings["id"])
    assert as_alice.data(ONE_ACCOUNT, {"id": savings["id"]})["account"]["balance"] == "39.00"


# --- INVALID_CURRENCY -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["XYZ", "", "US", "USDD", "XAU", "XXX", "€"])
def test_an_unknown_currency_is_refused(as_alice: GraphQLClient, alice: User, main: dict, currency: str) -> None:
    before = account_rows(alice)
    payload = as_alice.data(CREATE_ACCOUNT, {"input": {"name": "X", "kind": "CASH", "currency": currency}})
    refused(payload["createAccount"], "account", "currency", "INVALID_CURRENCY")
    assert account_rows(alice) == before


def test_a_bad_currency_and_a_bad_name_are_reported_together(as_alice: GraphQLClient, alice: User, main: dict) -> None:
    before = account_rows(alice)
    payload = as_alice.data(CREATE_ACCOUNT, {"input": {"name": " ", "kind": "CASH", "currency": "ABC"}})
    assert sorted(codes(payload["createAccount"]["errors"])) == [
        ("currency", "INVALID_CURRENCY"),
        ("name", "INVALID_ACCOUNT_NAME"),
    ]
    assert account_rows(alice) == before


def test_balance_in_an_unknown_currency_is_a_graphql_error(as_alice: GraphQLClient, main: dict) -> None:
    body = as_alice.post(BALANCE_IN, {"currency": "XYZ"})
    assert body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("INVALID_CURRENCY", "currency")
    ]


# --- DUPLICATE_ACCOUNT_NAME -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Savings", "savings", "  SAVINGS ", "SaViNgS"])
def test_account_names_are_unique_per_user_in_any_case(
    as_alice: GraphQLClient, alice: User, main: dict, name: str
) -> None:
    open_account(as_alice, "Savings")
    before = account_rows(alice)
    payload = as_alice.data(CREATE_ACCOUNT, {"input": {"name": name, "kind": "SAVINGS", "currency": "EUR"}})
    refused(payload["createAccount"], "account", "name", "DUPLICATE_ACCOUNT_NAME")
    assert account_rows(alice) == before


def test_renaming_onto_another_accounts_name_is_refused(as_alice: GraphQLClient, alice: User, main: dict) -> None:
    cash = open_account(as_alice, "Cash")
    before = account_rows(alice)
    payload = as_alice.data(UPDATE_ACCOUNT, {"id": cash["id"], "input": {"name": "MAIN", "kind": "CASH"}})
    refused(payload["updateAccount"], "account", "name", "DUPLICATE_ACCOUNT_NAME")
    assert account_rows(alice) == before


def test_two_users_may_use_the_same_name(as_alice: GraphQLClient, as_bob: GraphQLClient, main: dict) -> None:
    open_account(as_alice, "Savings")
    assert open_account(as_bob, "savings")["name"] == "savings"


# --- ACCOUNT_ARCHIVED -----------------------------------------------------------------------------------------------


@pytest.fixture
def archived(as_alice: GraphQLClient, main: dict) -> dict:
    account = open_account(as_alice, "Old", openingBalance="3.00")
    payload = as_alice.data(UPDATE_ACCOUNT, {"id": account["id"], "input": {"archived": True}})["updateAccount"]
    assert payload["account"]["archived"] is True
    return payload["account"]


@pytest.mark.parametrize("key", [{}, {"idempotencyKey": "new"}])
def test_no_transaction_goes_into_an_archived_account(
    as_alice: GraphQLClient, alice: User, archived: dict, key: dict
) -> None:
    before = ledger_rows(alice)
    variables = {"input": {"amount": "1.00", "type": "EXPENSE", "accountId": archived["id"], **key}}
    payload = as_alice.data(CREATE, variables)
    refused(payload["createTransaction"], "transaction", "accountId", "ACCOUNT_ARCHIVED")
    assert ledger_rows(alice) == before
    assert DirtyBucket.objects.count() == 0


def test_no_transaction_moves_into_an_archived_account(
    as_alice: GraphQLClient, alice: User, main: dict, archived: dict
) -> None:
    txn = create(as_alice, "1.00")
    before = ledger_rows(alice)
    payload = as_alice.data(UPDATE_TRANSACTION_ACCOUNT, {"id": txn["id"], "input": {"accountId": archived["id"]}})
    refused(payload["updateTransaction"], "transaction", "accountId", "ACCOUNT_ARCHIVED")
    assert ledger_rows(alice) == before


@pytest.mark.parametrize("key", [{}, {"idempotencyKey": "new"}])
@pytest.mark.parametrize("leg", ["fromAccountId", "toAccountId"])
def test_no_transfer_touches_an_archived_account(
    as_alice: GraphQLClient, alice: User, main: dict, archived: dict, leg: str, key: dict
) -> None:
    other = "toAccountId" if leg == "fromAccountId" else "fromAccountId"
    before = ledger_rows(alice)
    variables = {"input": {leg: archived["id"], other: main["id"], "amount": "1.00", **key}}
    payload = as_alice.data(CREATE_TRANSFER, variables)["createTransfer"]
    refused(payload, "transfer", leg, "ACCOUNT_ARCHIVED")
    assert ledger_rows(alice) == before
    assert DirtyBucket.objects.count() == 0


def test_an_archived_account_cannot_become_the_default(as_alice: GraphQLClient, alice: User, archived: dict) -> None:
    before = account_rows(alice)
    refused(
        as_alice.data(SET_DEFAULT, {"id": archived["id"]})["setDefaultAccount"], "account", "id", "ACCOUNT_ARCHIVED"
    )
    assert account_rows(alice) == before


def test_an_archived_account_keeps_its_entries_and_balance(as_alice: GraphQLClient, main: dict) -> None:
    savings = open_account(as_alice, "Savings")
    create(as_alice, "10.00", "INCOME", accountId=savings["id"])
    as_alice.data(UPDATE_ACCOUNT, {"id": savings["id"], "input": {"archived": True}})
    account = as_alice.data(ONE_ACCOUNT, {"id": savings["id"]})["account"]
    assert (account["archived"], account["balance"]) == (True, "10.00")
    assert as_alice.data(NET_WORTH)["netWorth"] == [{"currency": "USD", "total": "10.00"}]


# --- ACCOUNT_NOT_EMPTY and delete -----------------------------------------------------------------------------------


def test_an_empty_account_is_deleted(as_alice: GraphQLClient, alice: User, main: dict) -> None:
    empty = open_account(as_alice, "Empty", openingBalance="9.99")
    payload = as_alice.data(DELETE_ACCOUNT, {"id": empty["id"]})["deleteAccount"]
    assert payload == {"deletedId": empty["id"], "errors": []}
    assert not Account.objects.filter(pk=empty["id"]).exists()
    assert as_alice.data(ONE_ACCOUNT, {"id": empty["id"]})["account"] is None
    assert as_alice.data(NET_WORTH)["netWorth"] == [{"currency": "USD", "total": "0.00"}]
    again = as_alice.data(DELETE_ACCOUNT, {"id": empty["id"]})["deleteAccount"]
    refused(again, "deletedId", "id", "NOT_FOUND")


def test_an_account_with_a_transaction_is_not_deleted(as_alice: GraphQLClient, alice: User, main: dict) -> None:
    savings = open_account(as_alice, "Savings")
    txn = create(as_alice, "1.00", accountId=savings["id"])
    before = ledger_rows(alice)
    refused(
        as_alice.data(DELETE_ACCOUNT, {"id": savings["id"]})["deleteAccount"], "deletedId", "id", "ACCOUNT_NOT_EMPTY"
    )
    assert ledger_rows(alice) == before
    as_alice.data("mutation($id: ID!) { deleteTransaction(id: $id) { deletedId } }", {"id": txn["id"]})
    assert as_alice.data(DELETE_ACCOUNT, {"id": savings["id"]})["deleteAccount"]["errors"] == []


@pytest.mark.parametrize("leg", ["from", "to"])
def test_an_account_with_only_a_transfer_is_not_deleted(
    as_alice: GraphQLClient, alice: User, main: dict, leg: str
) -> None:
    savings = open_account(as_alice, "Savings")
    source, target = (savings, main) if leg == "from" else (main, savings)
    transfer = make_transfer(as_alice, source["id"], target["id"], "1.00")
    before = ledger_rows(alice)
    refused(
        as_alice.data(DELETE_ACCOUNT, {"id": savings["id"]})["deleteAccount"], "deletedId", "id", "ACCOUNT_NOT_EMPTY"
    )
    assert ledger_rows(alice) == before
    as_alice.data("mutation($id: ID!) { deleteTransfer(id: $id) { deletedId } }", {"id": transfer["id"]})
    assert as_alice.data(DELETE_ACCOUNT, {"id": savings["id"]})["deleteAccount"]["errors"] == []


# --- DEFAULT_ACCOUNT ------------------------------------------------------------------------------------------------


def test_the_default_account_cannot_be_archived(as_alice: GraphQLClient, alice: User, main: dict) -> None:
    before = account_rows(alice)
    payload = as_alice.data(UPDATE_ACCOUNT, {"id": main["id"], "input": {"archived": True}})["updateAccount"]
    refused(payload, "account", "archived", "DEFAULT_ACCOUNT")
    assert account_rows(alice) == before


def test_a_refused_archive_changes_none_of_the_other_fields(as_alice: GraphQLClient, alice: User, main: dict) -> None:
    before = account_rows(alice)
    variables = {"id": main["id"], "input": {"archived": True, "name": "Renamed", "openingBalance": "5.00"}}
    refused(as_alice.data(UPDATE_ACCOUNT, variables)["updateAccount"], "account", "archived", "DEFAULT_ACCOUNT")
    assert account_rows(alice) == before


def test_the_default_account_cannot_be_deleted(as_alice: GraphQLClient, alice: User, main: dict) -> None:
    before = account_rows(alice)
    refused(as_alice.data(DELETE_ACCOUNT, {"id": main["id"]})["deleteAccount"], "deletedId", "id", "DEFAULT_ACCOUNT")
    assert account_rows(alice) == before


def test_a_former_default_can_be_archived_and_deleted(as_alice: GraphQLClient, main: dict) -> None:
    other = open_account(as_alice, "Other")
    as_alice.data(SET_DEFAULT, {"id": other["id"]})
    archived = as_alice.data(UPDATE_ACCOUNT, {"id": main["id"], "input": {"archived": True}})["updateAccount"]
    assert (archived["errors"], archived["account"]["archived"]) == ([], True)
    assert as_alice.data(DELETE_ACCOUNT, {"id": main["id"]})["deleteAccount"]["errors"] == []


# --- NOT_FOUND ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [str(uuid.uuid4()), "not-an-id"])
def test_unknown_account_ids_are_not_found(as_alice: GraphQLClient, alice: User, main: dict, missing: str) -> None:
    before = ledger_rows(alice)
    update = as_alice.data(UPDATE_ACCOUNT, {"id": missing, "input": {"name": "X"}})["updateAccount"]
    refused(update, "account", "id", "NOT_FOUND")
    refused(as_alice.data(DELETE_ACCOUNT, {"id": missing})["deleteAccount"], "deletedId", "id", "NOT_FOUND")
    refused(as_alice.data(SET_DEFAULT, {"id": missing})["setDefaultAccount"], "account", "id", "NOT_FOUND")
    txn = as_alice.data(CREATE, {"input": {"amount": "1.00", "type": "INCOME", "accountId": missing}})
    refused(txn["createTransaction"], "transaction", "accountId", "NOT_FOUND")
    for leg, other in (("fromAccountId", "toAccountId"), ("toAccountId", "fromAccountId")):
        variables = {"input": {leg: missing, other: main["id"], "amount": "1.00"}}
        refused(as_alice.data(CREATE_TRANSFER, variables)["createTransfer"], "transfer", leg, "NOT_FOUND")
    assert ledger_rows(alice) == before


# --- digits of each currency (INVALID_AMOUNT) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("JPY", "12.5"), ("JPY", "12.0"), ("USD", "1.234"), ("EUR", "0.001"), ("KWD", "1.2345")],
)
def test_more_digits_than_the_currency_has_are_refused(
    as_alice: GraphQLClient, alice: User, main: dict, currency: str, amount: str
) -> None:
    account = open_account(as_alice, "Foreign", currency)
    before = ledger_rows(alice)
    payload = as_alice.data(CREATE, {"input": {"amount": amount, "type": "EXPENSE", "accountId": account["id"]}})
    refused(payload["createTransaction"], "transaction", "amount", "INVALID_AMOUNT")
    opening = as_alice.data(
        CREATE_ACCOUNT, {"input": {"name": "O", "kind": "CASH", "currency": currency, "openingBalance": amount}}
    )
    refused(opening["createAccount"], "account", "openingBalance", "INVALID_AMOUNT")
    assert ledger_rows(alice) == before


@pytest.mark.parametrize(
    ("currency", "given", "shown", "minor"),
    [
        ("JPY", "1200", "1200", 1200),
        ("KWD", "1.250", "1.250", 1250),
        ("KWD", "1.25", "1.250", 1250),
        ("USD", "1.2", "1.20", 120),
        ("BHD", "0.005", "0.005", 5),
    ],
)
def test_amounts_are_stored_in_minor_units_and_shown_with_the_currencys_digits(
    as_alice: GraphQLClient, main: dict, currency: str, given: str, shown: str, minor: int
) -> None:
    account = open_account(as_alice, "Foreign", currency, openingBalance=given)
    assert account["openingBalance"] == shown
    txn = create(as_alice, given, "INCOME", accountId=account["id"])
    assert (txn["amount"], Transaction.objects.get(pk=txn["id"]).amount_minor) == (shown, minor)
    read = as_alice.data("query($id: ID!) { transaction(id: $id) { amount currency } }", {"id": txn["id"]})
    assert read["transaction"] == {"amount": shown, "currency": currency}
    assert Account.objects.get(pk=account["id"]).opening_balance_minor == minor
    doubled = as_alice.data(ONE_ACCOUNT, {"id": account["id"]})["account"]["balance"]
    assert doubled == {"JPY": "2400", "KWD": "2.500", "USD": "2.40", "BHD": "0.010"}[currency]
    assert as_alice.data(BALANCE_IN, {"currency": currency})["balance"]["income"] == shown


def test_jpy_figures_have_no_decimals(as_alice: GraphQLClient, main: dict) -> None:
    yen = open_account(as_alice, "Yen", "JPY", openingBalance="-500")
    create(as_alice, "1200", "INCOME", accountId=yen["id"])
    create(as_alice, "300", accountId=yen["id"])
    assert as_alice.data(BALANCE_IN, {"currency": "JPY"})["balance"] == {
        "currency": "JPY",
        "total": "900",
        "income": "1200",
        "expense": "300",
        "transactionCount": 2,
    }
    assert as_alice.data(ONE_ACCOUNT, {"id": yen["id"]})["account"]["balance"] == "400"
    assert {row["currency"]: row["total"] for row in as_alice.data(NET_WORTH)["netWorth"]} == {
        "JPY": "400",
        "USD": "0.00",
    }


# --- signed opening balance -----------------------------------------------------------------------------------------


def test_an_opening_balance_may_be_negative(as_alice: GraphQLClient, main: dict) -> None:
    card = open_account(as_alice, "Card", kind="CREDIT_CARD", openingBalance="-1200.00")
    assert (card["openingBalance"], card["balance"]) == ("-1200.00", "-1200.00")
    assert Account.objects.get(pk=card["id"]).opening_balance_minor == -120000
    assert as_alice.data(NET_WORTH)["netWorth"] == [{"currency": "USD", "total": "-1200.00"}]
    zero = open_account(as_alice, "Zero", openingBalance="-0.00")
    assert zero["openingBalance"] == "0.00"


def test_a_negative_amount_is_refused_on_transactions_and_transfers(
    as_alice: GraphQLClient, alice: User, main: dict
) -> None:
    savings = open_account(as_alice, "Savings")
    txn = create(as_alice, "5.00")
    before = ledger_rows(alice)
    created = as_alice.data(CREATE, {"input": {"amount": "-1200.00", "type": "EXPENSE"}})["createTransaction"]
    refused(created, "transaction", "amount", "INVALID_AMOUNT")
    moved = as_alice.data(UPDATE_TRANSACTION_ACCOUNT, {"id": txn["id"], "input": {"amount": "-5.00"}})
    refused(moved["updateTransaction"], "transaction", "amount", "INVALID_AMOUNT")
    variables = {"input": {"fromAccountId": main["id"], "toAccountId": savings["id"], "amount": "-1200.00"}}
    refused(as_alice.data(CREATE_TRANSFER, variables)["createTransfer"], "transfer", "amount", "INVALID_AMOUNT")
    assert ledger_rows(alice) == before


# --- idempotency keys -----------------------------------------------------------------------------------------------


def test_create_account_retried_with_the_same_key_and_input_returns_the_first(
    as_alice: GraphQLClient, alice: User, main: dict
) -> None:
    fields = {"currency": "EUR", "openingBalance": "10.00", "idempotencyKey": "acct-1"}
    first = open_account(as_alice, "Savings", **fields)
    retry = open_account(as_alice, "Savings", **fields)
    assert retry["id"] == first["id"]
    assert Account.objects.filter(user=alice).count() == 2  # Main and Savings
    assert {row["currency"]: row["total"] for row in as_alice.data(NET_WORTH)["netWorth"]}["EUR"] == "10.00"


@pytest.mark.parametrize(
    "change",
    [{"name": "Other"}, {"currency": "USD"}, {"openingBalance": "10.01"}, {"kind": "CASH"}, {"currency": None}],
)
def test_create_account_with_a_used_key_and_other_input_is_refused(
    as_alice: GraphQLClient, alice: User, main: dict, change: dict
) -> None:
    fields = {"name": "Savings", "kind": "SAVINGS", "currency": "EUR", "openingBalance": "10.00"}
    as_alice.data(CREATE_ACCOUNT, {"input": {**fields, "idempotencyKey": "acct-1"}})
    before = account_rows(alice)
    payload = as_alice.data(CREATE_ACCOUNT, {"input": {**fields, **change, "idempotencyKey": "acct-1"}})
    refused(payload["createAccount"], "account", "idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
    assert account_rows(alice) == before


def test_idempotency_keys_are_per_user(as_alice: GraphQLClient, as_bob: GraphQLClient, main: dict) -> None:
    mine = open_account(as_alice, "Savings", idempotencyKey="k")
    theirs = open_account(as_bob, "Other", idempotencyKey="k")
    assert mine["id"] != theirs["id"]


def test_create_transfer_retried_with_the_same_key_and_input_returns_the_first(
    as_alice: GraphQLClient, main: dict
) -> None:
    savings = open_account(as_alice, "Savings")
    fields = {"date": "2026-01-02", "description": "monthly", "idempotencyKey": "tr-1"}
    first = make_transfer(as_alice, main["id"], savings["id"], "25.00", **fields)
    retry = make_transfer(as_alice, main["id"], savings["id"], "25.00", **fields)
    assert retry == first
    assert Transfer.objects.count() == 1
    assert as_alice.data(ONE_ACCOUNT, {"id": savings["id"]})["account"]["balance"] == "25.00"
    assert as_alice.data(ONE_ACCOUNT, {"id": main["id"]})["account"]["balance"] == "-25.00"


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "25.01"},
        {"toAmount": "25.00"},
        {"date": "2026-01-03"},
        {"date": None},
        {"description": "other"},
        {"swap": True},
    ],
)
def test_create_transfer_with_a_used_key_and_other_input_is_refused(
    as_alice: GraphQLClient, alice: User, main: dict, change: dict
) -> None:
    savings = open_account(as_alice, "Savings")
    fields = {
        "fromAccountId": main["id"],
        "toAccountId": savings["id"],
        "amount": "25.00",
        "date": "2026-01-02",
        "description": "monthly",
        "idempotencyKey": "tr-1",
    }
    as_alice.data(CREATE_TRANSFER, {"input": fields})
    before = ledger_rows(alice)
    changed = {**fields, **change}
    if changed.pop("swap", False):
        changed["fromAccountId"], changed["toAccountId"] = savings["id"], main["id"]
    payload = as_alice.data(CREATE_TRANSFER, {"input": changed})["createTransfer"]
    if change == {"toAmount": "25.00"}:
        # Between one currency an equal toAmount is the same transfer as an omitted one.
        assert payload["errors"] == []
    else:
        refused(payload, "transfer", "idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
    assert ledger_rows(alice) == before


def test_create_transaction_with_a_used_key_in_another_account_is_refused(
    as_alice: GraphQLClient, alice: User, main: dict
) -> None:
    savings = open_account(as_alice, "Savings")
    first = create(as_alice, "5.00", idempotencyKey="t-1", accountId=savings["id"])
    assert create(as_alice, "5.00", idempotencyKey="t-1", accountId=savings["id"])["id"] == first["id"]
    before = ledger_rows(alice)
    payload = as_alice.data(
        CREATE, {"input": {"amount": "5.00", "type": "EXPENSE", "idempotencyKey": "t-1", "accountId": main["id"]}}
    )
    refused(payload["createTransaction"], "transaction", "idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
    assert ledger_rows(alice) == before


def test_register_then_log_in_sees_the_registered_default(anonymous: GraphQLClient, db: None) -> None:
    variables = {"username": "kuwait", "email": "k@example.com", "password": "s3cret-enough!", "currency": "KWD"}
    anonymous.data(REGISTER, variables)
    client = GraphQLClient(http=anonymous.http, token=issue_token_pair(User.objects.get(username="kuwait")).token)
    txn = create(client, "1.250", "INCOME")
    assert (txn["amount"], client.data(DEFAULT_ACCOUNT)["me"]["defaultAccount"]["balance"]) == ("1.250", "1.250")


def test_a_key_whose_create_was_refused_is_still_free(as_alice: GraphQLClient, main: dict) -> None:
    variables = {"input": {"name": "main", "kind": "CASH", "idempotencyKey": "k"}}
    refused(as_alice.data(CREATE_ACCOUNT, variables)["createAccount"], "account", "name", "DUPLICATE_ACCOUNT_NAME")
    assert open_account(as_alice, "Cash", None, kind="CASH", idempotencyKey="k")["name"] == "Cash"


def test_a_retry_after_the_account_was_archived_returns_the_first_transfer(
    as_alice: GraphQLClient, alice: User, main: dict
) -> None:
    savings = open_account(as_alice, "Savings")
    first = make_transfer(as_alice, main["id"], savings["id"], "5.00", date="2026-01-02", idempotencyKey="tr")
    as_alice.data(UPDATE_ACCOUNT, {"id": savings["id"], "input": {"archived": True}})
    before = ledger_rows(alice)
    assert make_transfer(as_alice, main["id"], savings["id"], "5.00", date="2026-01-02", idempotencyKey="tr") == first
    assert ledger_rows(alice) == before


def test_a_retry_after_the_account_was_archived_returns_the_first_transaction(
    as_alice: GraphQLClient, alice: User, main: dict
) -> None:
    savings = open_account(as_alice, "Savings")
    first = create(as_alice, "5.00", date="2026-01-02", idempotencyKey="t", accountId=savings["id"])
    as_alice.data(UPDATE_ACCOUNT, {"id": savings["id"], "input": {"archived": True}})
    before = ledger_rows(alice)
    assert create(as_alice, "5.00", date="2026-01-02", idempotencyKey="t", accountId=savings["id"]) == first
    assert ledger_rows(alice) == before


def test_net_worth_is_in_currency_code_order(as_alice: GraphQLClient, main: dict) -> None:
    for name, currency, opening in (("Yen", "JPY", "-5"), ("Dinar", "KWD", "0.001"), ("Euro", "EUR", "2.00")):
        open_account(as_alice, name, currency, openingBalance=opening)
    assert as_alice.data(NET_WORTH)["netWorth"] == [
        {"currency": "EUR", "total": "2.00"},
        {"currency": "JPY", "total": "-5"},
        {"currency": "KWD", "total": "0.001"},
        {"currency": "USD", "total": "0.00"},
    ]


def test_amount_filters_compare_in_each_transactions_own_currency(as_alice: GraphQLClient, main: dict) -> None:
    yen = open_account(as_alice, "Yen", "JPY")
    usd = create(as_alice, "12.00")
    jpy = create(as_alice, "1200", accountId=yen["id"])
    query = "query($f: TransactionFilter) { transactions(filters: $f) { edges { node { id } } } }"

    def matching(**filters: str) -> set[str]:
        return {edge["node"]["id"] for edge in as_alice.data(query, {"f": filters})["transactions"]["edges"]}

    assert matching(minAmount="100") == {jpy["id"]}
    assert matching(maxAmount="12") == {usd["id"]}
    assert matching(minAmount="12.01") == {jpy["id"]}
    # Bounds are read in the digits of the currency they are about (the default account's when none is named).
    for filters in ({"minAmount": "12.001"}, {"minAmount": "12.5", "currency": "JPY"}):
        body = as_alice.post(query, {"f": filters})
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
            ("INVALID_AMOUNT", "minAmount")
        ]
    assert matching(minAmount="12", maxAmount="12") == {usd["id"]}
    assert matching(maxAmount="1199.5") == {usd["id"]}


def test_an_opening_balance_with_too_many_digits_changes_nothing(
    as_alice: GraphQLClient, alice: User, main: dict
) -> None:
    yen = open_account(as_alice, "Yen", "JPY", openingBalance="10")
    before = account_rows(alice)
    for opening in ("10.5", "abc", "1e3"):
        variables = {"id": yen["id"], "input": {"openingBalance": opening, "name": "Renamed"}}
        refused(
            as_alice.data(UPDATE_ACCOUNT, variables)["updateAccount"], "account", "openingBalance", "INVALID_AMOUNT"
        )
    assert account_rows(alice) == before


def test_the_default_currency_follows_a_new_default_without_another_write(as_alice: GraphQLClient, main: dict) -> None:
    euros = open_account(as_alice, "Euros", "EUR")
    assert as_alice.data(BALANCE_IN)["balance"]["currency"] == "USD"  # cached under this version
    as_alice.data(SET_DEFAULT, {"id": euros["id"]})
    assert as_alice.data(BALANCE_IN)["balance"]["currency"] == "EUR"
    monthly = 'query { monthlySummary(from: "2026-01", to: "2026-01") { income } }'
    create(as_alice, "3.00", "INCOME", date="2026-01-05", accountId=main["id"])
    assert as_alice.data(monthly)["monthlySummary"] == [{"income": "0.00"}]


def test_a_write_answers_with_the_balances_after_it(as_alice: GraphQLClient, main: dict) -> None:
    yen = open_account(as_alice, "Yen", "JPY", openingBalance="100")
    assert as_alice.data(ONE_ACCOUNT, {"id": yen["id"]})["account"]["balance"] == "100"  # cached before the writes
    created = as_alice.data(
        "mutation($input: CreateTransactionInput!) { createTransaction(input: $input) "
        "{ transaction { currency account { id balance } } } }",
        {"input": {"amount": "40", "type": "EXPENSE", "accountId": yen["id"]}},
    )["createTransaction"]["transaction"]
    assert created == {"currency": "JPY", "account": {"id": yen["id"], "balance": "60"}}
    moved = as_alice.data(
        CREATE_TRANSFER.replace("fromAccount { id }", "fromAccount { id balance }").replace(
            "toAccount { id }", "toAccount { id balance }"
        ),
        {"input": {"fromAccountId": yen["id"], "toAccountId": main["id"], "amount": "60", "toAmount": "0.41"}},
    )["createTransfer"]["transfer"]
    assert (moved["fromAccount"]["balance"], moved["toAccount"]["balance"]) == ("0", "0.41")
    assert as_alice.data(NET_WORTH)["netWorth"] == [
        {"currency": "JPY", "total": "0"},
        {"currency": "USD", "total": "0.41"},
    ]


@pytest.mark.django_db
def test_a_user_without_an_account_yet_gets_one_main_in_a_combined_query() -> None:
    # Users made outside register (createsuperuser, scripts) have no account until their first request needs one.
    quiet = make_user("quiet")
    client = GraphQLClient(http=Client(), token=issue_token_pair(quiet).token)
    query = (
        "{ balance { currency total } me { defaultAccount { name balance } } accounts { name isDefault } "
        "netWorth { currency total } }"
    )
    assert client.data(query) == {
        "balance": {"currency": "USD", "total": "0.00"},
        "me": {"defaultAccount": {"name": "Main", "balance": "0.00"}},
        "accounts": [{"name": "Main", "isDefault": True}],
        "netWorth": [{"currency": "USD", "total": "0.00"}],
    }
    assert Account.objects.filter(user=quiet).count() == 1
    create(client, "2.00", "INCOME")
    assert client.data(query)["netWorth"] == [{"currency": "USD", "total": "2.00"}]
    assert client.data(query)["me"]["defaultAccount"]["balance"] == "2.00"


def test_each_listed_transaction_names_its_own_account_and_currency(as_alice: GraphQLClient, main: dict) -> None:
    yen, euros = open_account(as_alice, "Yen", "JPY"), open_account(as_alice, "Euros", "EUR")
    expected = {}
    for day, account, amount, shown_amount in (
        ("2026-01-01", main, "1.00", "1.00"),
        ("2026-01-02", yen, "7", "7"),
        ("2026-01-03", euros, "3.5", "3.50"),
        ("2026-01-04", main, "2", "2.00"),
    ):
        txn = create(as_alice, amount, date=day, accountId=account["id"])
        expected[txn["id"]] = (shown_amount, account["currency"], account["id"], account["name"])
    query = "{ transactions { edges { node { id amount currency account { id name } } } } }"
    nodes = [edge["node"] for edge in as_alice.data(query)["transactions"]["edges"]]
    assert {n["id"]: (n["amount"], n["currency"], n["account"]["id"], n["account"]["name"]) for n in nodes} == expected


@pytest.mark.django_db
def test_the_default_currency_is_a_setting(anonymous: GraphQLClient, settings) -> None:
    settings.DEFAULT_CURRENCY = "CHF"
    variables = {"username": "heidi", "email": "heidi@example.com", "password": "s3cret-enough!"}
    assert anonymous.data(REGISTER, variables)["register"]["user"]["defaultAccount"]["currency"] == "CHF"
    quiet = GraphQLClient(http=Client(), token=issue_token_pair(make_user("quiet")).token)
    assert default_account_of(quiet)["currency"] == "CHF"
    assert quiet.data(BALANCE_IN)["balance"]["currency"] == "CHF"


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": ""}, "name", "INVALID_ACCOUNT_NAME"),
        ({"name": "   "}, "name", "INVALID_ACCOUNT_NAME"),
        ({"name": "n" * 101}, "name", "INVALID_ACCOUNT_NAME"),
        ({"name": "a\x00b"}, "name", "INVALID_ACCOUNT_NAME"),
        ({"openingBalance": "abc"}, "openingBalance", "INVALID_AMOUNT"),
        ({"openingBalance": 12.5}, "openingBalance", "INVALID_AMOUNT"),
        ({"openingBalance": "1e3"}, "openingBalance", "INVALID_AMOUNT"),
        ({"openingBalance": "--1.00"}, "openingBalance", "INVALID_AMOUNT"),
        ({"openingBalance": "1000000000000.00"}, "openingBalance", "INVALID_AMOUNT"),
        ({"idempotencyKey": ""}, "idempotencyKey", "INVALID_IDEMPOTENCY_KEY"),
        ({"idempotencyKey": "k" * 256}, "idempotencyKey", "INVALID_IDEMPOTENCY_KEY"),
    ],
)
def test_invalid_account_input_is_a_payload_error_and_writes_nothing(
    as_alice: GraphQLClient, alice: User, main: dict, fields: dict, field: str, code: str
) -> None:
    before = account_rows(alice)
    payload = as_alice.data(CREATE_ACCOUNT, {"input": {"name": "Fine", "kind": "CASH", **fields}})["createAccount"]
    refused(payload, "account", field, code)
    if field in ("name", "openingBalance"):
        update = as_alice.data(UPDATE_ACCOUNT, {"id": main["id"], "input": fields})["updateAccount"]
        refused(update, "account", field, code)
    assert account_rows(alice) == before


def test_a_name_of_100_characters_is_kept_as_given(as_alice: GraphQLClient, main: dict) -> None:
    name = "Ö" + "n" * 99
    assert open_account(as_alice, f"  {name}  ")["name"] == name


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"idempotencyKey": ""}, "idempotencyKey", "INVALID_IDEMPOTENCY_KEY"),
        ({"amount": "0"}, "amount", "INVALID_AMOUNT"),
        ({"amount": 5}, "amount", "INVALID_AMOUNT"),
        ({"date": "2026-13-01"}, "date", "INVALID_DATE"),
        ({"date": "1899-12-31"}, "date", "INVALID_DATE"),
        ({"description": "a\x00b"}, "description", "INVALID_DESCRIPTION"),
    ],
)
def test_invalid_transfer_input_is_a_payload_error_and_writes_nothing(
    as_alice: GraphQLClient, alice: User, main: dict, fields: dict, field: str, code: str
) -> None:
    savings = open_account(as_alice, "Savings")
    before = ledger_rows(alice)
    variables = {"input": {"fromAccountId": main["id"], "toAccountId": savings["id"], "amount": "1.00", **fields}}
    refused(as_alice.data(CREATE_TRANSFER, variables)["createTransfer"], "transfer", field, code)
    assert ledger_rows(alice) == before
    assert DirtyBucket.objects.count() == 0


def test_an_archived_accounts_name_stays_taken_and_an_empty_archived_account_is_deleted(
    as_alice: GraphQLClient, alice: User, archived: dict
) -> None:
    payload = as_alice.data(CREATE_ACCOUNT, {"input": {"name": "OLD", "kind": "CASH"}})["createAccount"]
    refused(payload, "account", "name", "DUPLICATE_ACCOUNT_NAME")
    assert as_alice.data(DELETE_ACCOUNT, {"id": archived["id"]})["deleteAccount"] == {
        "deletedId": archived["id"],
        "errors": [],
    }
    assert open_account(as_alice, "old")["name"] == "old"


def test_each_mutation_of_a_document_answers_with_its_own_writes_figures(as_alice: GraphQLClient, main: dict) -> None:
    savings = open_account(as_alice, "Savings", openingBalance="100.00")
    document = """
    mutation($main: ID!, $savings: ID!) {
      first: createTransaction(input: {amount: "10.00", type: EXPENSE, accountId: $savings}) {
        transaction { account { balance } }
      }
      second: createTransfer(input: {fromAccountId: $savings, toAccountId: $main, amount: "30.00"}) {
        transfer { fromAccount { balance } toAccount { balance } }
      }
      third: updateAccount(id: $savings, input: {openingBalance: "200.00"}) { account { balance } }
      fourth: createTransaction(input: {amount: "1.00", type: INCOME}) { transaction { account { balance } } }
    }
    """
    answer = as_alice.data(document, {"main": main["id"], "savings": savings["id"]})
    assert answer == {
        "first": {"transaction": {"account": {"balance": "90.00"}}},
        "second": {"transfer": {"fromAccount": {"balance": "60.00"}, "toAccount": {"balance": "30.00"}}},
        "third": {"account": {"balance": "160.00"}},
        "fourth": {"transaction": {"account": {"balance": "31.00"}}},
    }
    listed = as_alice.data("{ accounts { name balance } netWorth { total } }")
    assert listed == {
        "accounts": [{"name": "Main", "balance": "31.00"}, {"name": "Savings", "balance": "160.00"}],
        "netWorth": [{"total": "191.00"}],
    }
