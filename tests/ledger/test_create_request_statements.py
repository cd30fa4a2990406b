"""What a createTransaction request costs the database the first time a process writes for its caller to that account:
the caller with the account it writes to in one statement (ledger.selectors.user_for_write), then the write (one
statement on PostgreSQL) without reading the account again. Later creates to the same account skip the read on
PostgreSQL: tests/ledger/test_create_for_token.py."""

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger import services
from ledger.services.write_targets import forget_all_targets
from tests.conftest import GraphQLClient, create, make_user

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a request runs


@pytest.fixture
def erin_client() -> GraphQLClient:
    user: User = make_user("erin")
    services.ensure_default_account(user=user)
    client = GraphQLClient(http=Client(), token=issue_token_pair(user).token)
    create(client, "1.00")  # the version row exists
    return client


@pytest.mark.parametrize("named", [False, True])
def test_a_create_request_reads_its_caller_and_account_in_one_statement(
    erin_client: GraphQLClient, named: bool
) -> None:
    fields = {}
    if named:
        fields["accountId"] = str(services.account_create(user=User.objects.get(), name="Cash", kind="cash").pk)
    sent: list[str] = []

    def record(execute, sql, params, many, context):  # noqa: ANN001, ANN202 (Django's wrapper signature)
        sent.append(sql)
        return execute(sql, params, many, context)

    forget_all_targets()  # the fixture's create was to the default account
    with connection.execute_wrapper(record):
        create(erin_client, "2.50", **fields)
    assert "accounts_user" in sent[0] and "ledger_account" in sent[0], sent[0]
    if connection.vendor == "postgresql":
        assert [sql.split()[0] for sql in sent] == ["SELECT", "WITH"], sent
    else:  # the statement sequence (BEGIN, the bump, the row...), reading nothing more
        assert [sql for sql in sent[1:] if sql.split()[0] == "SELECT"] == [], sent
