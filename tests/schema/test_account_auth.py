"""The auth matrix of every field and mutation of ledger accounts and transfers: anonymous callers get an
UNAUTHENTICATED GraphQL error, another user's ids answer exactly like missing ones, the owner gets the answer."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from accounts.models import User
from tests.conftest import CREATE, GraphQLClient, create
from tests.schema.test_accounts import (
    CREATE_ACCOUNT,
    CREATE_TRANSFER,
    DELETE_ACCOUNT,
    NET_WORTH,
    SET_DEFAULT,
    UPDATE_ACCOUNT,
    UPDATE_TRANSACTION_ACCOUNT,
    default_account_of,
    ledger_rows,
    make_transfer,
    open_account,
)


@dataclass(frozen=True)
class Ids:
    """One user's ledger: their default account, a second account with entries, an empty one, a transfer between
    the two and a transaction."""

    main: str
    savings: str
    empty: str
    transfer: str
    transaction: str


def build_ledger(client: GraphQLClient) -> Ids:
    main = default_account_of(client)
    savings = open_account(client, "Savings", openingBalance="100.00")
    empty = open_account(client, "Empty")
    transfer = make_transfer(client, main["id"], savings["id"], "10.00", date="2026-02-03")
    transaction = create(client, "4.00", "INCOME", category="Gift", date="2026-02-04", accountId=savings["id"])
    return Ids(main["id"], savings["id"], empty["id"], transfer["id"], transaction["id"])


def missing_ids(own: Ids) -> Ids:
    """Ids that exist nowhere, where `own`'s would name the caller's own rows."""
    return Ids(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), own.transaction)


@dataclass(frozen=True)
class Operation:
    """A request naming `target`'s ids (the rows being probed) and, where it needs them, `own`'s (the caller's)."""

    name: str
    query: str
    variables: Callable[[Ids, Ids], dict]
    result: Callable[[dict], object]  # what the owner gets: must be present and error-free


def _payload(key: str, result: str) -> Callable[[dict], object]:
    def pick(data: dict) -> object:
        assert data[key]["errors"] == [], data[key]["errors"]
        return data[key][result]

    return pick


ENTRIES = "entries(first: 5) { totalCount edges { node { id runningBalance } } }"
BY_ID = [
    Operation(
        "account",
        f"query($id: ID!) {{ account(id: $id) {{ id name balance openingBalance {ENTRIES} }} }}",
        lambda own, target: {"id": target.savings},
        lambda data: data["account"],
    ),
    Operation(
        "transfer",
        "query($id: ID!) { transfer(id: $id) { id amount fromAccount { id name } toAccount { id balance } } }",
        lambda own, target: {"id": target.transfer},
        lambda data: data["transfer"],
    ),
]
QUERIES_WITH_ACCOUNT_ID = [
    Operation(name, f"query($id: ID!) {{ {field} }}", lambda own, target: {"id": target.savings}, result)
    for name, field, result in (
        (
            "transactions(filters: {accountId})",
            "transactions(filters: {accountId: $id}) { totalCount edges { node { id } } }",
            lambda data: data["transactions"]["edges"],
        ),
        (
            "monthlySummary(accountId)",
            'monthlySummary(from: "2026-02", to: "2026-02", accountId: $id) { month income }',
            lambda data: data["monthlySummary"],
        ),
        (
            "categoryBreakdown(accountId)",
            'categoryBreakdown(from: "2026-02", to: "2026-02", accountId: $id) { category total }',
            lambda data: data["categoryBreakdown"],
        ),
    )
]
MUTATIONS = [
    Operation(
        "updateAccount",
        UPDATE_ACCOUNT,
        lambda own, target: {"id": target.savings, "input": {"name": "Taken over", "openingBalance": "-1.00"}},
        _payload("updateAccount", "account"),
    ),
    Operation(
        "updateAccount archived",
        UPDATE_ACCOUNT,
        lambda own, target: {"id": target.savings, "input": {"archived": True}},
        _payload("updateAccount", "account"),
    ),
    Operation(
        "deleteAccount",
        DELETE_ACCOUNT,
        lambda own, target: {"id": target.empty},
        _payload("deleteAccount", "deletedId"),
    ),
    Operation(
        "setDefaultAccount",
        SET_DEFAULT,
        lambda own, target: {"id": target.savings},
        _payload("setDefaultAccount", "account"),
    ),
    Operation(
        "createTransfer from",
        CREATE_TRANSFER,
        lambda own, target: {"input": {"fromAccountId": target.savings, "toAccountId": own.main, "amount": "1.00"}},
        _payload("createTransfer", "transfer"),
    ),
    Operation(
        "createTransfer to",
        CREATE_TRANSFER,
        lambda own, target: {"input": {"fromAccountId": own.main, "toAccountId": target.savings, "amount": "1.00"}},
        _payload("createTransfer", "transfer"),
    ),
    Operation(
        "updateTransfer",
        'mutation($id: ID!) { updateTransfer(id: $id, input: {amount: "2.00", date: "2026-03-01"}) '
        "{ transfer { id amount } errors { field message code } } }",
        lambda own, target: {"id": target.transfer},
        _payload("updateTransfer", "transfer"),
    ),
    Operation(
        "deleteTransfer",
        "mutation($id: ID!) { deleteTransfer(id: $id) { deletedId errors { field message code } } }",
        lambda own, target: {"id": target.transfer},
        _payload("deleteTransfer", "deletedId"),
    ),
    Operation(
        "createTransaction(accountId)",
        CREATE,
        lambda own, target: {"input": {"amount": "1.00", "type": "EXPENSE", "accountId": target.savings}},
        _payload("createTransaction", "transaction"),
    ),
    Operation(
        "updateTransaction(accountId)",
        UPDATE_TRANSACTION_ACCOUNT,
        # The caller's own transaction, moved into the probed account (both are in USD).
        lambda own, target: {"id": own.transaction, "input": {"accountId": target.savings}},
        _payload("updateTransaction", "transaction"),
    ),
]
WITHOUT_IDS = [
    Operation("accounts", "{ accounts(includeArchived: true) { id balance } }", lambda o, t: {}, lambda d: d),
    Operation("netWorth", NET_WORTH, lambda o, t: {}, lambda d: d),
    Operation("me.defaultAccount", "{ me { defaultAccount { id balance } } }", lambda o, t: {}, lambda d: d),
    Operation("balance(currency)", '{ balance(currency: "USD") { currency total } }', lambda o, t: {}, lambda d: d),
    Operation(
        "createAccount",
        CREATE_ACCOUNT,
        lambda own, target: {"input": {"name": "New", "kind": "CASH", "currency": "EUR"}},
        _payload("createAccount", "account"),
    ),
]
EVERYTHING = BY_ID + QUERIES_WITH_ACCOUNT_ID + MUTATIONS + WITHOUT_IDS


def _name(operation: Operation) -> str:
    return operation.name


@pytest.fixture
def bobs(as_bob: GraphQLClient) -> Ids:
    return build_ledger(as_bob)


@pytest.fixture
def alices(as_alice: GraphQLClient) -> Ids:
    return build_ledger(as_alice)


@pytest.mark.parametrize("operation", EVERYTHING, ids=_name)
def test_anonymous_callers_are_unauthenticated(
    anonymous: GraphQLClient, bob: User, bobs: Ids, operation: Operation
) -> None:
    before = ledger_rows(bob)
    body = anonymous.post(operation.query, operation.variables(bobs, bobs))
    assert all(value is None for value in (body["data"] or {}).values()), body
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert ledger_rows(bob) == before


@pytest.mark.parametrize("operation", EVERYTHING, ids=_name)
def test_an_expired_or_foreign_token_is_unauthenticated(
    anonymous: GraphQLClient, bob: User, bobs: Ids, operation: Operation
) -> None:
    before = ledger_rows(bob)
    body = anonymous.post(operation.query, operation.variables(bobs, bobs), token="not.a.token")
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert ledger_rows(bob) == before


@pytest.mark.parametrize("operation", BY_ID, ids=_name)
def test_another_users_ids_read_as_null_like_missing_ones(
    as_alice: GraphQLClient, alices: Ids, bobs: Ids, operation: Operation
) -> None:
    foreign = as_alice.post(operation.query, operation.variables(alices, bobs))
    missing = as_alice.post(operation.query, operation.variables(alices, missing_ids(alices)))
    assert foreign == missing
    assert foreign == {"data": {operation.name: None}}


@pytest.mark.parametrize("operation", QUERIES_WITH_ACCOUNT_ID, ids=_name)
def test_another_users_account_id_in_a_query_is_not_found_like_a_missing_one(
    as_alice: GraphQLClient, alices: Ids, bobs: Ids, operation: Operation
) -> None:
    foreign = as_alice.post(operation.query, operation.variables(alices, bobs))
    missing = as_alice.post(operation.query, operation.variables(alices, missing_ids(alices)))
    assert foreign == missing
    assert foreign["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in foreign["errors"]] == [
        ("NOT_FOUND", "accountId")
    ]


@pytest.mark.parametrize("operation", MUTATIONS, ids=_name)
def test_another_users_ids_in_a_mutation_are_not_found_like_missing_ones(
    as_alice: GraphQLClient, alice: User, bob: User, alices: Ids, bobs: Ids, operation: Operation
) -> None:
    before = ledger_rows(alice), ledger_rows(bob)
    foreign = as_alice.data(operation.query, operation.variables(alices, bobs))
    missing = as_alice.data(operation.query, operation.variables(alices, missing_ids(alices)))
    assert foreign == missing
    [payload] = foreign.values()
    assert [error["code"] for error in payload["errors"]] == ["NOT_FOUND"]
    assert all(value is None for key, value in payload.items() if key != "errors")
    assert (ledger_rows(alice), ledger_rows(bob)) == before


@pytest.mark.parametrize("operation", EVERYTHING, ids=_name)
def test_the_owner_gets_the_answer(as_bob: GraphQLClient, bobs: Ids, operation: Operation) -> None:
    data = as_bob.data(operation.query, operation.variables(bobs, bobs))
    assert operation.result(data) not in (None, [], {})


def test_lists_cover_only_the_callers_accounts(
    as_alice: GraphQLClient, as_bob: GraphQLClient, alices: Ids, bobs: Ids
) -> None:
    as_bob.data(UPDATE_ACCOUNT, {"id": bobs.savings, "input": {"openingBalance": "5000.00"}})
    mine = {alices.main, alices.savings, alices.empty}
    listed = as_alice.data("{ accounts(includeArchived: true) { id } }")["accounts"]
    assert {account["id"] for account in listed} == mine
    assert as_alice.data(NET_WORTH)["netWorth"] == [{"currency": "USD", "total": "104.00"}]
    assert default_account_of(as_alice)["id"] == alices.main
    entries = as_alice.data(f"query($id: ID!) {{ account(id: $id) {{ {ENTRIES} }} }}", {"id": alices.savings})
    assert entries["account"]["entries"]["totalCount"] == 2
