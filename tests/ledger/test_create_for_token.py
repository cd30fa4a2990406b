"""A create whose caller and account were not read first (ledger.services.transactions.transaction_create_for_token):
after a user's create to an account, their next create to it is one statement on PostgreSQL, which checks the caller
and the account itself. Whatever changed since the first create (a logout everywhere, a deactivation, an archive, a
delete, another default, another currency) is answered exactly as the path that reads them answers it.

Every test warms the remembered account through the API first, so on PostgreSQL the request under test takes the one
statement; on SQLite the same requests take the statement sequence, and must answer the same."""

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair, revoke_all_sessions
from ledger import services
from ledger.models import Account, Transaction
from ledger.services.write_targets import forget_all_targets, remembered_target
from tests.conftest import GraphQLClient, create, make_user

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a request runs

CREATE = """
mutation Create($input: CreateTransactionInput!) {
  createTransaction(input: $input) {
    transaction { id amount currency account { id name } }
    errors { field code }
  }
}
"""


@pytest.fixture
def erin() -> User:
    forget_all_targets()
    user = make_user("erin")
    services.ensure_default_account(user=user)
    return user


@pytest.fixture
def as_erin(erin: User) -> GraphQLClient:
    client = GraphQLClient(http=Client(), token=issue_token_pair(erin).token)
    create(client, "1.00")  # remembers the default account
    return client


def _create(client: GraphQLClient, amount: str, **fields: object) -> dict:
    return client.post(CREATE, {"input": {"amount": amount, "type": "EXPENSE", **fields}})


