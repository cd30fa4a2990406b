"""Account registers (`Account.entries`): running balances on random histories of creates, updates, deletes and
transfers over several accounts in two currencies, checked page by page against a plain-Python book kept from the
operations this test issued (never read back from the database), with every month dirty, with clean rollups, and
with stale rollups under dirty marks."""

import datetime
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_redis import get_redis_connection

from accounts.models import User
from ledger.models import BalanceVersion, DirtyBucket, MonthlyRollup, Transaction, Transfer
from tests.conftest import GraphQLClient, create
from tests.schema.test_accounts import UPDATE_ACCOUNT, default_account_of, make_transfer, open_account
from tests.schema.test_transfers import BREAKDOWN, DELETE_TRANSFER, MONTHLY, UPDATE_TRANSFER

ENTRIES = """
query Entries($id: ID!, $first: Int, $after: String) {
  account(id: $id) {
    balance
    entries(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges {
        cursor
        node {
          id date kind amount description category runningBalance
          transaction { id amount }
          transfer { id amount toAmount }
        }
      }
    }
  }
}
"""
UPDATE_TRANSACTION = """
mutation Update($id: ID!, $input: UpdateTransactionInput!) {
  updateTransaction(id: $id, input: $input) { transaction { id } errors { field code } }
}
"""
DELETE_TRANSACTION = "mutation($id: ID!) { deleteTransaction(id: $id) { deletedId errors { code } } }"

DIGITS = {"USD": 2, "JPY": 0}
PAGE_SIZE = 7


def shown(minor: int, currency: str) -> str:
    """Minor units as the API must show them, written out here rather than taken from ledger.money."""
    digits = DIGITS[currency]
    whole, fraction = divmod(abs(minor), 10**digits)
    text = f"{whole}.{fraction:0{digits}d}" if digits else str(whole)
    return f"-{text}" if minor < 0 else text


@dataclass
class Book:
    """What the ledger must hold, kept from the operations issued."""

    currency: dict[str, str] = field(default_factory=dict)  # account id -> code
    opening: dict[str, int] = field(default_factory=dict)
    transactions: dict[str, dict] = field(default_factory=dict)
    transfers: dict[str, dict] = field(default_factory=dict)

    def register(self, account: str) -> list[dict]:
        """The account's entries newest first, each with the balance right after it: the opening balance plus every
        entry up to it in (date, id) order."""
        rows = []
        for txn_id, txn in self.transactions.items():
            if txn["account"] == account:
                sign = 1 if txn["type"] == "INCOME" else -1
                rows.append((txn["date"], txn_id, txn_id, txn["type"], sign * txn["amount"], txn))
        for transfer_id, transfer in self.transfers.items():
            if transfer["source"] == account:
                rows.append(
                    (transfer["date"], transfer_id, f"{transfer_id}:out", "TRANSFER_OUT", -transfer["amount"], transfer)
                )
            if transfer["target"] == account:
                rows.append(
                    (transfer["date"], transfer_id, f"{transfer_id}:in", "TRANSFER_IN", transfer["to_amount"], transfer)
                )
        rows.sort(key=lambda row: (row[0], uuid.UUID(row[1])))
        currency, running, entries = self.currency[account], self.opening[account], []
        for day, row_id, entry_id, kind, amount, source in rows:
            running += amount
            is_transfer = kind.startswith("TRANSFER")
            entries.append(
                {
                    "id": entry_id,
                    "date": day.isoformat(),
                    "kind": kind,
                    "amount": shown(amount, currency),
                    "description": source["description"],
                    "category": None if is_transfer else source["category"],
                    "runningBalance": shown(running, currency),
                    "transaction": None if is_transfer else {"id": row_id, "amount": shown(source["amount"], currency)},
                    "transfer": None
                    if not is_transfer
                    else {
                        "id": row_id,
                        "amount": shown(source["amount"], self.currency[source["source"]]),
                        "toAmount": shown(source["to_amount"], self.currency[source["target"]]),
                    },
                }
            )
        return entries[::-1]

    def balance(self, account: str) -> int:
        total = self.opening[account]
        for txn in self.transactions.values():
            if txn["account"] == account:
                total += txn["amount"] if txn["type"] == "INCOME" else -txn["amount"]
        for transfer in self.transfers.values():
            total -= transfer["amount"] if transfer["source"] == account else 0
            total += transfer["to_amount"] if transfer["target"] == account else 0
        return total

    def volume(self) -> int:
        """What ledger.models.BalanceVersion.volume_minor must hold: every amount written, in minor units."""
        return (
            sum(abs(opening) for opening in self.opening.values())
            + sum(txn["amount"] for txn in self.transactions.values())
            + sum(transfer["amount"] + transfer["to_amount"] for transfer in self.transfers.values())
        )

    def months(self, accounts: list[str]) -> dict[str, list[int]]:
        """Income, expense and count per month of these accounts' transactions (transfers never count)."""
        months: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for txn in self.transactions.values():
            if txn["account"] in accounts:
                figures = months[txn["date"].strftime("%Y-%m")]
                figures[0 if txn["type"] == "INCOME" else 1] += txn["amount"]
                figures[2] += 1
        return months

    def categories(self, accounts: list[str]) -> list[tuple[str, str, int, int]]:
        """(category, type, total, count) of these accounts' transactions, largest total first."""
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for txn in self.transactions.values():
            if txn["account"] in accounts:
                entry = sums[(txn["category"], txn["type"])]
                entry[0] += txn["amount"]
                entry[1] += 1
        rows = [(category, kind, total, count) for (category, kind), (total, count) in sums.items()]
        return sorted(rows, key=lambda row: (-row[2], row[0], row[1]))


