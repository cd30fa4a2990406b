"""Writes to the ledger. Each service is one short database transaction that also bumps the user's balance
version (the cache invalidation) and marks the affected rollup buckets dirty for the Go aggregator."""

import contextlib
import datetime
import hashlib
from collections.abc import Iterable, Iterator

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from ledger import error_codes
from ledger.balance_cache import add_volume, bump_balance_version
from ledger.categories import remember_names
from ledger.models import DEFAULT_CATEGORY, DirtyBucket, Transaction
from ledger.money import VolumeLimitExceeded, parse_amount, to_minor, volume_limit_error
from ledger.validation import (
    clean_all,
    clean_text,
    invalid,
    month_of,
    parse_transaction_date,
    parse_transaction_id,
    parse_transaction_type,
)

_UNSET = object()


def transaction_create(
    *,
    user: User,
    amount: object,
    type: str,
    description: object = None,
    category: object = None,
    date: object = None,
    idempotency_key: object = None,
) -> Transaction:
    """Record an income or expense. A retry with the same `idempotency_key` and the same input returns the first
    transaction; the same key with other input is refused (IDEMPOTENCY_KEY_REUSED)."""
    given_key = {} if idempotency_key is None else {"idempotency_key": idempotency_key}
    fields = _clean_fields(
        amount=amount,
        type=type,
        description="" if description is None else description,
        category=DEFAULT_CATEGORY if category is None else category,
        date=timezone.localdate() if date is None else date,
        **given_key,
    )
    key = fields.pop("idempotency_key", None)
    fingerprint = None if key is None else _input_fingerprint(fields, date_given=date is not None)
    with transaction.atomic(), _volume_guard("amount"):
        # The bump comes first: on PostgreSQL its row lock serializes this user's writes, so two retries with one
        # idempotency key cannot both miss the lookup below. Without a key the bump also adds the amount to the
        # volume (one statement); with one, the volume waits for the lookup, so a retry of a write that filled the
        # last room is answered with that write instead of being refused.
        bump_balance_version(user.pk, volume_change=0 if key is not None else fields["amount_minor"])
        if key is not None:
            existing = Transaction.objects.owned_by(user).filter(idempotency_key=key).first()
            if existing is not None:
                transaction.set_rollback(True)
                if existing.idempotency_fingerprint not in (None, fingerprint):
                    raise invalid(
                        "idempotency_key",
                        "This key was already used for a different transaction: use a new key for a new one.",
                        error_codes.IDEMPOTENCY_KEY_REUSED,
                    )
                return existing
            add_volume(user.pk, fields["amount_minor"])
        created = Transaction.objects.create(
            user=user, idempotency_key=key, idempotency_fingerprint=fingerprint, **fields
        )
        remember_names(user.pk, [fields["category"]])
        mark_buckets_dirty(user.pk, [fields["date"]])
    return created


def transaction_update(
    *,
    user: User,
    transaction_id: object,
    amount: object = _UNSET,
    type: object = _UNSET,
    description: object = _UNSET,
    category: object = _UNSET,
    date: object = _UNSET,
) -> Transaction:
    """Change the given fields of one of the user's transactions; omitted (or null) fields keep their value."""
    given = {
        name: value
        for name, value in {
            "amount": amount,
            "type": type,
            "description": description,
            "category": category,
            "date": date,
        }.items()
        if value is not _UNSET and value is not None
    }
    fields = _clean_fields(**given)
    with transaction.atomic(), _volume_guard("amount"):
        bump_balance_version(user.pk)
        txn = _owned_for_update(user, transaction_id)
        old_date, old_amount = txn.date, txn.amount_minor
        for name, value in fields.items():
            setattr(txn, name, value)
        txn.save()
        if txn.amount_minor != old_amount:  # after the save: a recount (see add_volume) must see the new amount
            add_volume(user.pk, txn.amount_minor - old_amount)
        if "category" in fields:
            remember_names(user.pk, [fields["category"]])
        mark_buckets_dirty(user.pk, [old_date, txn.date])
    return txn


def transaction_delete(*, user: User, transaction_id: object) -> str:
    """Delete one of the user's transactions; returns its id."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        txn = _owned_for_update(user, transaction_id)
        deleted_id = str(txn.pk)
        txn.delete()
        add_volume(user.pk, -txn.amount_minor)
        mark_buckets_dirty(user.pk, [txn.date])
    return deleted_id


def _input_fingerprint(fields: dict[str, object], *, date_given: bool) -> str:
    """What makes two creates the same request: the cleaned input as given. An omitted date stays "omitted" (not
    today's date), so a retry the next day is still the same request."""
    parts = (
        str(fields["amount_minor"]),
        str(fields["type"]),
        str(fields["description"]),
        str(fields["category"]),
        fields["date"].isoformat() if date_given else "",
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _volume_guard(field: str) -> Iterator[None]:
    """Turns a refused volume change into the field's error (inside the atomic block, so nothing is written)."""
    try:
        yield
    except VolumeLimitExceeded:
        raise volume_limit_error(field) from None


def _owned_for_update(user: User, transaction_id: object) -> Transaction:
    # Another user's id, a deleted id and a malformed one all give the same answer, so ids reveal nothing.
    pk = parse_transaction_id(transaction_id)
    txn = None if pk is None else Transaction.objects.owned_by(user).select_for_update().filter(pk=pk).first()
    if txn is None:
        raise invalid("id", "No transaction with this id.", error_codes.NOT_FOUND)
    return txn


def _clean_fields(**raw: object) -> dict[str, object]:
    """Validate every given field at once, so the client sees all problems in one answer."""
    cleaned = clean_all(raw, _FIELD_PARSERS)
    if "amount" in cleaned:
        cleaned["amount_minor"] = cleaned.pop("amount")
    return cleaned  # Transaction.save() derives category_key from the category


_FIELD_PARSERS = {
    "amount": lambda value: to_minor(parse_amount(value)),
    "type": parse_transaction_type,
    "description": lambda value: clean_text(
        value, field="description", code=error_codes.INVALID_DESCRIPTION, max_length=255
    ),
    "category": lambda value: clean_text(
        value, field="category", code=error_codes.INVALID_CATEGORY, min_length=1, max_length=50
    ),
    "date": parse_transaction_date,
    "idempotency_key": lambda value: clean_text(
        value, field="idempotency_key", code=error_codes.INVALID_IDEMPOTENCY_KEY, min_length=1, max_length=255
    ),
}


def mark_buckets_dirty(user_id: object, days: Iterable[datetime.date]) -> None:
    """Upsert a dirty row per affected (user, month) and bump its generation (see ledger.models.DirtyBucket)."""
    user_param = DirtyBucket._meta.get_field("user").get_db_prep_value(user_id, connection)
    now = DirtyBucket._meta.get_field("marked_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        for month in sorted({month_of(day) for day in days}):
            cursor.execute(
                "INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) VALUES (%s, %s, 1, %s) "
                "ON CONFLICT (user_id, month) DO UPDATE SET "
                "generation = ledger_dirtybucket.generation + 1, marked_at = excluded.marked_at",
                [user_param, month, now],
            )
