"""Ledger account figures and bookkeeping at the service and selector level (HackSoft style: straight to the
database): the dirty-set read and one statement per cache miss, exact sums past int64 for rows stored before the volume bound, the volume
kept by account and transfer writes, and a user's deletion through RESTRICT foreign keys."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from ledger import selectors, services
from ledger.models import Account, BalanceVersion, DirtyBucket, MonthlyRollup, Transaction, Transfer
from ledger.selectors.figures import compute_ledger_figures
from ledger.services import bookkeeping, transactions, transfers
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 1, 15)


@pytest.fixture
def user() -> User:
    return make_user("dora")


def volume_of(user: User) -> int:
    return BalanceVersion.objects.get(user=user).volume_minor


def test_the_dirty_set_and_one_statement_compute_every_account_of_a_user(user: User, django_assert_num_queries) -> None:
    main = services.ensure_default_account(user=user)
    euros = services.account_create(user=user, name="Euros", kind="savings", currency="EUR", opening_balance="-3.10")
    services.account_create(user=user, name="Empty", kind="cash", currency="JPY")
    services.transaction_create(user=user, amount="10.00", type="income", date=DAY)
    services.transaction_create(user=user, amount="2.50", type="expense", date=DAY, account_id=euros.pk)
    services.transfer_create(
        user=user, from_account_id=main.pk, to_account_id=euros.pk, amount="4.00", to_amount="3.70", date=DAY
    )
    # The dirty-set read, then one statement for every account (clean months from rollups, dirty ones live).
    with django_assert_num_queries(2):
        figures = compute_ledger_figures(user=user)
    balances = {account_id: f.balance_minor for account_id, f in figures.accounts.items()}
    expected = {a.pk.hex: a.opening_balance_minor for a in Account.objects.filter(user=user)}
    expected[main.pk.hex] += 1000 - 400
    expected[euros.pk.hex] += -250 + 370
    assert balances == expected == {main.pk.hex: 600, euros.pk.hex: -190, Account.objects.get(name="Empty").pk.hex: 0}
    assert figures.default_currency == "USD"
    assert figures.net_worth() == {"EUR": -190, "JPY": 0, "USD": 600}
    assert figures.balance("EUR").expense_minor == 250


def test_sums_past_int64_are_exact(user: User) -> None:
    # Rows stored before the volume bound existed may add up past int64 (SQLite's SUM then raises; the figures are
    # summed in Python instead). Written with the ORM, as such rows were; the API that wrote them marked their month
    # dirty, and the aggregator cannot sum them either, so the month stays dirty.
    main = services.ensure_default_account(user=user)
    bookkeeping.mark_buckets_dirty(user.pk, [DAY])
    other = Account.objects.create(user=user, name="Other", kind="cash", currency="USD")
    big = 2**62 + 1
    for _ in range(3):
        Transaction.objects.create(user=user, account=main, amount_minor=big, type="income", date=DAY)
    Transaction.objects.create(user=user, account=main, amount_minor=5, type="expense", date=DAY)
    for _ in range(2):
        Transfer.objects.create(
            user=user, from_account=main, to_account=other, amount_minor=big, to_amount_minor=big, date=DAY
        )
    figures = selectors.compute_ledger_figures(user=user)
    assert figures.accounts[main.pk.hex].balance_minor == 3 * big - 5 - 2 * big
    assert figures.accounts[other.pk.hex].balance_minor == 2 * big
    assert figures.accounts[main.pk.hex].transaction_count == 4
    assert figures.accounts[other.pk.hex].transfer_count == 2
    assert figures.balance("USD").income_minor == 3 * big
    assert figures.net_worth() == {"USD": 3 * big - 5}


def test_the_volume_follows_accounts_and_transfers(user: User) -> None:
    main = services.ensure_default_account(user=user)
    card = services.account_create(user=user, name="Card", kind="credit_card", opening_balance="-12.00")
    assert volume_of(user) == 1200
    retried = services.account_create(
        user=user, name="Yen", kind="cash", currency="JPY", opening_balance="500", idempotency_key="k"
    )
    services.account_create(
        user=user, name="Yen", kind="cash", currency="JPY", opening_balance="500", idempotency_key="k"
    )
    assert volume_of(user) == 1700  # the retry adds nothing
    services.account_update(user=user, account_id=card.pk, opening_balance="3.00")
    assert volume_of(user) == 300 + 500
    transfer = services.transfer_create(
        user=user, from_account_id=retried.pk, to_account_id=main.pk, amount="100", to_amount="0.65", date=DAY
    )
    assert volume_of(user) == 800 + 100 + 65
    services.transfer_update(user=user, transfer_id=transfer.pk, to_amount="0.70")
    assert volume_of(user) == 800 + 100 + 70
    services.transfer_delete(user=user, transfer_id=transfer.pk)
    services.account_delete(user=user, account_id=retried.pk)
    assert volume_of(user) == 300


def test_deleting_a_user_deletes_their_ledger_and_nothing_else(user: User) -> None:
    bystander = make_user("bystander")
    for owner in (user, bystander):
        main = services.ensure_default_account(user=owner)
        savings = services.account_create(user=owner, name="Savings", kind="savings")
        services.transaction_create(user=owner, amount="1.00", type="income", date=DAY, account_id=savings.pk)
        services.transfer_create(user=owner, from_account_id=savings.pk, to_account_id=main.pk, amount="1.00", date=DAY)
        MonthlyRollup.objects.create(
            user=owner,
            account=main,
            month="2026-01",
            category="",
            type="transfer_in",
            total_minor=100,
            transaction_count=1,
        )
    user.delete()
    for model in (Account, Transaction, Transfer, MonthlyRollup):
        assert set(model.objects.values_list("user_id", flat=True)) == {bystander.pk}, model


# --- an account changed between a create's first read and its write ---------------------------------------------


def _between_read_and_write(monkeypatch: pytest.MonkeyPatch, module: object, change: object) -> None:
    """Run `change` right after the service's first read of its accounts, as if another request committed it then."""
    real = bookkeeping.account_for_write
    calls = []

    def read_then_change(*args: object, **kwargs: object) -> object:
        seen = real(*args, **kwargs)
        calls.append(seen)
        if len(calls) == (2 if module is transfers else 1):
            change()
        return seen

    monkeypatch.setattr(module, "account_for_write", read_then_change)


