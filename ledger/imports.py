"""Importing a CSV of transactions: all or nothing, row-numbered errors, idempotent re-import.

One database transaction holds the whole import. Rows are parsed and inserted in batches as the file is read, so
memory holds one batch (plus one digest per distinct row, for the occurrence numbers below) whatever the file's
size; if any row turns out bad, reading goes on to report every bad row (up to MAX_ERRORS) and the transaction is
rolled back, so nothing is written.

Idempotency: each row's key is derived from its values and its occurrence number among identical rows of the file
("csv:" + sha256), and stored in `ledger_transaction.idempotency_key`, unique per user. Importing the same file
again (or any file holding the same rows, e.g. an overlapping bank export) finds those keys and skips the rows;
two identical purchases on one day within a file stay two transactions (occurrences 1 and 2).
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import User
from ledger import error_codes
from ledger.balance_cache import add_volume, bump_balance_version
from ledger.bulk_insert import insert_transactions
from ledger.csv_io import CsvRow, RowError, read_rows
from ledger.models import Transaction
from ledger.money import VolumeLimitExceeded, volume_limit_error
from ledger.services import mark_buckets_dirty

MAX_ERRORS = 100
BATCH_SIZE = 2000


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0  # already imported (same key)
    errors: list[RowError] = field(default_factory=list)


class _Rollback(Exception):
    """Leaves the atomic block when a bad row was found, so the batches already inserted are undone."""


def transactions_import(*, user: User, lines: Iterable[str]) -> ImportResult:
    """Import CSV text lines (see ledger.csv_io for the shape) as the user's transactions, all or nothing.

    Returns the counts, or the errors with nothing written. `lines` is consumed once, lazily: pass an open file
    (or a generator that also drives a progress bar) to stream a large file.
    """
    result = ImportResult()
    try:
        with transaction.atomic():
            # First, as every write does: on PostgreSQL this row lock serializes the user's writes, so a concurrent
            # import of the same file cannot slip past the key lookups below.
            bump_balance_version(user.pk)
            volume = _import_rows(user, read_rows(lines), result)
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


def _import_rows(user: User, rows: Iterable[CsvRow | RowError], result: ImportResult) -> int:
    """Store the rows; returns the sum of the stored amounts (the user's volume change)."""
    occurrences: dict[bytes, int] = {}
    volume = 0
    batch: list[tuple[str, CsvRow]] = []
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
        digest = item.content_digest()
        occurrence = occurrences.get(digest, 0) + 1
        occurrences[digest] = occurrence
        if result.errors:
            continue  # nothing will be written: only keep validating
        key = "csv:" + hashlib.sha256(digest + occurrence.to_bytes(8, "big")).hexdigest()
        batch.append((key, item))
        if len(batch) >= BATCH_SIZE:
            volume += _store_batch(user, batch, result, days)
            batch = []
    if batch and not result.errors:
        volume += _store_batch(user, batch, result, days)
    if days and not result.errors:
        mark_buckets_dirty(user.pk, days.values())
    return volume


def _store_batch(user: User, batch: list[tuple[str, CsvRow]], result: ImportResult, days: dict) -> int:
    keys = [key for key, _ in batch]
    existing = set(
        Transaction.objects.owned_by(user).filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    fresh = [(key, row) for key, row in batch if key not in existing]
    insert_transactions(
        user.pk, [(row.date, row.amount_minor, row.type, row.category, row.description, key) for key, row in fresh]
    )
    for _, row in fresh:
        days.setdefault((row.date.year, row.date.month), row.date)
    result.imported += len(fresh)
    result.skipped += len(batch) - len(fresh)
    return sum(row.amount_minor for _, row in fresh)
