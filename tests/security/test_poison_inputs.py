"""Inputs that once broke figures for everyone: the calendar's last month and sums past 64 bits.

The API accepts transaction dates from 1900-01-01 to 2999-12-31, and bounds each user's volume (the sum of all
their amounts) to 10^16 in major units, so no sequence of accepted writes yields a figure that cannot be computed.
Rows that got in before these bounds (written here with the ORM, as old data would be) still answer exactly.
"""

import datetime

import pytest

from accounts.models import User
from ledger.models import Account, BalanceVersion, DirtyBucket, Transaction, Transfer
from ledger.money import MAX_VOLUME_MINOR
from ledger.services import ensure_default_account
from tests.conftest import BALANCE, CREATE, GraphQLClient, create

MONTHLY = "query($from: String!, $to: String!) { monthlySummary(from: $from, to: $to) { month income expense net transactionCount } }"
BREAKDOWN = "query($from: String!, $to: String!) { categoryBreakdown(from: $from, to: $to) { category type total transactionCount } }"
UPDATE = "mutation($id: ID!, $input: UpdateTransactionInput!) { updateTransaction(id: $id, input: $input) { transaction { amount } errors { field code message } } }"
DELETE = "mutation($id: ID!) { deleteTransaction(id: $id) { deletedId errors { code } } }"
IMPORT = "mutation($csv: String!) { importTransactions(csv: $csv) { importedCount errors { field code message } } }"
LARGEST = "999999999999.99"  # the largest single amount: 10^14 - 1 minor units


def _refused(client: GraphQLClient, fields: dict) -> list[dict]:
    payload = client.data(CREATE, {"input": {"amount": "1.00", "type": "EXPENSE", **fields}})["createTransaction"]
    assert payload["transaction"] is None
    return payload["errors"]


@pytest.mark.parametrize("day", ["9999-12-31", "3000-01-01", "1899-12-31", "0001-01-01"])
def test_dates_outside_the_accepted_range_are_refused(as_alice: GraphQLClient, alice: User, day: str) -> None:
    errors = _refused(as_alice, {"date": day})
    assert [(e["field"], e["code"]) for e in errors] == [("date", "INVALID_DATE")]
    assert "1900-01-01 to 2999-12-31" in errors[0]["message"]
    assert not Transaction.objects.filter(user=alice).exists()
    assert not DirtyBucket.objects.filter(user=alice).exists()


def test_the_edges_of_the_range_are_accepted_and_summarised(as_alice: GraphQLClient) -> None:
    create(as_alice, "1.00", date="1900-01-01")
    create(as_alice, "2.00", "INCOME", date="2999-12-31")
    first = as_alice.data(MONTHLY, {"from": "1900-01", "to": "1900-01"})["monthlySummary"]
    last = as_alice.data(MONTHLY, {"from": "2999-12", "to": "2999-12"})["monthlySummary"]
    assert first == [{"month": "1900-01", "income": "0.00", "expense": "1.00", "net": "-1.00", "transactionCount": 1}]
    assert last == [{"month": "2999-12", "income": "2.00", "expense": "0.00", "net": "2.00", "transactionCount": 1}]


def test_an_update_cannot_move_a_transaction_out_of_range(as_alice: GraphQLClient) -> None:
    txn = create(as_alice, "1.00", date="2026-01-01")
    payload = as_alice.data(UPDATE, {"id": txn["id"], "input": {"date": "9999-12-31"}})["updateTransaction"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("date", "INVALID_DATE")]
    assert Transaction.objects.get(pk=txn["id"]).date == datetime.date(2026, 1, 1)


def test_an_import_row_out_of_range_is_a_row_error(as_alice: GraphQLClient, alice: User) -> None:
    csv = "date,amount\n2026-01-01,-1.00\n9999-12-31,-2.00\n"
    payload = as_alice.data(IMPORT, {"csv": csv})["importTransactions"]
    assert [e["code"] for e in payload["errors"]] == ["INVALID_DATE"]
    assert "Row 3" in payload["errors"][0]["message"]
    assert not Transaction.objects.filter(user=alice).exists()


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_analytics_of_the_calendars_edge_months_answer_exactly(
    as_alice: GraphQLClient, alice: User, month: str
) -> None:
    # Rows stored before the range existed: analytics of their (dirty) month must still answer, exactly.
    year, number = (int(part) for part in month.split("-"))
    day = datetime.date(year, number, 31)
    Transaction.objects.create(user=alice, amount_minor=1234, type="expense", category="Old", date=day)
    DirtyBucket.objects.create(user=alice, month=month, marked_at=datetime.datetime.now(datetime.UTC))
    summary = as_alice.data(MONTHLY, {"from": month, "to": month})["monthlySummary"]
    assert summary == [{"month": month, "income": "0.00", "expense": "12.34", "net": "-12.34", "transactionCount": 1}]
    breakdown = as_alice.data(BREAKDOWN, {"from": month, "to": month})["categoryBreakdown"]
    assert breakdown == [{"category": "Old", "type": "EXPENSE", "total": "12.34", "transactionCount": 1}]


