"""An account's register: its entries (transactions, and the legs of transfers that touch it), newest first, each
with the balance right after it.

A running balance is the opening balance plus every entry up to its position (date, id). For the newest entry of a
page that sum is split by month: whole months before the entry's month come from the Go aggregator's rollups where
the bucket is clean and are summed live where it is dirty (as analytics do), and the entry's own month is summed live
up to its position. So any page costs about the same (O(months) + O(one month's rows)) however deep it is, and the
answer is exact whatever the aggregator has or has not done. The rest of the page follows by subtraction.

On PostgreSQL the reads run in one REPEATABLE READ snapshot, so rows, dirty marks and rollups agree with each other
even while writes and the aggregator commit.
"""

import datetime
import uuid
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, F, Sum, When

from accounts.models import User
from ledger.models import Account, DirtyBucket, EntryKind, MonthlyRollup, Transaction, Transfer
from ledger.selectors.transactions import DEFAULT_PAGE_SIZE, decode_cursor, encode_position
from ledger.validation import month_bounds, month_of, month_ranges, not_found, page_size, parse_month
from storage.connections import read_snapshot

# One SELECT per kind of row an account's entries come from; {where} narrows each (keyset, month ranges) and the
# columns are the same in all three. Signed amounts: money in positive, out negative.
_BRANCHES = (
    "SELECT id, date, type AS kind, CASE WHEN type = 'income' THEN amount_minor ELSE -amount_minor END AS amount, "
    "description, category FROM ledger_transaction WHERE account_id = %(account)s{where}",
    "SELECT id, date, 'transfer_out' AS kind, -amount_minor AS amount, description, NULL AS category "
    "FROM ledger_transfer WHERE from_account_id = %(account)s{where}",
    "SELECT id, date, 'transfer_in' AS kind, to_amount_minor AS amount, description, NULL AS category "
    "FROM ledger_transfer WHERE to_account_id = %(account)s{where}",
)
_NEWEST_FIRST = " ORDER BY date DESC, id DESC"
_BEFORE_POSITION = " AND (date < %(day)s OR (date = %(day)s AND id < %(row)s))"
_MONEY_IN = (EntryKind.INCOME.value, EntryKind.TRANSFER_IN.value)


@dataclass(frozen=True)
class Entry:
    row_id: uuid.UUID  # the transaction's or the transfer's id: the keyset position with the date
    date: datetime.date
    kind: str  # an EntryKind value
    amount_minor: int  # signed, in the account's currency
    description: str
    category: str | None
    running_balance_minor: int

    @property
    def id(self) -> str:
        """Unique among entries: a transfer has one entry in each of its two accounts."""
        if self.kind == EntryKind.TRANSFER_IN:
            return f"{self.row_id}:in"
        if self.kind == EntryKind.TRANSFER_OUT:
            return f"{self.row_id}:out"
        return str(self.row_id)

    @property
    def cursor(self) -> str:
        return encode_position(self.date, self.row_id)


@dataclass
class EntryPage:
    account: Account
    entries: list[Entry]
    has_next_page: bool
    has_previous_page: bool
    _transactions: dict | None = field(default=None, repr=False)
    _transfers: dict | None = field(default=None, repr=False)

    def total_count(self) -> int:
        """Every entry of the account (all pages), counted from rollups and dirty months like the balances."""
        with read_snapshot():
            return _totals(self.account, through=None)[1]

    def transaction_of(self, entry: Entry) -> Transaction | None:
        """The transaction of an income or expense entry; one query for the whole page, on first use."""
        if entry.kind not in (EntryKind.INCOME, EntryKind.EXPENSE):
            return None
        if self._transactions is None:
            ids = [e.row_id for e in self.entries if e.kind in (EntryKind.INCOME, EntryKind.EXPENSE)]
            self._transactions = Transaction.objects.filter(account=self.account).in_bulk(ids)
        return self._transactions.get(entry.row_id)

    def transfer_of(self, entry: Entry) -> Transfer | None:
        if entry.kind not in (EntryKind.TRANSFER_IN, EntryKind.TRANSFER_OUT):
            return None
        if self._transfers is None:
            ids = [e.row_id for e in self.entries if e.kind in (EntryKind.TRANSFER_IN, EntryKind.TRANSFER_OUT)]
            transfers = Transfer.objects.filter(user_id=self.account.user_id).select_related(
                "from_account", "to_account"
            )
            self._transfers = transfers.in_bulk(ids)
        return self._transfers.get(entry.row_id)


