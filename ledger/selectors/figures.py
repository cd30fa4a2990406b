"""Money figures of a user: each ledger account's balance, balances per currency and net worth, all derived from one
LedgerFigures value cached under the user's balance version (ledger.balance_cache)."""

from django.db import OperationalError, connection

from accounts.models import User
from ledger.balance_cache import AccountFigures, BalanceFigures, LedgerFigures, cached_figures
from ledger.currencies import parse_currency
from ledger.models import Account, Transaction, Transfer
from ledger.services.bookkeeping import ensure_default_account

# Every account of the user with what its entries add up to, per kind, in one statement; each branch of the union is
# an index-only range scan on PostgreSQL (the (user, account, type, amount) index, and the transfer tables' legs).
_FIGURES_SQL = """
SELECT a.id, a.currency, a.opening_balance_minor, a.is_default, e.kind, e.total, e.entries
FROM ledger_account a LEFT JOIN (
    SELECT account_id, type AS kind, SUM(amount_minor) AS total, COUNT(*) AS entries
    FROM ledger_transaction WHERE user_id = %(user)s GROUP BY account_id, type
    UNION ALL
    SELECT from_account_id, 'transfer_out', SUM(amount_minor), COUNT(*)
    FROM ledger_transfer WHERE user_id = %(user)s GROUP BY from_account_id
    UNION ALL
    SELECT to_account_id, 'transfer_in', SUM(to_amount_minor), COUNT(*)
    FROM ledger_transfer WHERE user_id = %(user)s GROUP BY to_account_id
) e ON e.account_id = a.id
WHERE a.user_id = %(user)s
"""


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
    """From the database, in one statement (plus one, once, for a user who has no account yet)."""
    user_param = Account._meta.get_field("user").get_db_prep_value(user.pk, connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(_FIGURES_SQL, {"user": user_param})
            rows = cursor.fetchall()
    except OperationalError as error:
        if not is_sum_overflow(error):
            raise
        rows = _figures_summed_in_python(user)
    if not any(row[3] for row in rows):
        ensure_default_account(user=user)
        return compute_ledger_figures(user=user)
    parts: dict[str, dict] = {}
    default_currency = ""
    for account_id, currency, opening, is_default, kind, total, entries in rows:
        key = account_id.hex if hasattr(account_id, "hex") else str(account_id)
        account = parts.setdefault(key, {"currency": currency, "opening_minor": opening})
        if is_default:
            default_currency = currency
        if kind is not None:
            field = _FIELDS[kind]
            account[field[0]] = int(total)
            account[field[1]] = account.get(field[1], 0) + int(entries)
    return LedgerFigures(default_currency, {key: AccountFigures(**values) for key, values in parts.items()})


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
