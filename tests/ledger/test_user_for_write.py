"""A create's caller and target account in one statement (ledger.selectors.user_for_write), and a create given the
account so read (transaction_create's `account_seen`): the same answers as the create that reads it itself (NOT_FOUND
for another user's or a missing account, archived accounts refused, idempotent retries), one statement fewer."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import User
from ledger import error_codes, services
from ledger.models import BalanceVersion, Transaction
from ledger.selectors.users import user_for_request, user_for_write
from ledger.services.bookkeeping import account_for_write
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a request runs (the one-statement create)

DAY = datetime.date(2026, 1, 15)


def _create(user: User, account_id: object = None, *, amount: str = "2.50", **fields: object) -> Transaction:
    """A create as the API's resolver makes it: the caller and the account read in one statement first."""
    caller, seen = user_for_write(user.pk, account_id=account_id)
    return services.transaction_create(
        user=caller, account_seen=seen, account_id=account_id, amount=amount, type="expense", date=DAY, **fields
    )


@pytest.fixture
def erin() -> User:
    user = make_user("erin")
    services.ensure_default_account(user=user)
    _create(user, amount="1.00")  # the version row exists
    return user


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


@pytest.mark.parametrize("named", [False, True])
def test_it_reads_the_user_as_user_for_request_and_the_account_as_account_for_write(erin: User, named: bool) -> None:
    savings = services.account_create(user=erin, name="Savings", kind="savings", currency="EUR")
    account_id = str(savings.pk) if named else None
    user, seen = user_for_write(erin.pk, account_id=account_id)
    expected_user, _ = user_for_request(erin.pk, with_balance_version=False)
    expected = account_for_write(erin, account_id, field="account_id")
    fields = ["id", "username", "email", "is_active", "token_version"]
    assert [getattr(user, name) for name in fields] == [getattr(expected_user, name) for name in fields]
    assert seen.version_seen == expected.version_seen == BalanceVersion.objects.get(user=erin).version
    assert [getattr(seen.account, f.attname) for f in seen.account._meta.concrete_fields] == [
        getattr(expected.account, f.attname) for f in expected.account._meta.concrete_fields
    ]
    assert seen.account.currency == ("EUR" if named else "USD")


def test_no_account_is_read_for_another_users_a_missing_or_a_malformed_id(erin: User) -> None:
    other = make_user("frank")
    foreign = services.ensure_default_account(user=other)
    for account_id in (str(foreign.pk), str(uuid.uuid4()), "not-an-id"):
        user, seen = user_for_write(erin.pk, account_id=account_id)
        assert (user.pk, seen) == (erin.pk, None)


def test_an_unknown_user_is_none(erin: User) -> None:
    assert user_for_write(uuid.uuid4(), account_id=None) == (None, None)


def test_a_user_without_a_default_account_gets_one_as_before() -> None:
    user = make_user("gina")
    assert user_for_write(user.pk, account_id=None)[1] is None
    created = _create(user)
    assert created.account.is_default
    assert created.account.name == "Main"


@pytest.mark.parametrize("account_id", ["foreign", "missing", "not-an-id"])
def test_another_users_or_a_missing_account_is_not_found_as_before(erin: User, account_id: str) -> None:
    ids = {
        "foreign": str(services.ensure_default_account(user=make_user("frank")).pk),
        "missing": str(uuid.uuid4()),
        "not-an-id": "not-an-id",
    }
    with pytest.raises(ValidationError) as raised:
        _create(erin, ids[account_id])
    assert _codes(raised.value) == {"account_id": [error_codes.NOT_FOUND]}
    assert Transaction.objects.filter(user=erin).count() == 1


def test_an_archived_account_is_refused_as_before(erin: User) -> None:
    savings = services.account_create(user=erin, name="Savings", kind="savings", currency="USD")
    services.account_update(user=erin, account_id=savings.pk, archived=True)
    with pytest.raises(ValidationError) as raised:
        _create(erin, str(savings.pk))
    assert _codes(raised.value) == {"account_id": [error_codes.ACCOUNT_ARCHIVED]}
    assert Transaction.objects.filter(user=erin).count() == 1


def test_a_retry_answers_with_the_first_transaction_even_after_an_archive(erin: User) -> None:
    savings = services.account_create(user=erin, name="Savings", kind="savings", currency="USD")
    first = _create(erin, str(savings.pk), idempotency_key="k-1")
    services.account_update(user=erin, account_id=savings.pk, archived=True)
    assert _create(erin, str(savings.pk), idempotency_key="k-1").pk == first.pk
    assert Transaction.objects.filter(user=erin, idempotency_key="k-1").count() == 1


def test_an_account_changed_since_it_was_read_is_checked_again(erin: User) -> None:
    """Between the read and the write another request archives the account: the write sees it (its own snapshot on
    PostgreSQL, confirm_account elsewhere) and refuses."""
    savings = services.account_create(user=erin, name="Savings", kind="savings", currency="USD")
    caller, seen = user_for_write(erin.pk, account_id=str(savings.pk))
    services.account_update(user=erin, account_id=savings.pk, archived=True)
    with pytest.raises(ValidationError) as raised:
        services.transaction_create(
            user=caller, account_seen=seen, account_id=str(savings.pk), amount="2.50", type="expense", date=DAY
        )
    assert _codes(raised.value) == {"account_id": [error_codes.ACCOUNT_ARCHIVED]}


def test_a_create_given_its_account_is_one_statement_on_postgresql(erin: User) -> None:
    caller, seen = user_for_write(erin.pk, account_id=None)
    sent: list[str] = []

    def record(execute, sql, params, many, context):  # noqa: ANN001, ANN202 (Django's wrapper signature)
        sent.append(sql.split()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        created = services.transaction_create(user=caller, account_seen=seen, amount="2.50", type="expense", date=DAY)
    if connection.vendor == "postgresql":
        assert sent == ["WITH"], sent
    else:  # the statement sequence, without reading the account again (confirm_account trusts the read)
        assert "SELECT" not in sent, sent
    assert Transaction.objects.get(pk=created.pk).amount_minor == 250
    assert BalanceVersion.objects.values_list("version", "volume_minor").get(user=erin) == (2, 350)
