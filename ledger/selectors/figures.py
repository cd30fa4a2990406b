"""Money figures of a user: each ledger account's balance, balances per currency and net worth, all derived from one
LedgerFigures value cached under the user's balance version (ledger.balance_cache)."""

from django.db import OperationalError, connection

from accounts.models import User
from ledger.balance_cache import AccountFigures, BalanceFigures, LedgerFigures, cached_figures
from ledger.currencies import parse_currency
from ledger.models import Account, DirtyBucket, Transaction, Transfer
from ledger.services.bookkeeping import ensure_default_account
from ledger.validation import month_of, month_ranges

# Every account of the user with what its entries add up to, per kind. {entries} is a UNION ALL of some of the
# branches below: rollups of the clean months and rows of the dirty months ({months}: their conditions).
_FIGURES_SQL = """
SELECT a.id, a.currency, a.opening_balance_minor, a.is_default, e.kind, e.total, e.entries
FROM ledger_account a LEFT JOIN ({entries}) e ON e.account_id = a.id
WHERE a.user_id = %(user)s{unread}
"""
_ROLLUP_BRANCH = (
    "SELECT account_id, type AS kind, SUM(total_minor) AS total, SUM(transaction_count) AS entries "
    "FROM ledger_monthlyrollup WHERE user_id = %(user)s{months} GROUP BY account_id, type"
)
# Index-only range scans on PostgreSQL: ledger_txn_user_date_cover and ledger_transfer_user_date carry the columns.
_LIVE_BRANCHES = (
    "SELECT account_id, type AS kind, SUM(amount_minor) AS total, COUNT(*) AS entries "
    "FROM ledger_transaction WHERE user_id = %(user)s{months} GROUP BY account_id, type",
    "SELECT from_account_id, 'transfer_out', SUM(amount_minor), COUNT(*) "
    "FROM ledger_transfer WHERE user_id = %(user)s{months} GROUP BY from_account_id",
    "SELECT to_account_id, 'transfer_in', SUM(to_amount_minor), COUNT(*) "
    "FROM ledger_transfer WHERE user_id = %(user)s{months} GROUP BY to_account_id",
)
# One more row, in the same snapshot as the sums: how many months are dirty now that were not in the dirty set read
# before (a write committed in between). Their rollups may be stale and their rows were not read, so the figures
# are computed again (see compute_ledger_figures).
_UNREAD_MARKS = """
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, COUNT(*), NULL FROM ledger_dirtybucket WHERE user_id = %(user)s{months}
"""
# Reads of the dirty set before every month is summed live instead (one statement, one snapshot, O(rows)): only
# reached while writes keep dirtying months between the two reads.
_ATTEMPTS = 3


def ledger_figures(*, user: User, version: int | None = None) -> LedgerFigures:
    """The user's figures from the Redis cache when it has them for their committed version.

    `version`: the user's balance version when it was read in this request after their last write (it is loaded
    with the authenticated user); read here otherwise.
    """
    return cached_figures(user.pk, lambda: compute_ledger_figures(user=user), version=version)


def balance_figures(*, user: User, version: int | None = None, currency: object = None) -> BalanceFigures:
    """Income, expense and count of the user's transactions in one currency (the default account's when None);
    INVALID_CURRENCY for a code that is not one. Transfers never count."""
    return balance_in(ledger_figures(user=user, version=version), currency)


def balance_in(figures: LedgerFigures, currency: object = None) -> BalanceFigures:
    """The figures' income and expense in `currency` (the default account's when None; INVALID_CURRENCY for a code
    that is not one)."""
    code = None if currency is None else parse_currency(currency)
    return figures.balance(figures.default_currency if code is None else code)


