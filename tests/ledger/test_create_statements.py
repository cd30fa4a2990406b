"""What a transaction create costs the database, and that its one-statement write (ledger.services.single_statement)
keeps every guarantee of the statement sequence when writes race it: one row per idempotency key, the volume equal
to the sum, one dirty generation per write."""

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger import services
from ledger.models import Account, BalanceVersion, CategoryName, DirtyBucket, Transaction
from ledger.services import transactions
from tests.conftest import GraphQLClient, create, make_user, run_together

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a request runs

DAY = datetime.date(2026, 1, 15)
READS = {"SELECT", "BEGIN"}  # BEGIN: SQLite's, sent by Django as a statement


@pytest.fixture
def erin() -> User:
    user = make_user("erin")
    services.ensure_default_account(user=user)
    services.transaction_create(user=user, amount="1.00", type="income", date=DAY)  # the version row exists
    return user


def _statements_of(create: Callable[[], object]) -> list[tuple[str, bool]]:
    """Every statement `create` sends, with whether it ran inside an explicit transaction (an atomic block)."""
    sent: list[tuple[str, bool]] = []

    def record(execute, sql, params, many, context):  # noqa: ANN001, ANN202 (Django's wrapper signature)
        sent.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        create()
    return sent


def _statements_of_a_create(user: User, **fields: object) -> list[tuple[str, bool]]:
    return _statements_of(
        lambda: services.transaction_create(user=user, amount="2.50", type="expense", date=DAY, **fields)
    )


@pytest.mark.parametrize("key", [None, "order-7"])
def test_a_create_is_its_read_and_then_one_statement_on_postgresql(erin: User, key: str | None) -> None:
    sent = _statements_of_a_create(erin, idempotency_key=key)
    if connection.vendor == "postgresql":
        # The account with the version, then the bump, the row, its category name, its dirty bucket and its change
        # row in one statement that is its own transaction: no BEGIN or COMMIT round trips, the version lock held while it runs.
        assert [(sql.split()[0], in_transaction) for sql, in_transaction in sent] == [
            ("SELECT", False),
            ("WITH", False),
        ], sent
    else:  # SQLite: the read, then BEGIN, bump, (with a key: lookup, volume), row, name, bucket, change sequence,
        # change row; COMMIT is no statement
        assert len(sent) == (8 if key is None else 10), sent
    assert BalanceVersion.objects.values_list("version", "volume_minor").get(user=erin) == (2, 350)
    assert dict(DirtyBucket.objects.filter(user=erin).values_list("month", "generation")) == {"2026-01": 2}
    assert list(CategoryName.objects.filter(user=erin).values_list("key", "name")) == [("other", "Other")]


def test_a_create_request_writes_in_one_statement_outside_any_transaction_on_postgresql(erin: User) -> None:
    client = GraphQLClient(http=Client(), token=issue_token_pair(erin).token)
    sent = _statements_of(lambda: create(client, "2.50"))
    writes = [(sql.split()[0], in_transaction) for sql, in_transaction in sent if sql.split()[0] not in READS]
    if connection.vendor == "postgresql":
        assert writes == [("WITH", False)], sent
    else:  # the bump, the row, its category name, its dirty bucket, the change sequence and row, in a transaction
        assert writes == [("INSERT", True)] * 6, sent


def test_the_returned_transaction_is_the_stored_one(erin: User) -> None:
    created = services.transaction_create(
        user=erin, amount="12.34", type="income", description="Refund", category=" GROCERIES ", date=DAY
    )
    stored = Transaction.objects.get(pk=created.pk)
    fields = ["user_id", "account_id", "amount_minor", "type", "description", "category", "category_key", "date"]
    assert [getattr(created, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert (created.created_at, created.updated_at) == (stored.created_at, stored.updated_at)
    assert (created.category, created.category_key) == ("GROCERIES", "groceries")
    assert not created._state.adding


def _after_the_read(monkeypatch: pytest.MonkeyPatch, change: Callable[[Account], object]) -> None:
    """Run `change` on the account right after the create's first read of it, as another request committing then."""
    real = transactions.account_for_write

    def read_then_change(*args: object, **kwargs: object) -> object:
        seen = real(*args, **kwargs)
        monkeypatch.setattr(transactions, "account_for_write", real)
        change(seen.account)
        return seen

    monkeypatch.setattr(transactions, "account_for_write", read_then_change)


def test_a_create_after_another_write_since_its_read_is_written_once(
    erin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _after_the_read(
        monkeypatch, lambda _: services.transaction_create(user=erin, amount="3.00", type="expense", date=DAY)
    )
    services.transaction_create(user=erin, amount="2.00", type="expense", date=DAY)
    assert sorted(Transaction.objects.filter(user=erin).values_list("amount_minor", flat=True)) == [100, 200, 300]
    assert BalanceVersion.objects.values_list("version", "volume_minor").get(user=erin) == (3, 600)
    assert dict(DirtyBucket.objects.filter(user=erin).values_list("month", "generation")) == {"2026-01": 3}


def test_the_returned_account_is_the_account_as_the_row_was_written(
    erin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _after_the_read(
        monkeypatch, lambda account: services.account_update(user=erin, account_id=account.pk, name="Daily")
    )
    created = services.transaction_create(user=erin, amount="2.00", type="expense", date=DAY)
    assert (created.account.name, created.account.currency) == ("Daily", "USD")


def test_racing_retries_of_one_create_make_one_transaction(erin: User) -> None:
    def retry() -> str:
        return str(services.transaction_create(user=erin, amount="4.00", type="expense", idempotency_key="k").pk)

    assert len(set(run_together(retry, 4))) == 1
    assert Transaction.objects.filter(user=erin, idempotency_key="k").count() == 1
    assert BalanceVersion.objects.get(user=erin).volume_minor == 100 + 400


def test_racing_creates_each_write_once_with_their_volume_and_dirty_marks(erin: User) -> None:
    amounts = iter(["1.00", "2.00", "3.00", "4.00"])

    def create() -> str:
        return str(services.transaction_create(user=erin, amount=next(amounts), type="expense", date=DAY).pk)

    assert len(set(run_together(create, 4))) == 4
    assert BalanceVersion.objects.values_list("version", "volume_minor").get(user=erin) == (5, 1100)
    assert dict(DirtyBucket.objects.filter(user=erin).values_list("month", "generation")) == {"2026-01": 5}


def test_two_workers_creating_for_one_user_both_stay_on_the_one_statement(erin: User, monkeypatch) -> None:
    # Each worker's statement often meets the other's commit; it is retried with a new snapshot instead of falling
    # back to the statement sequence (which holds the user's lock for eight round trips and made the other worker
    # fall back in turn: a quarter of 200 creates did, before).
    sequences = []
    real = transactions.insert_in_one_statement

    def watched(row: Transaction, **options: object) -> bool:
        written = real(row, **options)
        if not written:
            sequences.append(row.amount_minor)
        return written

    monkeypatch.setattr(transactions, "insert_in_one_statement", watched)

    def hundred() -> None:
        user = User.objects.get(pk=erin.pk)
        for n in range(100):
            services.transaction_create(user=user, amount=f"{n + 1}.00", type="expense", date=DAY)

    run_together(hundred, 2)
    assert Transaction.objects.filter(user=erin).count() == 201
    assert BalanceVersion.objects.get(user=erin).volume_minor == 100 + 2 * sum(range(100, 10_001, 100))
    if connection.vendor == "postgresql":
        assert sequences == []
