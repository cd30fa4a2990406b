"""Account figures on a cache miss (ledger.selectors.compute_ledger_figures) from the Go aggregator's rollups for clean
months and live sums for dirty ones: exact against a plain-Python book with every month dirty, with clean rollups
(transfer legs included), with stale rollups under dirty marks, and with a write committed between the read of the
dirty set and the sums, and from the real Go binary's output; a clean ledger costs no read of its rows."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from ledger.balance_cache import AccountFigures
from ledger.models import DirtyBucket, MonthlyRollup
from ledger.selectors import compute_ledger_figures, figures
from ledger.services import transaction_update
from tests.conftest import GraphQLClient
from tests.e2e.test_aggregator import aggregator, finish
from tests.schema.test_account_entries import Book, History, poison_dirty_months, write_clean_rollups

pytestmark = pytest.mark.django_db


def expected_figures(book: Book) -> dict[str, AccountFigures]:
    """Each account's figures as the book has them, by id (hex)."""
    expected = {}
    for account, currency in book.currency.items():
        rows = [txn for txn in book.transactions.values() if txn["account"] == account]
        outgoing = [t for t in book.transfers.values() if t["source"] == account]
        incoming = [t for t in book.transfers.values() if t["target"] == account]
        expected[uuid.UUID(account).hex] = AccountFigures(
            currency=currency,
            opening_minor=book.opening[account],
            income_minor=sum(txn["amount"] for txn in rows if txn["type"] == "INCOME"),
            expense_minor=sum(txn["amount"] for txn in rows if txn["type"] == "EXPENSE"),
            transaction_count=len(rows),
            transfer_in_minor=sum(t["to_amount"] for t in incoming),
            transfer_out_minor=sum(t["amount"] for t in outgoing),
            transfer_count=len(incoming) + len(outgoing),
        )
    return expected


def check_figures(user: User, book: Book) -> None:
    computed = compute_ledger_figures(user=user)
    assert computed.accounts == expected_figures(book)
    for account in book.currency:
        assert computed.accounts[uuid.UUID(account).hex].balance_minor == book.balance(account)


@pytest.mark.parametrize("seed", [1, 2])
def test_figures_match_the_book_dirty_clean_and_stale(as_alice: GraphQLClient, alice: User, seed: int) -> None:
    history = History(as_alice, seed)
    history.run(130)
    assert len(history.book.transfers) > 10 and len(history.book.transactions) > 10
    # Every month dirty: everything summed live.
    assert not MonthlyRollup.objects.exists()
    check_figures(alice, history.book)

    # Clean rollups for every month (transfer legs included), no dirty mark.
    write_clean_rollups(alice)
    assert MonthlyRollup.objects.filter(type="transfer_in").exists()
    check_figures(alice, history.book)

    # More writes mark some months dirty again; their rollups are stale (and made absurd): they must be ignored.
    history.play_only_in({"2025-11", "2026-01"})
    history.run(40)
    assert set(DirtyBucket.objects.filter(user=alice).values_list("month", flat=True)) == {"2025-11", "2026-01"}
    assert poison_dirty_months(alice) > 0
    check_figures(alice, history.book)


def test_a_clean_ledger_is_read_from_its_rollups_alone(as_alice: GraphQLClient, alice: User) -> None:
    history = History(as_alice, 4)
    history.run(60)
    write_clean_rollups(alice)
    with CaptureQueriesContext(connection) as captured:
        check_figures(alice, history.book)
    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) == 2  # the dirty set, then one statement
    assert "ledger_monthlyrollup" in statements[1]
    assert "ledger_transaction" not in statements[1] and "ledger_transfer" not in statements[1]


def test_a_write_between_the_dirty_set_and_the_sums_is_counted_once(
    as_alice: GraphQLClient, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A transaction moves from a clean month to a dirty one after the dirty set was read: the clean month's rollups
    # still hold it and the dirty month's rows now hold it too. The statement sees the new mark and the figures are
    # computed again, so it counts once.
    history = History(as_alice, 5)
    history.run(60)
    write_clean_rollups(alice)
    moved_id, moved = next(
        (txn_id, txn) for txn_id, txn in history.book.transactions.items() if txn["date"].strftime("%Y-%m") != "2026-01"
    )
    target_day = moved["date"].replace(year=2026, month=1, day=15)
    DirtyBucket.objects.create(user=alice, month="2026-01", marked_at=timezone.now())
    real = figures._dirty_months
    reads = []

    def read_then_write(user: User) -> set[str]:
        seen = real(user)
        reads.append(seen)
        if len(reads) == 1:
            transaction_update(user=alice, transaction_id=moved_id, date=target_day)
            moved["date"] = target_day
        return seen

    monkeypatch.setattr(figures, "_dirty_months", read_then_write)
    check_figures(alice, history.book)
    assert reads[0] == {"2026-01"} and len(reads) == 2


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_figures_from_the_go_aggregators_rollups_match_the_book(as_alice: GraphQLClient, alice: User) -> None:
    history = History(as_alice, 6)
    history.run(100)
    finish(aggregator("--full"))
    assert not DirtyBucket.objects.exists()
    assert MonthlyRollup.objects.filter(user=alice, type="transfer_out").exists()
    check_figures(alice, history.book)
    # Writes after the run: their months are dirty again, over the aggregator's now stale rollups.
    history.play_only_in({"2025-12"})
    history.run(30)
    assert set(DirtyBucket.objects.values_list("month", flat=True)) == {"2025-12"}
    check_figures(alice, history.book)
    finish(aggregator())  # an incremental run
    assert not DirtyBucket.objects.exists()
    check_figures(alice, history.book)