def _statements(send: object) -> list[str]:
    sent: list[str] = []

    def record(execute, sql, params, many, context):  # noqa: ANN001, ANN202 (Django's wrapper signature)
        sent.append(sql.split()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        send()
    return sent


def _codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def test_a_second_create_to_an_account_is_one_statement_on_postgresql(as_erin: GraphQLClient, erin: User) -> None:
    sent = _statements(lambda: create(as_erin, "2.50"))
    if connection.vendor == "postgresql":
        assert sent == ["WITH"]
    else:  # the caller with the account, then BEGIN and the statement sequence
        assert sent[0] == "SELECT" and "INSERT" in sent
    assert sorted(Transaction.objects.filter(user=erin).values_list("amount_minor", flat=True)) == [100, 250]


def test_the_answer_is_the_same_as_the_first_creates(as_erin: GraphQLClient, erin: User) -> None:
    first = _create(as_erin, "3.00")["data"]["createTransaction"]
    second = _create(as_erin, "3.00")["data"]["createTransaction"]
    default = Account.objects.get(user=erin, is_default=True)
    for payload in (first, second):
        assert payload["errors"] == []
        assert payload["transaction"]["amount"] == "3.00"
        assert payload["transaction"]["currency"] == default.currency
        assert payload["transaction"]["account"] == {"id": str(default.pk), "name": default.name}
    assert first["transaction"]["id"] != second["transaction"]["id"]


def test_a_token_revoked_since_is_refused_and_writes_nothing(as_erin: GraphQLClient, erin: User) -> None:
    revoke_all_sessions(erin)
    body = _create(as_erin, "2.00")
    assert body["data"] is None and _codes(body) == ["UNAUTHENTICATED"]
    assert Transaction.objects.filter(user=erin).count() == 1


def test_a_user_deactivated_since_is_refused_and_writes_nothing(as_erin: GraphQLClient, erin: User) -> None:
    User.objects.filter(pk=erin.pk).update(is_active=False)
    body = _create(as_erin, "2.00")
    assert body["data"] is None and _codes(body) == ["UNAUTHENTICATED"]
    assert Transaction.objects.filter(user=erin).count() == 1


def test_an_account_archived_since_refuses_the_create(as_erin: GraphQLClient, erin: User) -> None:
    cash = services.account_create(user=erin, name="Cash", kind="cash")
    create(as_erin, "1.00", accountId=str(cash.pk))
    services.account_update(user=erin, account_id=cash.pk, archived=True)
    payload = _create(as_erin, "2.00", accountId=str(cash.pk))["data"]["createTransaction"]
    assert payload == {"transaction": None, "errors": [{"field": "accountId", "code": "ACCOUNT_ARCHIVED"}]}
    assert Transaction.objects.filter(account=cash).count() == 1


def test_an_account_deleted_since_is_not_found(as_erin: GraphQLClient, erin: User) -> None:
    cash = services.account_create(user=erin, name="Cash", kind="cash")
    created = create(as_erin, "1.00", accountId=str(cash.pk))
    services.transaction_delete(user=erin, transaction_id=created["id"])
    services.account_delete(user=erin, account_id=cash.pk)
    payload = _create(as_erin, "2.00", accountId=str(cash.pk))["data"]["createTransaction"]
    assert payload == {"transaction": None, "errors": [{"field": "accountId", "code": "NOT_FOUND"}]}
    assert Transaction.objects.filter(user=erin).count() == 1


def test_an_unnamed_account_is_the_default_at_the_time_of_the_create(as_erin: GraphQLClient, erin: User) -> None:
    savings = services.account_create(user=erin, name="Savings", kind="savings")
    services.account_set_default(user=erin, account_id=savings.pk)
    created = create(as_erin, "2.00")
    assert Transaction.objects.get(pk=created["id"]).account_id == savings.pk


def test_the_amount_is_read_in_the_currency_the_account_has_now(as_erin: GraphQLClient, erin: User) -> None:
    wallet = services.account_create(user=erin, name="Wallet", kind="cash")
    first = create(as_erin, "1.25", accountId=str(wallet.pk))
    services.transaction_delete(user=erin, transaction_id=first["id"])
    services.account_update(user=erin, account_id=wallet.pk, currency="JPY")
    refused = _create(as_erin, "1.25", accountId=str(wallet.pk))["data"]["createTransaction"]
    assert refused == {"transaction": None, "errors": [{"field": "amount", "code": "INVALID_AMOUNT"}]}
    created = create(as_erin, "1800", accountId=str(wallet.pk))
    stored = Transaction.objects.get(pk=created["id"])
    assert (stored.amount_minor, stored.account_id) == (1800, wallet.pk)


def test_a_retried_idempotency_key_answers_with_the_first_transaction(as_erin: GraphQLClient, erin: User) -> None:
    first = create(as_erin, "4.00", idempotencyKey="order-9")
    again = create(as_erin, "4.00", idempotencyKey="order-9")
    assert again["id"] == first["id"]
    reused = _create(as_erin, "5.00", idempotencyKey="order-9")["data"]["createTransaction"]
    assert reused["errors"] == [{"field": "idempotencyKey", "code": "IDEMPOTENCY_KEY_REUSED"}]
    assert Transaction.objects.filter(user=erin).count() == 2


def test_another_users_remembered_account_stays_theirs(as_erin: GraphQLClient, erin: User) -> None:
    cash = services.account_create(user=erin, name="Cash", kind="cash")
    create(as_erin, "1.00", accountId=str(cash.pk))
    mallory = make_user("mallory")
    services.ensure_default_account(user=mallory)
    as_mallory = GraphQLClient(http=Client(), token=issue_token_pair(mallory).token)
    payload = _create(as_mallory, "2.00", accountId=str(cash.pk))["data"]["createTransaction"]
    assert payload == {"transaction": None, "errors": [{"field": "accountId", "code": "NOT_FOUND"}]}
    assert Transaction.objects.filter(account=cash).count() == 1
    assert remembered_target(mallory.pk, str(cash.pk)) is None


def test_input_errors_are_reported_as_without_the_shortcut(as_erin: GraphQLClient, erin: User) -> None:
    payload = _create(as_erin, "1.234", date="2026-13-01")["data"]["createTransaction"]
    assert sorted(error["field"] for error in payload["errors"]) == ["amount", "date"]
    assert Transaction.objects.filter(user=erin).count() == 1


def test_a_token_generation_the_table_cannot_hold_takes_the_reading_path(as_erin: GraphQLClient, erin: User) -> None:
    # Only a signed token reaches here, so its generation is the int it was issued with; anything else is left to
    # the path that reads the caller (and refuses it) rather than sent to PostgreSQL as a mistyped parameter.
    written = services.transaction_create_for_token(
        user_id=erin.pk, token_version=str(erin.token_version), amount="2.00", type="expense"
    )
    assert written is None
    assert Transaction.objects.filter(user=erin).count() == 1


def test_the_remembered_accounts_are_bounded_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger.services import write_targets  # noqa: PLC0415

    monkeypatch.setattr(write_targets, "CAPACITY", 3)
    forget_all_targets()
    for n in range(5):
        write_targets.remember_target("user", n, write_targets.WriteTarget(n, "USD"))
    write_targets.remember_target("user", 2, write_targets.WriteTarget(2, "EUR"))  # used again: kept longest
    write_targets.remember_target("user", 5, write_targets.WriteTarget(5, "USD"))
    assert [n for n in range(6) if remembered_target("user", n) is not None] == [2, 4, 5]
    assert remembered_target("user", 2) == write_targets.WriteTarget(2, "EUR")
