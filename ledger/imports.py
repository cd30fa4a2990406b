"""Importing a CSV of transactions: all or nothing, row-numbered errors, idempotent re-import.

One database transaction holds the whole import. Rows are parsed and inserted in batches as the file is read, so
memory holds one batch (plus one digest per distinct row, for the occurrence numbers below) whatever the file's
size; if any row turns out bad, reading goes on to report every bad row (up to MAX_ERRORS) and the transaction is
rolled back, so nothing is written.

Accounts: with `account_id`, every row goes into that ledger account and an `account` column is not read (bank
exports often carry one holding account numbers; the caller chose the account). Without it, a row's `account` cell
names one of the user's accounts (any case; an unknown name is NOT_FOUND) and an absent or empty cell means the
default account, so an export of several accounts imports back into each. An archived account
takes no rows (ACCOUNT_ARCHIVED). Rows are stored through ledger.bulk_insert, one call per account and batch, and
each stored row is a TRANSACTION CREATED change (ledger.changes) in the same transaction; skipped rows are none.

Idempotency: each row's key is derived from its values, its account and its occurrence number among identical rows
of the file for that account ("csv:" + sha256), and stored in `ledger_transaction.idempotency_key`, unique per
user. Importing the same file again (or any file holding the same rows, e.g. an overlapping bank export) finds
those keys and skips the rows; two identical purchases on one day within a file stay two transactions (occurrences
1 and 2), and the same row in two accounts is two transactions.

Keys stored before accounts existed hashed the values and occurrence alone (`legacy_import_key`). They cannot be
rewritten (the occurrence number is not recoverable from the rows), so they are looked up too, and count as "already
imported" when the row carrying one is in the account being imported into: the migration put every such row in the
user's "Main" account, so re-importing an old file there still creates nothing new, whichever account is the
default today, while the same rows imported into another account are new there.
"""

import functools
import hashlib
import operator
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from accounts.models import User
from ledger import error_codes
from ledger.balance_cache import add_volume, bump_balance_version
from ledger.bulk_insert import insert_transactions
from ledger.categories import remember_names
from ledger.changes import inserted_transaction_changes, record_changes
from ledger.csv_io import AccountResolver, CsvRow, RowError, read_rows
from ledger.models import Account, Transaction, account_name_key
from ledger.money import VolumeLimitExceeded, volume_limit_error
from ledger.services.bookkeeping import ensure_default_account, mark_buckets_dirty, refuse_archived
from ledger.validation import invalid, not_found, parse_transaction_id

MAX_ERRORS = 100
BATCH_SIZE = 2000


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0  # already imported (same key)
    errors: list[RowError] = field(default_factory=list)


class _Rollback(Exception):
    """Leaves the atomic block when a bad row was found, so the batches already inserted are undone."""


def transactions_import(*, user: User, lines: Iterable[str], account_id: object = None) -> ImportResult:
    """Import CSV text lines (see ledger.csv_io for the shape) as the user's transactions, all or nothing: into the
    ledger account `account_id`, or (None) each row into the account its `account` column names, else the default.

    Returns the counts, or the row errors with nothing written. Raises ValidationError on "account_id" (NOT_FOUND,
    also for another user's id; ACCOUNT_ARCHIVED) before reading a line. `lines` is consumed once, lazily: pass an
    open file (or a generator that also drives a progress bar) to stream a large file.
    """
    result = ImportResult()
    try:
        with transaction.atomic():
            # First, as every write does: on PostgreSQL this row lock serializes the user's writes, so a concurrent
            # import of the same file cannot slip past the key lookups below, nor an account be archived meanwhile.
            bump_balance_version(user.pk)
            accounts = _account_resolver(user, account_id)
            volume = _import_rows(user, read_rows(lines, accounts), result)
            if not result.errors:
                try:
                    add_volume(user.pk, volume)
                except VolumeLimitExceeded:
                    message = volume_limit_error("csv").messages[0]
                    result.errors.append(RowError(None, None, message, error_codes.VOLUME_LIMIT_EXCEEDED))
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.imported = result.skipped = 0
    return result


def _account_resolver(user: User, account_id: object) -> AccountResolver:
    """Which account each row goes into (see the module's docstring), from one read of the user's accounts."""
    accounts = list(Account.objects.owned_by(user))
    if not any(account.is_default for account in accounts):  # a user made without one (createsuperuser, scripts)
        accounts.append(ensure_default_account(user=user))
    if account_id is not None:
        pk = parse_transaction_id(account_id)
        target = next((account for account in accounts if account.pk == pk), None)
        if target is None:
            raise not_found("account_id", "account")
        refuse_archived(target, field="account_id")
        return lambda name: target
    by_name = {account.name_key: account for account in accounts}
    default = next(account for account in accounts if account.is_default)

    def by_column(name: str) -> Account:
        account = by_name.get(account_name_key(name)) if name else default
        if account is None:
            raise invalid(
                "account",
                f'You have no account named "{name[:100]}": name one of yours, or give accountId to import every row '
                "into one account (the column is then not read).",
                error_codes.NOT_FOUND,
            )
        refuse_archived(account, field="account")
        return account

    return by_column