class History:
    """Random writes through the API, each recorded in the book as the API was asked to make it."""

    FIRST_DAY = datetime.date(2025, 10, 1)

    def __init__(self, client: GraphQLClient, seed: int) -> None:
        self.client, self.rng, self.book = client, random.Random(seed), Book()
        # Few distinct days, so many entries share a date and the id decides their order.
        self.days = sorted({self.FIRST_DAY + datetime.timedelta(days=self.rng.randrange(182)) for _ in range(45)})
        self.days_in_play = self.days
        main = default_account_of(client)
        self._add(main["id"], "USD", 0)
        for name, currency, opening in (
            ("Savings", "USD", "1500.00"),
            ("Card", "USD", "-250.75"),
            ("Wallet", "JPY", "12000"),
            ("Bank", "JPY", "-300"),
        ):
            account = open_account(client, name, currency, openingBalance=opening)
            self._add(account["id"], currency, int(opening.replace(".", "")))
        self.accounts = list(self.book.currency)

    def _add(self, account: str, currency: str, opening: int) -> None:
        self.book.currency[account], self.book.opening[account] = currency, opening

    def run(self, operations: int) -> None:
        choices = [
            (self.create_transaction, 30),
            (self.update_transaction, 15),
            (self.delete_transaction, 7),
            (self.create_transfer, 25),
            (self.update_transfer, 12),
            (self.delete_transfer, 6),
            (self.change_opening_balance, 3),
        ]
        actions, weights = zip(*choices, strict=True)
        for _ in range(operations):
            self.rng.choices(actions, weights)[0]()

    # -- the operations ------------------------------------------------------------------------------------------

    def _amount(self) -> int:
        return self.rng.choice([1, 5, 99, 100, 1234, self.rng.randrange(1, 90_000)])

    def _day(self) -> datetime.date:
        return self.rng.choice(self.days_in_play)

    def play_only_in(self, months: set[str]) -> None:
        """From now on, write only on days of these months and touch only rows dated in them, so every other month
        keeps its rollups clean."""
        self.days_in_play = [day for day in self.days if day.strftime("%Y-%m") in months]

    def _in_play(self, rows: dict[str, dict]) -> list[str]:
        days = set(self.days_in_play)
        return sorted(row_id for row_id, row in rows.items() if row["date"] in days)

    def _same_currency(self, account: str) -> list[str]:
        return [a for a in self.accounts if self.book.currency[a] == self.book.currency[account]]

    def create_transaction(self) -> None:
        account = self.rng.choice(self.accounts)
        currency = self.book.currency[account]
        txn = {
            "account": account,
            "type": self.rng.choice(["INCOME", "EXPENSE"]),
            "amount": self._amount(),
            "date": self._day(),
            "description": f"t{len(self.book.transactions)}",
            "category": self.rng.choice(["Food", "Rent", "Salary", "Fun"]),
        }
        created = create(
            self.client,
            shown(txn["amount"], currency),
            txn["type"],
            accountId=account,
            date=txn["date"].isoformat(),
            description=txn["description"],
            category=txn["category"],
        )
        self.book.transactions[created["id"]] = txn

    def update_transaction(self) -> None:
        candidates = self._in_play(self.book.transactions)
        if not candidates:
            return
        txn_id = self.rng.choice(candidates)
        txn = self.book.transactions[txn_id]
        changes: dict[str, object] = {}
        if self.rng.random() < 0.5:
            txn["account"] = self.rng.choice(self._same_currency(txn["account"]))
            changes["accountId"] = txn["account"]
        if self.rng.random() < 0.5:
            txn["amount"] = self._amount()
            changes["amount"] = shown(txn["amount"], self.book.currency[txn["account"]])
        if self.rng.random() < 0.5:
            txn["date"] = self._day()
            changes["date"] = txn["date"].isoformat()
        if self.rng.random() < 0.3:
            txn["type"] = "INCOME" if txn["type"] == "EXPENSE" else "EXPENSE"
            changes["type"] = txn["type"]
        if self.rng.random() < 0.2:
            txn["description"] += "*"
            changes["description"] = txn["description"]
        payload = self.client.data(UPDATE_TRANSACTION, {"id": txn_id, "input": changes})["updateTransaction"]
        assert payload["errors"] == [], (changes, payload["errors"])

    def delete_transaction(self) -> None:
        self._delete(self.book.transactions, DELETE_TRANSACTION, "deleteTransaction")

    def delete_transfer(self) -> None:
        self._delete(self.book.transfers, DELETE_TRANSFER, "deleteTransfer")

    def _delete(self, rows: dict[str, dict], mutation: str, key: str) -> None:
        candidates = self._in_play(rows)
        if candidates:
            row_id = self.rng.choice(candidates)
            del rows[row_id]
            assert self.client.data(mutation, {"id": row_id})[key]["errors"] == []

    def create_transfer(self) -> None:
        source, target = self.rng.sample(self.accounts, 2)
        amount = self._amount()
        cross = self.book.currency[source] != self.book.currency[target]
        to_amount = self._amount() if cross else amount
        fields: dict[str, object] = {"date": self._day().isoformat(), "description": f"x{len(self.book.transfers)}"}
        if cross or self.rng.random() < 0.3:
            fields["toAmount"] = shown(to_amount, self.book.currency[target])
        transfer = make_transfer(self.client, source, target, shown(amount, self.book.currency[source]), **fields)
        self.book.transfers[transfer["id"]] = {
            "source": source,
            "target": target,
            "amount": amount,
            "to_amount": to_amount,
            "date": datetime.date.fromisoformat(fields["date"]),
            "description": fields["description"],
        }

    def update_transfer(self) -> None:
        candidates = self._in_play(self.book.transfers)
        if not candidates:
            return
        transfer_id = self.rng.choice(candidates)
        transfer = self.book.transfers[transfer_id]
        source_currency, target_currency = (
            self.book.currency[transfer["source"]],
            self.book.currency[transfer["target"]],
        )
        changes: dict[str, object] = {}
        if self.rng.random() < 0.6:
            transfer["amount"] = self._amount()
            changes["amount"] = shown(transfer["amount"], source_currency)
            if source_currency == target_currency:
                transfer["to_amount"] = transfer["amount"]  # one currency: the amounts stay equal
        if source_currency != target_currency and self.rng.random() < 0.6:
            transfer["to_amount"] = self._amount()
            changes["toAmount"] = shown(transfer["to_amount"], target_currency)
        if self.rng.random() < 0.5:
            transfer["date"] = self._day()
            changes["date"] = transfer["date"].isoformat()
        payload = self.client.data(UPDATE_TRANSFER, {"id": transfer_id, "input": changes})["updateTransfer"]
        assert payload["errors"] == [], (changes, payload["errors"])

    def change_opening_balance(self) -> None:
        account = self.rng.choice(self.accounts)
        opening = self.rng.randrange(-500_000, 500_000)
        self.book.opening[account] = opening
        variables = {"id": account, "input": {"openingBalance": shown(opening, self.book.currency[account])}}
        assert self.client.data(UPDATE_ACCOUNT, variables)["updateAccount"]["errors"] == []