def compute_ledger_figures(*, user: User) -> LedgerFigures:
    """From the database: the dirty-set read plus one statement (plus a few, once, for a user who has no account yet).

    O(months), not O(rows): clean months come from the Go aggregator's rollups, dirty months are summed live from
    the transactions and transfers, as ledger.analytics does. The dirty set is read first and names the months of
    both halves; the statement also counts, in its own snapshot, the months dirty then but not in that set (a write
    committed between the two reads), and the figures are computed again with them if there are any. So every
    month is either clean in the statement's snapshot (its rollups are exact there) or summed from its rows in that
    snapshot: the figures are those of one committed state, whatever the aggregator has or has not done.
    """
    user_param = Account._meta.get_field("user").get_db_prep_value(user.pk, connection)
    dirty: set[str] | None = set()
    for attempt in range(_ATTEMPTS + 1):
        if attempt == _ATTEMPTS:
            dirty = None  # every row live, in one statement: exact in its snapshot
        else:
            dirty |= _dirty_months(user)
        try:
            rows = _figures_rows(user_param, None if dirty is None else sorted(dirty))
        except OperationalError as error:
            if not is_sum_overflow(error):
                raise
            rows = _figures_summed_in_python(user)
            break
        if not any(row[0] is None and row[5] for row in rows):
            break
    if not any(row[3] for row in rows):
        ensure_default_account(user=user)
        return compute_ledger_figures(user=user)
    parts: dict[str, dict] = {}
    default_currency = ""
    for account_id, currency, opening, is_default, kind, total, entries in rows:
        if account_id is None:  # the count of unread dirty marks
            continue
        key = account_id.hex if hasattr(account_id, "hex") else str(account_id)
        account = parts.setdefault(key, {"currency": currency, "opening_minor": opening})
        if is_default:
            default_currency = currency
        if kind is not None:  # rollups and live rows may both hold a kind: add them up
            field = _FIELDS[kind]
            account[field[0]] = account.get(field[0], 0) + int(total)
            account[field[1]] = account.get(field[1], 0) + int(entries)
    return LedgerFigures(default_currency, {key: AccountFigures(**values) for key, values in parts.items()})


def _dirty_months(user: User) -> set[str]:
    return set(DirtyBucket.objects.filter(user_id=user.pk).values_list("month", flat=True))


def _figures_rows(user_param: object, dirty: list[str] | None) -> list[tuple]:
    """The statement's rows for the sorted dirty months, or with every row summed live when `dirty` is None."""
    params: dict[str, object] = {"user": user_param}
    if dirty is None:
        sql = _FIGURES_SQL.format(entries=" UNION ALL ".join(b.format(months="") for b in _LIVE_BRANCHES), unread="")
    else:
        ranges = month_ranges(dirty)
        inside = " OR ".join(f"(date >= %(start{i})s AND date <= %(end{i})s)" for i in range(len(ranges)))
        outside = "".join(f" AND NOT (month >= %(first{i})s AND month <= %(last{i})s)" for i in range(len(ranges)))
        for index, (start, end) in enumerate(ranges):
            params[f"start{index}"], params[f"end{index}"] = start, end
            params[f"first{index}"], params[f"last{index}"] = month_of(start), month_of(end)
        branches = [_ROLLUP_BRANCH.format(months=outside)]
        if ranges:
            branches += [branch.format(months=f" AND ({inside})") for branch in _LIVE_BRANCHES]
        sql = _FIGURES_SQL.format(entries=" UNION ALL ".join(branches), unread=_UNREAD_MARKS.format(months=outside))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_FIELDS = {
    "income": ("income_minor", "transaction_count"),
    "expense": ("expense_minor", "transaction_count"),
    "transfer_in": ("transfer_in_minor", "transfer_count"),
    "transfer_out": ("transfer_out_minor", "transfer_count"),
}


def is_sum_overflow(error: OperationalError) -> bool:
    """SQLite's SUM raises past int64. Accepted writes never get there (the volume bound), but rows stored before the
    bound may: their figures are then summed in Python, whose integers do not overflow."""
    return "integer overflow" in str(error)


def _figures_summed_in_python(user: User) -> list[tuple]:
    sums: dict[tuple[object, str], list[int]] = {}

    def add(account_id: object, kind: str, amount: int) -> None:
        entry = sums.setdefault((account_id, kind), [0, 0])
        entry[0] += amount
        entry[1] += 1

    for account_id, kind, amount in (
        Transaction.objects.owned_by(user).values_list("account_id", "type", "amount_minor").iterator(10_000)
    ):
        add(account_id, kind, amount)
    for source, target, amount, to_amount in (
        Transfer.objects.filter(user_id=user.pk)
        .values_list("from_account_id", "to_account_id", "amount_minor", "to_amount_minor")
        .iterator(10_000)
    ):
        add(source, "transfer_out", amount)
        add(target, "transfer_in", to_amount)
    rows = []
    for account in Account.objects.owned_by(user):
        kinds = [
            (kind, total, count) for (account_id, kind), (total, count) in sums.items() if account_id == account.pk
        ]
        for kind, total, count in kinds or [(None, None, None)]:
            rows.append(
                (account.pk, account.currency, account.opening_balance_minor, account.is_default, kind, total, count)
            )
    return rows
