"""The change log (issue 14): every write appends one ledger_change row per entity it changed, in its own database
transaction, through `record_changes`, the one function that allocates sequence numbers and writes the rows.

Why the sequence is gap-free and in commit order per user: it is allocated from ledger_balanceversion.change_sequence,
the row every write already upserts first (the version bump). On PostgreSQL that upsert holds the row's lock until
the write commits or rolls back, so the next writer of the same user allocates only after it, from the value it
committed (a rolled-back write gives its numbers back with everything else). A reader that sees change N therefore
already sees every change before N: the classic outbox trap of a global serial, where N+1 may commit before N, cannot
happen. SQLite serializes all writes anyway.

The contract for writers outside Django (the Go binary), inside the write's own transaction, in this order:

1. The version bump, first, as every write does (it takes the user's row lock)::

       INSERT INTO ledger_balanceversion (user_id, version, volume_minor) VALUES ($user, 1, $volume_change)
       ON CONFLICT (user_id) DO UPDATE SET version = ledger_balanceversion.version + 1, volume_minor = ...

2. The write's own rows (ledger_transaction, the rule's pointer, dirty buckets, ...).
3. Allocate n sequence numbers, n being the number of entities changed (an occurrence recorded: 2, the new
   TRANSACTION and the RECURRING_RULE whose pointer moved), returning the last one::

       INSERT INTO ledger_balanceversion (user_id, version, volume_minor, change_sequence) VALUES ($user, 0, 0, $n)
       ON CONFLICT (user_id) DO UPDATE
       SET change_sequence = ledger_balanceversion.change_sequence + excluded.change_sequence
       RETURNING change_sequence

4. Insert the n rows, numbered last-n+1 .. last in the order the entities changed (one multi-row INSERT)::

       INSERT INTO ledger_change (user_id, sequence, entity_type, entity_id, operation, at, snapshot)
       VALUES ($user, $sequence, $entity_type, $entity_id, $operation, $now, $snapshot), ...

5. Commit. Nothing is published before the commit; readers find the rows by sequence.

Columns: entity_type is TRANSACTION, TRANSFER, ACCOUNT, BUDGET or RECURRING_RULE; operation CREATED, UPDATED or
DELETED; user_id and entity_id as the other tables store ids (uuid on PostgreSQL; 32 lower-case hex digits without
dashes on SQLite); at the time of the write (timestamptz on PostgreSQL; on SQLite text "YYYY-MM-DD HH:MM:SS.ffffff"
in UTC, as Django stores datetimes there); snapshot (jsonb; JSON text on SQLite) the entity after the change
(before it, for a delete) as a JSON object of its table's columns by column name, except user_id,
idempotency_key, idempotency_fingerprint, name_key and category_key: ids as strings (canonical UUID with dashes),
amounts as integer minor units, dates "YYYY-MM-DD", times ISO 8601 with offset, booleans and NULL as JSON. Entities
whose amounts are in an account's currency carry it: a TRANSACTION and a RECURRING_RULE add "currency" (their
account's), a TRANSFER "from_currency" and "to_currency". `snapshot_of` below is the reference.
"""

import datetime
import uuid
from collections.abc import Sequence
from typing import NamedTuple

from django.db import connection
from django.db.models import Max, Model
from django.utils import timezone

from ledger.bulk_insert import InsertedRows, NewTransaction
from ledger.models import (
    Account,
    BalanceVersion,
    Budget,
    Change,
    ChangeOperation,
    EntityType,
    RecurringRule,
    Transaction,
    Transfer,
)
from storage.live import publish_after_commit


class ChangeRecord(NamedTuple):
    """One entity changed by a write, before it is numbered."""

    entity_type: str
    entity_id: uuid.UUID
    operation: str
    snapshot: dict


ENTITY_TYPES: dict[type[Model], str] = {
    Transaction: EntityType.TRANSACTION,
    Transfer: EntityType.TRANSFER,
    Account: EntityType.ACCOUNT,
    Budget: EntityType.BUDGET,
    RecurringRule: EntityType.RECURRING_RULE,
}
# Columns a snapshot leaves out: the owner (implied), idempotency bookkeeping and derived keys.
_NOT_IN_SNAPSHOTS = frozenset(("user_id", "idempotency_key", "idempotency_fingerprint", "name_key", "category_key"))


def snapshot_of(entity: Model, *, currency: str | None = None) -> dict:
    """The entity's snapshot (see the module's docstring). A transaction, transfer or rule must have its account(s)
    loaded (every service locks them with select_related or has them at hand), or a transaction its account's
    `currency` given."""
    snapshot = {
        field.attname: json_value(getattr(entity, field.attname))
        for field in entity._meta.concrete_fields
        if field.attname not in _NOT_IN_SNAPSHOTS
    }
    if isinstance(entity, Transaction | RecurringRule):
        snapshot["currency"] = entity.account.currency if currency is None else currency
    elif isinstance(entity, Transfer):
        snapshot["from_currency"] = entity.from_account.currency
        snapshot["to_currency"] = entity.to_account.currency
    return snapshot