def import_key(digest: bytes, occurrence: int, account_id: uuid.UUID) -> str:
    """The idempotency key of the `occurrence`-th row with this content digest imported into the account."""
    return "csv:" + hashlib.sha256(digest + occurrence.to_bytes(8, "big") + account_id.bytes).hexdigest()


def legacy_import_key(digest: bytes, occurrence: int) -> str:
    """The key the same row got before ledger accounts existed (see the module's docstring)."""
    return "csv:" + hashlib.sha256(digest + occurrence.to_bytes(8, "big")).hexdigest()


def _import_rows(user: User, rows: Iterable[CsvRow | RowError], result: ImportResult) -> int:
    """Store the rows; returns the sum of the stored amounts (the user's volume change)."""
    occurrences: dict[tuple[uuid.UUID, bytes], int] = {}
    volume = 0
    batch: list[_KeyedRow] = []
    days = {}  # one day per affected month, for the dirty marks
    for item in rows:
        if isinstance(item, RowError):
            result.errors.append(item)
            if len(result.errors) >= MAX_ERRORS:
                result.errors.append(
                    RowError(
                        None,
                        None,
                        f"Stopped after {MAX_ERRORS} errors (at row {item.row}).",
                        error_codes.TOO_MANY_ERRORS,
                    )
                )
                return volume
            continue
        digest, account_pk = item.content_digest(), item.account.pk
        occurrence = occurrences.get((account_pk, digest), 0) + 1
        occurrences[account_pk, digest] = occurrence
        if result.errors:
            continue  # nothing will be written: only keep validating
        batch.append(_KeyedRow(import_key(digest, occurrence, account_pk), digest, occurrence, account_pk, item))
        if len(batch) >= BATCH_SIZE:
            volume += _store_batch(user, batch, result, days)
            batch = []
    if batch and not result.errors:
        volume += _store_batch(user, batch, result, days)
    if days and not result.errors:
        mark_buckets_dirty(user.pk, days.values())
    return volume


@dataclass(frozen=True)
class _KeyedRow:
    key: str
    digest: bytes
    occurrence: int
    account_pk: uuid.UUID
    row: CsvRow


def _already_imported(user: User, batch: list[_KeyedRow]) -> set[str]:
    """The keys of the batch's rows that are already stored. A current key counts wherever its row is now (it may
    have moved to another account since; keys stay unique per user). A legacy key counts only in the account being
    imported into, and is looked up only for rows their current key did not find: a re-import of a file imported
    since accounts exist costs one lookup, as before."""
    owned = Transaction.objects.owned_by(user)
    found = set(
        owned.filter(idempotency_key__in=[keyed.key for keyed in batch]).values_list("idempotency_key", flat=True)
    )
    legacy: dict[tuple[str, uuid.UUID], str] = {
        (legacy_import_key(keyed.digest, keyed.occurrence), keyed.account_pk): keyed.key
        for keyed in batch
        if keyed.key not in found
    }
    if legacy:
        by_account: dict[uuid.UUID, list[str]] = {}
        for legacy_key, account_pk in legacy:
            by_account.setdefault(account_pk, []).append(legacy_key)
        in_their_accounts = functools.reduce(
            operator.or_, (Q(account_id=pk, idempotency_key__in=keys) for pk, keys in by_account.items())
        )
        found.update(
            legacy[pair] for pair in owned.filter(in_their_accounts).values_list("idempotency_key", "account_id")
        )
    return found


def _store_batch(user: User, batch: list[_KeyedRow], result: ImportResult, days: dict) -> int:
    existing = _already_imported(user, batch)
    fresh = [keyed for keyed in batch if keyed.key not in existing]
    by_account: dict[uuid.UUID, list[_KeyedRow]] = {}
    for keyed in fresh:
        by_account.setdefault(keyed.account_pk, []).append(keyed)
    changes = []
    for account_pk, keyed_rows in by_account.items():
        rows = [
            (k.row.date, k.row.amount_minor, k.row.type, k.row.category, k.row.description, k.key) for k in keyed_rows
        ]
        inserted = insert_transactions(user.pk, rows, account_id=account_pk)
        changes += inserted_transaction_changes(keyed_rows[0].row.account, rows, inserted)
    # One change per stored row, in a few multi-row statements per batch (ledger.changes).
    record_changes(user.pk, changes)
    if len(by_account) > 1:
        # Each insert records its rows' category spellings; across accounts, the file's last spelling must win.
        remember_names(user.pk, (keyed.row.category for keyed in fresh))
    for keyed in fresh:
        days.setdefault((keyed.row.date.year, keyed.row.date.month), keyed.row.date)
    result.imported += len(fresh)
    result.skipped += len(batch) - len(fresh)
    return sum(keyed.row.amount_minor for keyed in fresh)