def _set_volume(user: User, volume: int) -> None:
    # Reaching the bound through the API takes 10,000 of the largest amounts; the stored volume is what the rule
    # reads, so the tests start near the bound instead.
    BalanceVersion.objects.update_or_create(user=user, defaults={"volume_minor": volume})


def test_a_create_past_the_volume_bound_is_refused_and_writes_nothing(as_alice: GraphQLClient, alice: User) -> None:
    _set_volume(alice, MAX_VOLUME_MINOR - 100)
    version = BalanceVersion.objects.get(user=alice).version
    errors = _refused(as_alice, {"amount": "1.01"})
    assert [(e["field"], e["code"]) for e in errors] == [("amount", "VOLUME_LIMIT_EXCEEDED")]
    assert "10000000000000000.00" in errors[0]["message"]
    assert BalanceVersion.objects.get(user=alice).version == version
    assert BalanceVersion.objects.get(user=alice).volume_minor == MAX_VOLUME_MINOR - 100
    assert not Transaction.objects.filter(user=alice).exists()
    create(as_alice, "1.00")  # exactly up to the bound is fine
    assert BalanceVersion.objects.get(user=alice).volume_minor == MAX_VOLUME_MINOR


def test_volume_follows_creates_updates_and_deletes(as_alice: GraphQLClient, alice: User) -> None:
    first = create(as_alice, "10.00")
    second = create(as_alice, "5.25", "INCOME")
    as_alice.data(UPDATE, {"id": first["id"], "input": {"amount": "12.00"}})
    as_alice.data(DELETE, {"id": second["id"]})
    as_alice.data(IMPORT, {"csv": "date,amount\n2026-01-01,-0.50\n2026-01-02,3.00\n"})
    assert BalanceVersion.objects.get(user=alice).volume_minor == 1200 + 50 + 300
    assert BalanceVersion.objects.get(user=alice).volume_minor == sum(
        Transaction.objects.filter(user=alice).values_list("amount_minor", flat=True)
    )


def test_an_update_past_the_bound_is_refused_and_a_delete_makes_room(as_alice: GraphQLClient, alice: User) -> None:
    txn = create(as_alice, "1.00")
    _set_volume(alice, MAX_VOLUME_MINOR)
    payload = as_alice.data(UPDATE, {"id": txn["id"], "input": {"amount": "2.00"}})["updateTransaction"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("amount", "VOLUME_LIMIT_EXCEEDED")]
    assert Transaction.objects.get(pk=txn["id"]).amount_minor == 100
    as_alice.data(UPDATE, {"id": txn["id"], "input": {"amount": "0.50"}})  # lowering is always allowed
    as_alice.data(DELETE, {"id": txn["id"]})
    assert BalanceVersion.objects.get(user=alice).volume_minor == MAX_VOLUME_MINOR - 100
    create(as_alice, "1.00")


def test_an_import_past_the_bound_is_refused_whole(as_alice: GraphQLClient, alice: User) -> None:
    # The reported attack: rows of the largest amount until one bucket would hold more than int64.
    _set_volume(alice, MAX_VOLUME_MINOR - 10**14)
    csv = "date,amount\n" + "".join(f"2026-01-01,-{LARGEST}\n" for _ in range(2))
    payload = as_alice.data(IMPORT, {"csv": csv})["importTransactions"]
    assert payload["importedCount"] == 0
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("csv", "VOLUME_LIMIT_EXCEEDED")]
    assert not Transaction.objects.filter(user=alice).exists()
    assert BalanceVersion.objects.get(user=alice).volume_minor == MAX_VOLUME_MINOR - 10**14