# --- checks -------------------------------------------------------------------------------------------------------


def walk_register(client: GraphQLClient, account: str, page_size: int = PAGE_SIZE) -> tuple[str, list[dict]]:
    """Every page of the account's register in turn; returns its balance and the entries of all pages. Checks each
    page's own promises (size, cursors, page info, total count) on the way."""
    expected_count = None
    after, nodes, balance = None, [], None
    while True:
        account_data = client.data(ENTRIES, {"id": account, "first": page_size, "after": after})["account"]
        balance = account_data["balance"] if balance is None else balance
        assert account_data["balance"] == balance
        page = account_data["entries"]
        expected_count = page["totalCount"] if expected_count is None else expected_count
        assert page["totalCount"] == expected_count  # the same on every page
        edges, info = page["edges"], page["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        assert len(edges) <= page_size
        if edges:
            assert (info["startCursor"], info["endCursor"]) == (edges[0]["cursor"], edges[-1]["cursor"])
        nodes.extend(edge["node"] for edge in edges)
        if not info["hasNextPage"]:
            break
        assert len(edges) == page_size
        after = info["endCursor"]
    assert expected_count == len(nodes)
    return balance, nodes


def check_registers(client: GraphQLClient, book: Book) -> None:
    for account in book.currency:
        balance, nodes = walk_register(client, account)
        expected = book.register(account)
        assert [node["id"] for node in nodes] == [entry["id"] for entry in expected]
        for node, entry in zip(nodes, expected, strict=True):
            assert node == entry
        assert balance == shown(book.balance(account), book.currency[account])
        if nodes:
            assert balance == nodes[0]["runningBalance"]


def check_analytics(client: GraphQLClient, book: Book) -> None:
    """monthlySummary and categoryBreakdown per currency and per account, against the book (transfers never
    count, whatever rollups they have)."""
    scopes = [({"currency": code}, [a for a in book.currency if book.currency[a] == code]) for code in DIGITS]
    scopes += [({"accountId": account}, [account]) for account in book.currency]
    for scope, accounts in scopes:
        currency = book.currency[accounts[0]]
        expected = book.months(accounts)
        answer = client.data(MONTHLY, {"from": "2025-10", "to": "2026-03", **scope})["monthlySummary"]
        assert [month["month"] for month in answer] == [
            "2025-10",
            "2025-11",
            "2025-12",
            "2026-01",
            "2026-02",
            "2026-03",
        ]
        for month in answer:
            income, expense, count = expected.get(month["month"], [0, 0, 0])
            assert (month["income"], month["expense"], month["net"], month["transactionCount"]) == (
                shown(income, currency),
                shown(expense, currency),
                shown(income - expense, currency),
                count,
            ), (scope, month["month"])
        breakdown = client.data(BREAKDOWN, {"from": "2025-10", "to": "2026-03", **scope})["categoryBreakdown"]
        assert [(row["category"], row["type"], row["total"], row["transactionCount"]) for row in breakdown] == [
            (category, kind, shown(total, currency), count)
            for category, kind, total, count in book.categories(accounts)
        ], scope


def write_clean_rollups(user: User) -> None:
    """What the Go aggregator would write, computed here from the stored rows: totals per (account, month, category
    key, type), transfer legs as transfer_out / transfer_in with category "", and no dirty marks left."""
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for txn in Transaction.objects.filter(user=user):
        bucket = totals[(txn.account_id, txn.date.strftime("%Y-%m"), txn.category_key, txn.type)]
        bucket[0] += txn.amount_minor
        bucket[1] += 1
    for transfer in Transfer.objects.filter(user=user):
        month = transfer.date.strftime("%Y-%m")
        for account_id, kind, amount in (
            (transfer.from_account_id, "transfer_out", transfer.amount_minor),
            (transfer.to_account_id, "transfer_in", transfer.to_amount_minor),
        ):
            bucket = totals[(account_id, month, "", kind)]
            bucket[0] += amount
            bucket[1] += 1
    MonthlyRollup.objects.filter(user=user).delete()
    MonthlyRollup.objects.bulk_create(
        MonthlyRollup(
            user=user,
            account_id=account_id,
            month=month,
            category=key,
            type=kind,
            total_minor=total,
            transaction_count=count,
        )
        for (account_id, month, key, kind), (total, count) in totals.items()
    )
    DirtyBucket.objects.filter(user=user).delete()
    # Analytics answers are cached under the balance version, which the aggregator (simulated here) never bumps: the
    # cached answer would be as exact, but these tests are about reading the rollups.
    get_redis_connection("default").flushdb()


def poison_dirty_months(user: User) -> int:
    """Make every rollup of a dirty month wildly wrong (it is stale anyway): the register must not read it."""
    dirty = list(DirtyBucket.objects.filter(user=user).values_list("month", flat=True))
    stale = MonthlyRollup.objects.filter(user=user, month__in=dirty)
    poisoned = 0
    for rollup in stale:
        rollup.total_minor += 7_000_000
        rollup.transaction_count += 3
        rollup.save(update_fields=["total_minor", "transaction_count"])
        poisoned += 1
    get_redis_connection("default").flushdb()  # see write_clean_rollups
    return poisoned


# --- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_running_balances_match_the_book_dirty_clean_and_stale(as_alice: GraphQLClient, alice: User, seed: int) -> None:
    history = History(as_alice, seed)
    history.run(130)
    assert len(history.book.transfers) > 10 and len(history.book.transactions) > 10
    # Every month dirty: nothing comes from rollups.
    assert not MonthlyRollup.objects.exists()
    check_registers(as_alice, history.book)
    check_analytics(as_alice, history.book)
    assert BalanceVersion.objects.get(user=alice).volume_minor == history.book.volume()

    # Clean rollups for every month, no dirty mark: months before each page come from the rollups.
    write_clean_rollups(alice)
    check_registers(as_alice, history.book)
    check_analytics(as_alice, history.book)
    assert BalanceVersion.objects.get(user=alice).volume_minor == history.book.volume()

    # More writes mark some months dirty again; their rollups are stale (and made absurd): they must be ignored.
    history.play_only_in({"2025-11", "2026-01"})
    history.run(40)
    assert set(DirtyBucket.objects.filter(user=alice).values_list("month", flat=True)) == {"2025-11", "2026-01"}
    assert poison_dirty_months(alice) > 0
    check_registers(as_alice, history.book)
    check_analytics(as_alice, history.book)
    assert BalanceVersion.objects.get(user=alice).volume_minor == history.book.volume()


def test_a_page_size_of_one_and_the_maximum_agree(as_alice: GraphQLClient) -> None:
    history = History(as_alice, 3)
    history.run(30)
    savings = history.accounts[1]
    expected = history.book.register(savings)
    for size in (1, 500):
        _, nodes = walk_register(as_alice, savings, page_size=size)
        assert nodes == expected


def test_an_accounts_balance_is_the_running_balance_of_its_newest_entry(as_alice: GraphQLClient) -> None:
    main = default_account_of(as_alice)
    card = open_account(as_alice, "Card", kind="CREDIT_CARD", openingBalance="-100.00")
    create(as_alice, "40.00", accountId=card["id"], date="2026-01-02")
    make_transfer(as_alice, main["id"], card["id"], "25.50", date="2026-01-03")
    create(as_alice, "0.01", "INCOME", accountId=card["id"], date="2025-12-31")
    account = as_alice.data(ENTRIES, {"id": card["id"], "first": 1})["account"]
    newest = account["entries"]["edges"][0]["node"]
    assert (newest["kind"], newest["amount"], newest["runningBalance"]) == ("TRANSFER_IN", "25.50", "-114.49")
    assert account["balance"] == newest["runningBalance"]
    assert account["entries"]["totalCount"] == 3
    main_entries = as_alice.data(ENTRIES, {"id": main["id"], "first": 5})["account"]
    assert main_entries["balance"] == main_entries["entries"]["edges"][0]["node"]["runningBalance"] == "-25.50"


def test_an_account_without_entries_has_an_empty_register(as_alice: GraphQLClient) -> None:
    empty = open_account(as_alice, "Empty", "JPY", openingBalance="-7")
    account = as_alice.data(ENTRIES, {"id": empty["id"], "first": 3})["account"]
    assert account["balance"] == "-7"
    assert account["entries"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
        "edges": [],
    }


def test_clean_months_before_the_page_come_from_the_rollups(as_alice: GraphQLClient, alice: User) -> None:
    # The register's design: a clean month before the page is read from its rollup, not rescanned. The January
    # rollup is made deliberately unlike the rows to prove the source; its own month is always summed live.
    main = default_account_of(as_alice)
    create(as_alice, "10.00", "INCOME", date="2026-01-05")
    create(as_alice, "1.00", date="2026-02-05")
    write_clean_rollups(alice)
    MonthlyRollup.objects.filter(user=alice, month="2026-01").update(total_minor=5000)
    february = as_alice.data(ENTRIES, {"id": main["id"], "first": 1})["account"]["entries"]["edges"][0]["node"]
    assert february["runningBalance"] == "49.00"
    # Marked dirty again (any write to January), the month is summed live and the rollup ignored.
    create(as_alice, "0.50", "INCOME", date="2026-01-06")
    entries = as_alice.data(ENTRIES, {"id": main["id"], "first": 3})["account"]["entries"]["edges"]
    assert [edge["node"]["runningBalance"] for edge in entries] == ["9.50", "10.50", "10.00"]


def test_a_bad_cursor_or_page_size_is_a_graphql_error(as_alice: GraphQLClient) -> None:
    main = default_account_of(as_alice)
    for variables, code in (({"after": "garbage"}, "INVALID_CURSOR"), ({"first": -1}, "INVALID_PAGE_SIZE")):
        body = as_alice.post(ENTRIES, {"id": main["id"], **variables})
        assert [error["extensions"]["code"] for error in body["errors"]] == [code]


def test_a_page_is_at_most_500_entries_and_the_next_one_continues_exactly(as_alice: GraphQLClient, alice: User) -> None:
    # Rows as a bulk path writes them (with their month marked dirty), so the test stays fast.
    main = default_account_of(as_alice)
    day = datetime.date(2026, 5, 1)
    rows = Transaction.objects.bulk_create(
        Transaction(
            user=alice,
            account_id=main["id"],
            amount_minor=n + 1,
            type="income" if n % 3 else "expense",
            category="Other",
            category_key="other",
            date=day + datetime.timedelta(days=n % 20),
        )
        for n in range(520)
    )
    DirtyBucket.objects.create(user=alice, month="2026-05", marked_at=timezone.now())
    book = Book(currency={main["id"]: "USD"}, opening={main["id"]: 0})
    for row in rows:
        book.transactions[str(row.pk)] = {
            "account": main["id"],
            "type": row.type.upper(),
            "amount": row.amount_minor,
            "date": row.date,
            "description": "",
            "category": "Other",
        }
    first = as_alice.data(ENTRIES, {"id": main["id"], "first": 1000})["account"]["entries"]
    assert (len(first["edges"]), first["pageInfo"]["hasNextPage"], first["totalCount"]) == (500, True, 520)
    rest = as_alice.data(ENTRIES, {"id": main["id"], "first": 1000, "after": first["pageInfo"]["endCursor"]})
    edges = first["edges"] + rest["account"]["entries"]["edges"]
    assert [edge["node"] for edge in edges] == book.register(main["id"])


def test_a_deep_page_costs_the_statements_of_the_first(as_alice: GraphQLClient, alice: User) -> None:
    history = History(as_alice, 4)
    history.run(100)
    write_clean_rollups(alice)
    history.play_only_in({"2026-01"})
    history.run(5)  # one month dirty again among clean ones
    main = max(history.accounts, key=lambda account: len(history.book.register(account)))
    # Without the links to transactions and transfers, whose one query each a page only makes when it has such rows.
    query = (
        "query($id: ID!, $first: Int, $after: String) { account(id: $id) { entries(first: $first, after: $after) "
        "{ totalCount pageInfo { hasNextPage endCursor } edges { node { id runningBalance } } } } }"
    )
    cursors, after = [], None
    while True:
        page = as_alice.data(query, {"id": main, "first": 2, "after": after})["account"]["entries"]
        cursors.append(after)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(cursors) > 5

    def statements(after: str | None) -> int:
        with CaptureQueriesContext(connection) as queries:
            as_alice.data(query, {"id": main, "first": 2, "after": after})
        return len(queries)

    counts = {statements(after) for after in (cursors[0], cursors[len(cursors) // 2], cursors[-1])}
    assert len(counts) == 1, counts