def entry_page(*, user: User, account: Account, first: int | None, after: str | None) -> EntryPage:
    """One page of the account's register, newest first, by keyset on (date, id)."""
    if account.user_id != user.pk:  # callers pass an account read through the owner's scope; belt and braces
        raise not_found("id", "account")
    size = page_size(first, default=DEFAULT_PAGE_SIZE)
    position = None if after is None else decode_cursor(after)
    with read_snapshot():
        rows = _page_rows(account, position, size + 1)
        entries: list[Entry] = []
        if rows and size > 0:
            running = account.opening_balance_minor + _totals(account, through=(rows[0][1], rows[0][0]))[0]
            for row_id, day, kind, amount, description, category in rows[:size]:
                entries.append(Entry(row_id, day, kind, amount, description, category, running))
                running -= amount
    return EntryPage(
        account=account, entries=entries, has_next_page=len(rows) > size, has_previous_page=after is not None
    )


def _page_rows(account: Account, position: tuple[datetime.date, uuid.UUID] | None, limit: int) -> list[tuple]:
    params = {"account": _account_param(account), "limit": limit}
    where = ""
    if position is not None:
        where = _BEFORE_POSITION
        params["day"], params["row"] = position[0], _uuid_param(position[1])
    # Each branch is limited on its own index range first, so a deep page reads `limit` rows per branch, not all.
    branches = " UNION ALL ".join(
        f"SELECT * FROM ({branch.format(where=where)}{_NEWEST_FIRST} LIMIT %(limit)s) b{index}"
        for index, branch in enumerate(_BRANCHES)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({branches}) e{_NEWEST_FIRST} LIMIT %(limit)s", params)
        return [
            (_as_uuid(row_id), _as_date(day), kind, int(amount), description, category)
            for row_id, day, kind, amount, description, category in cursor.fetchall()
        ]


def _totals(account: Account, *, through: tuple[datetime.date, uuid.UUID] | None) -> tuple[int, int]:
    """(net change, entry count) of the account's entries up to and including position `through` (all when None).

    Months before the position's month: clean ones from the rollups, dirty ones live; the position's own month
    live up to the position. The dirty set is read first and used for both halves (see ledger.analytics)."""
    dirty_marks = DirtyBucket.objects.filter(user_id=account.user_id)
    rollups = MonthlyRollup.objects.filter(user_id=account.user_id, account_id=account.pk)
    live_conditions: list[str] = []
    params: dict[str, object] = {"account": _account_param(account)}
    if through is not None:
        month = month_of(through[0])
        dirty_marks = dirty_marks.filter(month__lt=month)
        rollups = rollups.filter(month__lt=month)
        first_day, _ = month_bounds(*parse_month(month, field="month"))
        live_conditions.append("(date >= %(month_start)s AND (date < %(day)s OR (date = %(day)s AND id <= %(row)s)))")
        params.update(month_start=first_day, day=through[0], row=_uuid_param(through[1]))
    dirty = sorted(dirty_marks.values_list("month", flat=True))
    rolled = rollups.exclude(month__in=dirty).aggregate(
        net=Sum(Case(When(type__in=_MONEY_IN, then=F("total_minor")), default=-F("total_minor"))),
        count=Sum("transaction_count"),
    )
    for index, (start, end) in enumerate(month_ranges(dirty)):
        live_conditions.append(f"(date >= %(start{index})s AND date <= %(end{index})s)")
        params[f"start{index}"], params[f"end{index}"] = start, end
    net, count = int(rolled["net"] or 0), int(rolled["count"] or 0)
    if live_conditions:
        where = " AND (" + " OR ".join(live_conditions) + ")"
        branches = " UNION ALL ".join(branch.format(where=where) for branch in _BRANCHES)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT SUM(amount), COUNT(*) FROM ({branches}) e", params)
            live_net, live_count = cursor.fetchone()
        net, count = net + int(live_net or 0), count + int(live_count or 0)
    return net, count


def _account_param(account: Account) -> object:
    return Account._meta.pk.get_db_prep_value(account.pk, connection)


def _uuid_param(value: uuid.UUID) -> object:
    return Account._meta.pk.get_db_prep_value(value, connection)


def _as_uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=str(value))


def _as_date(value: object) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))