def test_figures_at_the_bound_are_exact(as_alice: GraphQLClient, alice: User) -> None:
    # 10^4 rows of the largest amount approach the bound; every figure over them must stay exact (SQLite's SUM
    # raises on int64 overflow, so an unbounded ledger would answer "Internal server error." here).
    rows = 10_000
    main = ensure_default_account(user=alice)
    Transaction.objects.bulk_create(
        Transaction(
            user=alice,
            account=main,
            amount_minor=10**14 - 1,
            type="expense",
            category="Big",
            category_key="big",
            date=datetime.date(2026, 1, 1),
        )
        for _ in range(rows)
    )
    _set_volume(alice, rows * (10**14 - 1))
    DirtyBucket.objects.create(user=alice, month="2026-01", marked_at=datetime.datetime.now(datetime.UTC))
    expense = f"{rows * (10**14 - 1) // 100}.{rows * (10**14 - 1) % 100:02d}"
    balance = as_alice.data(BALANCE)["balance"]
    assert (balance["expense"], balance["total"], balance["transactionCount"]) == (expense, f"-{expense}", rows)
    summary = as_alice.data(MONTHLY, {"from": "2026-01", "to": "2026-01"})["monthlySummary"]
    assert summary[0]["expense"] == expense
    errors = _refused(as_alice, {"amount": LARGEST})
    assert [e["code"] for e in errors] == ["VOLUME_LIMIT_EXCEEDED"]


def _delete_one_of_two_rows_past_the_bound(as_alice: GraphQLClient, alice: User) -> None:
    """Two rows of 9e18 stored before the bound (their sum does not fit int64, so migration 0003 clamped the volume
    at int64's end), then one of them deleted through the API."""
    main = ensure_default_account(user=alice)
    rows = Transaction.objects.bulk_create(
        Transaction(
            user=alice, account=main, amount_minor=amount, type="income", category="Old", category_key="old", date=day
        )
        for amount, day in ((9 * 10**18, datetime.date(2020, 1, 1)), (9 * 10**18, datetime.date(2020, 2, 1)))
    )
    _set_volume(alice, 2**63 - 1)
    delete = "mutation($id: ID!) { deleteTransaction(id: $id) { deletedId errors { code } } }"
    assert as_alice.data(delete, {"id": str(rows[0].pk)})["deleteTransaction"]["errors"] == []


def test_a_volume_clamped_by_the_migration_is_recounted_on_delete(as_alice: GraphQLClient, alice: User) -> None:
    # Rows stored before the bound: their true sum did not fit int64, so migration 0003 clamped the volume there.
    # Subtracting from the clamp would drift below the truth and let writes through again; a delete recounts.
    _delete_one_of_two_rows_past_the_bound(as_alice, alice)
    # Subtracting 9e18 from the clamp would leave 2.2e17, under the bound; the true remaining sum is 9e18.
    assert BalanceVersion.objects.get(user=alice).volume_minor == 9 * 10**18
    assert [e["code"] for e in _refused(as_alice, {"amount": "1.00"})] == ["VOLUME_LIMIT_EXCEEDED"]


def test_figures_of_rows_stored_past_int64_are_still_exact(as_alice: GraphQLClient, alice: User) -> None:
    # Rows from before the volume bound whose sums leave int64 (SQLite's SUM raises there): summed in Python.
    main = ensure_default_account(user=alice)
    Transaction.objects.bulk_create(
        Transaction(
            user=alice,
            account=main,
            amount_minor=9 * 10**18,
            type="income",
            category="Old",
            category_key="old",
            date=day,
        )
        for day in (datetime.date(2020, 1, 1), datetime.date(2020, 1, 2))
    )
    DirtyBucket.objects.create(user=alice, month="2020-01", marked_at=datetime.datetime.now(datetime.UTC))
    balance = as_alice.data(BALANCE)["balance"]
    assert (balance["income"], balance["total"], balance["transactionCount"]) == (
        "180000000000000000.00",
        "180000000000000000.00",
        2,
    )
    summary = as_alice.data(MONTHLY, {"from": "2020-01", "to": "2020-01"})["monthlySummary"]
    assert summary[0]["income"] == "180000000000000000.00"
    breakdown = as_alice.data(BREAKDOWN, {"from": "2020-01", "to": "2020-01"})["categoryBreakdown"]
    assert breakdown == [{"category": "Old", "type": "INCOME", "total": "180000000000000000.00", "transactionCount": 2}]


def test_a_recounted_volume_counts_transfers_and_opening_balances(as_alice: GraphQLClient, alice: User) -> None:
    main = ensure_default_account(user=alice)
    card = Account.objects.create(
        user=alice, name="Card", kind="credit_card", currency="USD", opening_balance_minor=-500
    )
    Transfer.objects.create(
        user=alice,
        from_account=main,
        to_account=card,
        amount_minor=300,
        to_amount_minor=300,
        date=datetime.date(2020, 3, 1),
    )
    _delete_one_of_two_rows_past_the_bound(as_alice, alice)
    # The remaining transaction, both legs of the transfer, and the card's opening balance by size.
    assert BalanceVersion.objects.get(user=alice).volume_minor == 9 * 10**18 + 300 + 300 + 500
