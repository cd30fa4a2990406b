"""The one bulk path into ledger_transaction (CSV imports, demo data): COPY on PostgreSQL, executemany on SQLite.

Building a model instance per row made the ORM most of an import's time, so rows go in as plain tuples. The caller
owns the surrounding database transaction, the version bump, the dirty marks and the change rows (ledger.services'
invariants): it gets the new rows' ids and time back for the latter.
"""

import datetime
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from ledger.categories import category_key, remember_names

# (date, amount_minor, type, category, description, idempotency_key or None)
NewTransaction = tuple[datetime.date, int, str, str, str, str | None]

COLUMNS = (
    "id, user_id, account_id, amount_minor, type, description, category, category_key, date, idempotency_key, "
    "created_at, updated_at"
)
_CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class InsertedRows:
    """What insert_transactions stored: an id per row (32 hex digits, in the rows' order) and their created_at."""

    ids: list[str]
    at: datetime.datetime


# COPY's text format: backslash, tab, newline and carriage return are escaped; \N is NULL.
_COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def insert_transactions(
    user_id: uuid.UUID,
    rows: Sequence[NewTransaction],
    *,
    account_id: uuid.UUID,
    on_rows: Callable[[int], object] | None = None,
) -> InsertedRows:
    """Insert the user's rows into one of their ledger accounts, in chunks; `on_rows(n)` is called after each chunk
    (progress bars). Their category spellings become the user's current names (ledger.categories), the last row's
    winning."""
    remember_names(user_id, (row[3] for row in rows))
    now = timezone.now()
    ids = random_ids(len(rows))
    if connection.vendor == "postgresql":
        stamp, user, account = now.isoformat(), str(user_id), str(account_id)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            # A queued writer sends from its own thread while this one formats the next chunk.
            with raw.copy(f"COPY ledger_transaction ({COLUMNS}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
                for start in range(0, len(rows), _CHUNK_ROWS):
                    chunk = rows[start : start + _CHUNK_ROWS]
                    copy.write(
                        "".join(
                            f"{row_id}\t{user}\t{account}\t{amount}\t{kind}\t{_copy_text(description)}\t{_copy_text(category)}"
                            f"\t{_copy_text(category_key(category))}\t{day.isoformat()}"
                            f"\t{_COPY_NULL if key is None else _copy_text(key)}\t{stamp}\t{stamp}\n"
                            for row_id, (day, amount, kind, category, description, key) in zip(
                                ids[start : start + _CHUNK_ROWS], chunk, strict=True
                            )
                        )
                    )
                    if on_rows is not None:
                        on_rows(len(chunk))
        return InsertedRows(ids, now)
    stamp, user, account = connection.ops.adapt_datetimefield_value(now), user_id.hex, account_id.hex
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK_ROWS):
            chunk = rows[start : start + _CHUNK_ROWS]
            cursor.executemany(
                f"INSERT INTO ledger_transaction ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        row_id,
                        user,
                        account,
                        amount,
                        kind,
                        description,
                        category,
                        category_key(category),
                        day.isoformat(),
                        key,
                        stamp,
                        stamp,
                    )
                    for row_id, (day, amount, kind, category, description, key) in zip(
                        ids[start : start + _CHUNK_ROWS], chunk, strict=True
                    )
                ],
            )
            if on_rows is not None:
                on_rows(len(chunk))
    return InsertedRows(ids, now)


def random_ids(count: int) -> list[str]:
    """`count` random version-4 UUIDs as 32 hex digits (both databases accept that spelling), from one urandom
    call: uuid.uuid4() per row costs more than formatting the row itself."""
    digits = os.urandom(16 * count).hex()
    return [
        f"{digits[i : i + 12]}4{digits[i + 13 : i + 16]}{_VARIANT[digits[i + 16]]}{digits[i + 17 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


# The variant nibble of an RFC 4122 UUID is 10xx: map any hex digit onto 8, 9, a or b.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _copy_text(text: str) -> str:
    return text.translate(_COPY_ESCAPES)