def json_value(value: object) -> object:
    """A column's value as a snapshot holds it."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    return value


def change_of(entity: Model, operation: str) -> ChangeRecord:
    """The change record of a created or updated entity (as saved), or of one about to be deleted (call before
    `delete()`, which forgets the primary key)."""
    return ChangeRecord(ENTITY_TYPES[type(entity)], entity.pk, operation, snapshot_of(entity))


def record_change(user_id: object, entity: Model, operation: str) -> None:
    """record_changes for one entity."""
    record_changes(user_id, [change_of(entity, operation)])


def record_changes(user_id: object, changes: Sequence[ChangeRecord]) -> None:
    """Append `changes` to the user's log, numbered in order; call inside the write's atomic block, after the version
    bump (whose row lock on PostgreSQL makes the numbers gap-free and in commit order). Two statements whatever the
    number of changes (up to _ROWS_PER_INSERT)."""
    if not changes:
        return
    last = allocate_sequence(user_id, len(changes))
    now = _AT.get_db_prep_value(timezone.now(), connection)
    user = _USER.get_db_prep_value(user_id, connection)
    rows = [
        (
            user,
            last - len(changes) + number,
            change.entity_type,
            _ENTITY_ID.get_db_prep_value(change.entity_id, connection),
            change.operation,
            now,
            _SNAPSHOT.get_db_prep_save(change.snapshot, connection),
        )
        for number, change in enumerate(changes, start=1)
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            cursor.execute(_INSERT + ", ".join([_ROW] * len(chunk)), [value for row in chunk for value in row])
    # Issue 14: wake the subscription servers once this commits (never before: readers would not see the rows yet).
    publish_after_commit(user_id, str(last))


def allocate_sequence(user_id: object, count: int) -> int:
    """Take `count` (0 only locks) sequence numbers of the user; returns the last one taken. Holds the user's version
    row lock (PostgreSQL) until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(_ALLOCATE, [_USER.get_db_prep_value(user_id, connection), count])
        return cursor.fetchone()[0]


def lock_change_sequence(user_id: object) -> None:
    """Take the user's version row lock before a write that does not bump the version (ensure_default_account), so
    it locks in the same order as every other write (version row first)."""
    allocate_sequence(user_id, 0)


def inserted_transaction_changes(
    account: Account, rows: Sequence[NewTransaction], inserted: InsertedRows
) -> list[ChangeRecord]:
    """CREATED records of transactions stored without model instances (ledger.bulk_insert, imports): the snapshots
    snapshot_of would give for the stored rows, built from the values."""
    at, account_id = inserted.at.isoformat(), str(account.pk)
    changes = []
    for row_id, (day, amount, kind, category, description, _key) in zip(inserted.ids, rows, strict=True):
        entity_id = uuid.UUID(row_id)
        snapshot = {
            "id": str(entity_id),
            "account_id": account_id,
            "amount_minor": amount,
            "type": kind,
            "description": description,
            "category": category,
            "date": day.isoformat(),
            "created_at": at,
            "updated_at": at,
            "currency": account.currency,
        }
        changes.append(ChangeRecord(EntityType.TRANSACTION, entity_id, ChangeOperation.CREATED, snapshot))
    return changes


def prune_changes(*, older_than: datetime.datetime) -> int:
    """Delete the changes older than `older_than`; returns how many. Per user it deletes a prefix of the sequence (up
    to their newest change that old), never a change in the middle even if clocks went back, so the feed can tell a
    cursor whose next change is gone (CURSOR_EXPIRED, ledger.selectors.changes). Run daily (`manage.py
    prune_changes`); writes never prune."""
    deleted = 0
    cutoffs = Change.objects.filter(at__lt=older_than).values("user_id").annotate(last=Max("sequence")).order_by()
    for cutoff in cutoffs:
        deleted += Change.objects.filter(user_id=cutoff["user_id"], sequence__lte=cutoff["last"]).delete()[0]
    return deleted


_USER = BalanceVersion._meta.get_field("user")
_AT = Change._meta.get_field("at")
_ENTITY_ID = Change._meta.get_field("entity_id")
_SNAPSHOT = Change._meta.get_field("snapshot")
_ALLOCATE = (
    "INSERT INTO ledger_balanceversion (user_id, version, volume_minor, change_sequence) VALUES (%s, 0, 0, %s) "
    "ON CONFLICT (user_id) DO UPDATE "
    "SET change_sequence = ledger_balanceversion.change_sequence + excluded.change_sequence "
    "RETURNING change_sequence"
)
_INSERT = "INSERT INTO ledger_change (user_id, sequence, entity_type, entity_id, operation, at, snapshot) VALUES "
_ROW = "(%s, %s, %s, %s, %s, %s, %s)"
# 7 parameters a row: well under SQLite's 32,766 and PostgreSQL's 65,535 per statement.
_ROWS_PER_INSERT = 1000
