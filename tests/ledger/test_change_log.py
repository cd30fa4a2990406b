"""The change log (ledger.changes): every committed write appends exactly one change per entity it changed, numbered
gap-free per user, with the entity's snapshot; refused and rolled-back writes append none."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from ledger import services
from ledger.changes import prune_changes, snapshot_of
from ledger.imports import transactions_import
from ledger.models import Account, BalanceVersion, Change, Transaction
from tests.conftest import make_user, run_together

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a request runs (the one-statement create)

DAY = datetime.date(2026, 3, 14)


@pytest.fixture
def erin() -> User:
    return make_user("erin")


def changes_of(user: User) -> list[tuple[int, str, str, str]]:
    return list(
        Change.objects.filter(user=user)
        .order_by("sequence")
        .values_list("sequence", "entity_type", "operation", "entity_id")
    )


def sequences(user: User) -> list[int]:
    return [sequence for sequence, *_ in changes_of(user)]


def last_change(user: User) -> Change:
    return Change.objects.filter(user=user).latest("sequence")


def test_the_lazily_created_default_account_is_a_change(erin: User) -> None:
    account = services.ensure_default_account(user=erin)
    assert changes_of(erin) == [(1, "ACCOUNT", "CREATED", account.pk)]
    assert BalanceVersion.objects.values_list("version", "change_sequence").get(user=erin) == (0, 1)
    services.ensure_default_account(user=erin)  # already there: nothing changes
    assert sequences(erin) == [1]


def test_a_transaction_through_create_update_and_delete(erin: User) -> None:
    txn = services.transaction_create(
        user=erin, amount="12.50", type="expense", category="Food", description="lunch", date=DAY
    )
    created = last_change(erin)
    assert (created.entity_type, created.entity_id, created.operation) == ("TRANSACTION", txn.pk, "CREATED")
    stored = Transaction.objects.select_related("account").get(pk=txn.pk)
    assert created.snapshot == snapshot_of(stored)
    assert created.snapshot == {
        "id": str(txn.pk),
        "account_id": str(stored.account_id),
        "amount_minor": 1250,
        "currency": "USD",
        "type": "expense",
        "description": "lunch",
        "category": "Food",
        "date": "2026-03-14",
        "created_at": stored.created_at.isoformat(),
        "updated_at": stored.updated_at.isoformat(),
    }

    services.transaction_update(user=erin, transaction_id=txn.pk, amount="13.00", category="Dining")
    updated = last_change(erin)
    assert (updated.operation, updated.snapshot["amount_minor"], updated.snapshot["category"]) == (
        "UPDATED",
        1300,
        "Dining",
    )

    services.transaction_delete(user=erin, transaction_id=txn.pk)
    deleted = last_change(erin)
    assert (deleted.operation, deleted.entity_id, deleted.snapshot["amount_minor"]) == ("DELETED", txn.pk, 1300)
    # The default account (created by the first write), then the three changes of the transaction.
    assert changes_of(erin)[1:] == [
        (2, "TRANSACTION", "CREATED", txn.pk),
        (3, "TRANSACTION", "UPDATED", txn.pk),
        (4, "TRANSACTION", "DELETED", txn.pk),
    ]


@pytest.mark.parametrize("key", [None, "order-1"])
def test_a_create_with_and_without_a_key_appends_one_change_and_a_retry_none(erin: User, key: str | None) -> None:
    services.ensure_default_account(user=erin)
    first = services.transaction_create(user=erin, amount="1.00", type="income", date=DAY, idempotency_key=key)
    again = services.transaction_create(user=erin, amount="1.00", type="income", date=DAY, idempotency_key=key)
    if key is None:
        assert sequences(erin) == [1, 2, 3]
    else:
        assert again.pk == first.pk
        assert sequences(erin) == [1, 2]


def test_a_create_into_an_archived_account_goes_down_the_sequence_and_is_refused_without_a_change(erin: User) -> None:
    services.ensure_default_account(user=erin)
    other = services.account_create(user=erin, name="Old", kind="cash")
    services.account_update(user=erin, account_id=other.pk, archived=True)
    before = sequences(erin)
    with pytest.raises(ValidationError):
        services.transaction_create(user=erin, amount="1.00", type="income", account_id=other.pk)
    assert sequences(erin) == before


def test_refused_writes_append_nothing(erin: User) -> None:
    txn = services.transaction_create(user=erin, amount="1.00", type="income", date=DAY)
    before = changes_of(erin)
    with pytest.raises(ValidationError):
        services.transaction_create(user=erin, amount="-1", type="income")
    with pytest.raises(ValidationError):
        services.transaction_update(user=erin, transaction_id=txn.pk, amount="nope")
    with pytest.raises(ValidationError):
        services.transaction_delete(user=erin, transaction_id="not-an-id")
    assert changes_of(erin) == before
    assert BalanceVersion.objects.get(user=erin).change_sequence == len(before)


def test_a_rolled_back_write_leaves_no_change_and_its_numbers_are_given_back(erin: User) -> None:
    txn = services.transaction_create(user=erin, amount="1.00", type="income", date=DAY)
    before = changes_of(erin)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.transaction_update(user=erin, transaction_id=txn.pk, description="changed")
        services.transaction_delete(user=erin, transaction_id=txn.pk)
        raise Abort
    assert changes_of(erin) == before
    services.transaction_update(user=erin, transaction_id=txn.pk, description="changed")
    assert sequences(erin) == list(range(1, len(before) + 2))


def test_each_user_has_a_sequence_of_their_own(erin: User) -> None:
    frank = make_user("frank")
    for user in (erin, frank, erin):
        services.transaction_create(user=user, amount="1.00", type="income", date=DAY)
    assert sequences(erin) == [1, 2, 3]  # the default account, then two transactions
    assert sequences(frank) == [1, 2]
    assert Account.objects.filter(user=frank).count() == 1


def test_an_imported_rows_snapshot_is_the_one_of_the_stored_row(erin: User) -> None:
    result = transactions_import(
        user=erin, lines=["date,amount,description,category\n", "2026-03-14,-12.50,lunch,Food\n", "2026-03-15,3,x,\n"]
    )
    assert result.imported == 2
    changes = list(Change.objects.filter(user=erin, entity_type="TRANSACTION").order_by("sequence"))
    assert len(changes) == 2
    for change in changes:
        stored = Transaction.objects.select_related("account").get(pk=change.entity_id)
        assert change.operation == "CREATED"
        assert change.snapshot == snapshot_of(stored)


def test_a_transfer_snapshot_carries_both_currencies(erin: User) -> None:
    main = services.ensure_default_account(user=erin)
    euros = services.account_create(user=erin, name="Euros", kind="cash", currency="EUR")
    transfer = services.transfer_create(
        user=erin, from_account_id=main.pk, to_account_id=euros.pk, amount="10.00", to_amount="9.20", date=DAY
    )
    snapshot = last_change(erin).snapshot
    assert snapshot["id"] == str(transfer.pk)
    assert (snapshot["amount_minor"], snapshot["from_currency"]) == (1000, "USD")
    assert (snapshot["to_amount_minor"], snapshot["to_currency"]) == (920, "EUR")
    assert (snapshot["from_account_id"], snapshot["to_account_id"]) == (str(main.pk), str(euros.pk))


def test_pruning_deletes_a_prefix_of_each_users_log(erin: User) -> None:
    frank = make_user("frank")
    for user in (erin, frank):
        for _ in range(3):
            services.transaction_create(user=user, amount="1.00", type="income", date=DAY)
    long_ago = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    # Erin's change 3 is old but 2 is not (a clock that went back): pruning 3 takes 1 and 2 with it, never a hole.
    Change.objects.filter(user=erin, sequence__in=[1, 3]).update(at=long_ago)
    Change.objects.filter(user=frank, sequence=1).update(at=long_ago)
    assert prune_changes(older_than=long_ago + datetime.timedelta(days=1)) == 4
    assert sequences(erin) == [4]
    assert sequences(frank) == [2, 3, 4]


def test_users_racing_for_their_default_account_log_it_once(erin: User) -> None:
    run_together(lambda: services.ensure_default_account(user=User.objects.get(pk=erin.pk)), 4)
    assert [(kind, op) for _, kind, op, _ in changes_of(erin)] == [("ACCOUNT", "CREATED")]
    assert BalanceVersion.objects.get(user=erin).change_sequence == 1


def test_an_import_logs_every_row_in_a_few_statements(erin: User) -> None:
    rows = 2500  # two batches (ledger.imports.BATCH_SIZE) of more than one INSERT each
    lines = ["date,amount,description\n", *(f"2026-03-14,-1.00,row {i}\n" for i in range(rows))]
    services.ensure_default_account(user=erin)
    with CaptureQueriesContext(connection) as captured:
        assert transactions_import(user=erin, lines=lines).imported == rows
    change_statements = [
        q["sql"] for q in captured.captured_queries if "change_sequence" in q["sql"] or "ledger_change" in q["sql"]
    ]
    # Per batch one allocation and an INSERT per 1,000 rows: 2,000 rows (1 + 2), then 500 (1 + 1).
    assert len(change_statements) == 5
    assert sequences(erin) == list(range(1, rows + 2))
    assert Change.objects.filter(user=erin, entity_type="TRANSACTION", operation="CREATED").count() == rows
