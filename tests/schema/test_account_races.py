"""Ledger account and transfer writes racing each other (threads released at once, each with its own connection):
the rules hold and every answer is a planned one, never a masked internal error."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger.models import Account, Transaction, Transfer
from tests.conftest import CREATE, GraphQLClient, make_user, run_together
from tests.schema.test_accounts import (
    CREATE_ACCOUNT,
    CREATE_TRANSFER,
    DEFAULT_ACCOUNT,
    SET_DEFAULT,
    UPDATE_ACCOUNT,
    default_account_of,
    open_account,
)

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user: User) -> GraphQLClient:
    return GraphQLClient(http=Client(), token=issue_token_pair(user).token)


@pytest.fixture
def carol() -> User:
    return make_user("carol")


def test_a_new_user_racing_for_their_default_account_gets_one(carol: User) -> None:
    token = issue_token_pair(carol).token
    answers = run_together(lambda: GraphQLClient(http=Client(), token=token).post(DEFAULT_ACCOUNT), 4)
    assert all("errors" not in answer for answer in answers), answers
    assert len({answer["data"]["me"]["defaultAccount"]["id"] for answer in answers}) == 1
    assert list(Account.objects.filter(user=carol).values_list("name", "is_default")) == [("Main", True)]


def test_a_new_user_racing_creates_into_their_default_account_gets_one(carol: User) -> None:
    token = issue_token_pair(carol).token
    variables = {"input": {"amount": "1.00", "type": "INCOME"}}
    answers = run_together(lambda: GraphQLClient(http=Client(), token=token).post(CREATE, variables), 4)
    assert all("errors" not in answer and answer["data"]["createTransaction"]["errors"] == [] for answer in answers)
    assert Account.objects.filter(user=carol).count() == 1
    assert Transaction.objects.filter(user=carol, account__is_default=True).count() == 4


def test_racing_creates_of_one_name_make_one_account(carol: User) -> None:
    default_account_of(client_for(carol))
    token = issue_token_pair(carol).token
    names = iter(["Savings", "SAVINGS", "savings", " Savings "])

    def create_one() -> dict:
        variables = {"input": {"name": next(names), "kind": "SAVINGS", "currency": "EUR"}}
        return GraphQLClient(http=Client(), token=token).post(CREATE_ACCOUNT, variables)

    answers = run_together(create_one, 4)
    assert all("errors" not in answer for answer in answers), answers
    errors = sorted(tuple(e["code"] for e in answer["data"]["createAccount"]["errors"]) for answer in answers)
    assert errors == [(), ("DUPLICATE_ACCOUNT_NAME",), ("DUPLICATE_ACCOUNT_NAME",), ("DUPLICATE_ACCOUNT_NAME",)]
    assert Account.objects.filter(user=carol).count() == 2


def test_racing_retries_of_one_create_account_make_one_account(carol: User) -> None:
    default_account_of(client_for(carol))
    token = issue_token_pair(carol).token
    variables = {"input": {"name": "Savings", "kind": "SAVINGS", "openingBalance": "5.00", "idempotencyKey": "k1"}}
    answers = run_together(lambda: GraphQLClient(http=Client(), token=token).post(CREATE_ACCOUNT, variables), 4)
    assert all("errors" not in answer for answer in answers), answers
    assert all(answer["data"]["createAccount"]["errors"] == [] for answer in answers), answers
    assert len({answer["data"]["createAccount"]["account"]["id"] for answer in answers}) == 1
    assert Account.objects.filter(user=carol).count() == 2
    assert client_for(carol).data("{ netWorth { currency total } }")["netWorth"] == [
        {"currency": "USD", "total": "5.00"}
    ]


def test_racing_retries_of_one_transfer_make_one_transfer(carol: User) -> None:
    client = client_for(carol)
    main, savings = default_account_of(client), open_account(client, "Savings")
    token = issue_token_pair(carol).token
    variables = {
        "input": {"fromAccountId": main["id"], "toAccountId": savings["id"], "amount": "3.00", "idempotencyKey": "t1"}
    }
    answers = run_together(lambda: GraphQLClient(http=Client(), token=token).post(CREATE_TRANSFER, variables), 4)
    assert all("errors" not in answer for answer in answers), answers
    assert all(answer["data"]["createTransfer"]["errors"] == [] for answer in answers), answers
    assert len({answer["data"]["createTransfer"]["transfer"]["id"] for answer in answers}) == 1
    assert Transfer.objects.count() == 1
    balances = {a["name"]: a["balance"] for a in client.data("{ accounts { name balance } }")["accounts"]}
    assert balances == {"Main": "-3.00", "Savings": "3.00"}


def test_racing_default_changes_leave_exactly_one_default(carol: User) -> None:
    client = client_for(carol)
    default_account_of(client)
    targets = iter([open_account(client, f"A{n}")["id"] for n in range(4)])
    token = issue_token_pair(carol).token

    def set_default() -> dict:
        return GraphQLClient(http=Client(), token=token).post(SET_DEFAULT, {"id": next(targets)})

    answers = run_together(set_default, 4)
    assert all("errors" not in answer for answer in answers), answers
    assert all(answer["data"]["setDefaultAccount"]["errors"] == [] for answer in answers), answers
    assert Account.objects.filter(user=carol, is_default=True).count() == 1


def test_archiving_while_transferring_never_leaves_a_transfer_created_after_the_archive(carol: User) -> None:
    client = client_for(carol)
    main, savings = default_account_of(client), open_account(client, "Savings")
    token = issue_token_pair(carol).token
    jobs = iter(["archive", "transfer", "transfer", "transfer"])

    def work() -> tuple[str, dict]:
        job = next(jobs)
        http = GraphQLClient(http=Client(), token=token)
        if job == "archive":
            return job, http.post(UPDATE_ACCOUNT, {"id": savings["id"], "input": {"archived": True}})
        variables = {"input": {"fromAccountId": main["id"], "toAccountId": savings["id"], "amount": "1.00"}}
        return job, http.post(CREATE_TRANSFER, variables)

    answers = run_together(work, 4)
    assert all("errors" not in answer for _, answer in answers), answers
    archive = next(answer for job, answer in answers if job == "archive")["data"]["updateAccount"]
    assert archive["errors"] == []
    transfer_codes = sorted(
        tuple(e["code"] for e in answer["data"]["createTransfer"]["errors"])
        for job, answer in answers
        if job != "archive"
    )
    assert set(transfer_codes) <= {(), ("ACCOUNT_ARCHIVED",)}
    assert Transfer.objects.count() == transfer_codes.count(())
    archived_at = Account.objects.get(pk=savings["id"]).updated_at
    assert all(created <= archived_at for created in Transfer.objects.values_list("created_at", flat=True))


def test_archiving_and_making_default_at_once_never_archives_the_default(carol: User) -> None:
    client = client_for(carol)
    default_account_of(client)
    token = issue_token_pair(carol).token
    for round_ in range(3):
        target = open_account(client, f"Race {round_}")["id"]
        jobs = iter(["archive", "default"])

        def work(target: str = target, jobs: object = jobs) -> dict:
            http = GraphQLClient(http=Client(), token=token)
            if next(jobs) == "archive":
                return http.post(UPDATE_ACCOUNT, {"id": target, "input": {"archived": True}})
            return http.post(SET_DEFAULT, {"id": target})

        answers = run_together(work, 2)
        assert all("errors" not in answer for answer in answers), answers
        codes = sorted(
            e["code"] for answer in answers for payload in answer["data"].values() for e in payload["errors"]
        )
        assert codes in (["ACCOUNT_ARCHIVED"], ["DEFAULT_ACCOUNT"]), codes
        assert not Account.objects.filter(user=carol, is_default=True, archived=True).exists()
        assert Account.objects.filter(user=carol, is_default=True).count() == 1