def _change(user: User, account: Account, change: str) -> tuple[object, str]:
    """The change another request makes, and the code the racing create must answer."""
    if change == "archive":
        return (lambda: services.account_update(user=user, account_id=account.pk, archived=True)), "ACCOUNT_ARCHIVED"
    return (lambda: services.account_delete(user=user, account_id=account.pk)), "NOT_FOUND"


@pytest.mark.parametrize("change", ["archive", "delete"])
def test_a_transaction_into_an_account_changed_after_it_was_read_is_refused(
    user: User, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    services.ensure_default_account(user=user)
    cash = services.account_create(user=user, name="Cash", kind="cash")
    act, code = _change(user, cash, change)
    _between_read_and_write(monkeypatch, transactions, act)
    with pytest.raises(ValidationError) as refused:
        services.transaction_create(user=user, amount="1.00", type="expense", date=DAY, account_id=cash.pk)
    assert [(field, [e.code for e in errors]) for field, errors in refused.value.error_dict.items()] == [
        ("account_id", [code])
    ]
    assert not Transaction.objects.exists()
    assert not DirtyBucket.objects.exists()


@pytest.mark.parametrize("change", ["archive", "delete"])
def test_a_transfer_into_an_account_changed_after_it_was_read_is_refused(
    user: User, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    main = services.ensure_default_account(user=user)
    cash = services.account_create(user=user, name="Cash", kind="cash")
    act, code = _change(user, cash, change)
    _between_read_and_write(monkeypatch, transfers, act)
    with pytest.raises(ValidationError) as refused:
        services.transfer_create(user=user, from_account_id=main.pk, to_account_id=cash.pk, amount="1.00", date=DAY)
    assert [(field, [e.code for e in errors]) for field, errors in refused.value.error_dict.items()] == [
        ("to_account_id", [code])
    ]
    assert not Transfer.objects.exists()
    assert not DirtyBucket.objects.exists()
