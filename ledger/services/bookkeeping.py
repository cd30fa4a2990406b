"""What every ledger write does besides its own rows, through one function each: the volume guard, the dirty marks
for the Go aggregator, idempotent retries, and finding the caller's ledger account to write to.

The version bump itself is ledger.balance_cache.bump_balance_version (it owns the cache keys it invalidates).
"""

import contextlib
import datetime
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from accounts.models import User
from ledger import error_codes
from ledger.changes import lock_change_sequence, record_change
from ledger.currencies import default_currency
from ledger.models import Account, ChangeOperation, DirtyBucket, account_name_key
from ledger.money import VolumeLimitExceeded, volume_limit_error
from ledger.validation import clean_text, invalid, month_of, not_found, parse_transaction_id
from storage.connections import prepared_cursor
from storage.rows import model_from_row


def mark_buckets_dirty(user_id: object, days: Iterable[datetime.date]) -> None:
    """Upsert a dirty row per affected (user, month) and bump its generation (see ledger.models.DirtyBucket)."""
    user_param = DirtyBucket._meta.get_field("user").get_db_prep_value(user_id, connection)
    now = DirtyBucket._meta.get_field("marked_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        for month in sorted({month_of(day) for day in days}):
            cursor.execute(DIRTY_BUCKET_UPSERT.format(marked="VALUES (%s, %s, 1, %s)"), [user_param, month, now])


# `marked` gives (user_id, month, 1, marked_at): VALUES here, a SELECT in a write done in one statement.
DIRTY_BUCKET_UPSERT = (
    "INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) {marked} "
    "ON CONFLICT (user_id, month) DO UPDATE SET "
    "generation = ledger_dirtybucket.generation + 1, marked_at = excluded.marked_at"
)


@contextlib.contextmanager
def volume_guard(field: str) -> Iterator[None]:
    """Turns a refused volume change into the field's error (inside the atomic block, so nothing is written)."""
    try:
        yield
    except VolumeLimitExceeded:
        raise volume_limit_error(field) from None


def input_fingerprint(*parts: object) -> str:
    """What makes two creates the same request: their cleaned input as given (an omitted optional value passed as
    "", so "omitted" stays distinct from any value the server would fill in, like today's date)."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8")).hexdigest()


def earlier_create(
    queryset: models.QuerySet, key: str | None, fingerprint: str | None, *, what: str
) -> models.Model | None:
    """The row an earlier create with this idempotency key made, or None; raises IDEMPOTENCY_KEY_REUSED when that
    create had other input. Call after the version bump: on PostgreSQL its row lock serializes the user's writes, so
    two retries with one key cannot both find nothing. Rolls the caller's transaction back when it answers a retry."""
    if key is None:
        return None
    existing = queryset.filter(idempotency_key=key).first()
    if existing is None:
        return None
    transaction.set_rollback(True)
    if existing.idempotency_fingerprint not in (None, fingerprint):
        raise invalid(
            "idempotency_key",
            f"This key was already used for a different {what}: use a new key for a new one.",
            error_codes.IDEMPOTENCY_KEY_REUSED,
        )
    return existing


def clean_idempotency_key(raw: object) -> str:
    """The key a create is retried under: 1-255 storable characters (INVALID_IDEMPOTENCY_KEY)."""
    return clean_text(
        raw, field="idempotency_key", code=error_codes.INVALID_IDEMPOTENCY_KEY, min_length=1, max_length=255
    )


def owned_for_update(rows: models.QuerySet, raw_id: object, *, what: str, field: str = "id") -> models.Model:
    """The row with this id among `rows` (already scoped to the caller), locked for the write; NOT_FOUND on `field`
    otherwise. Another user's id, a deleted id and a malformed one all give the same answer, so ids reveal nothing."""
    pk = parse_transaction_id(raw_id)
    row = None if pk is None else rows.select_for_update(of=("self",)).filter(pk=pk).first()
    if row is None:
        raise not_found(field, what)
    return row


@dataclass(frozen=True)
class AccountForWrite:
    """A ledger account read before the write's transaction, and the user's version at that read."""

    account: Account
    version_seen: int


def account_for_write(
    user: User, account_id: object, *, field: str, seen: AccountForWrite | None = None
) -> AccountForWrite:
    """The caller's account with this id (their default account when None), with their balance version in the same
    statement; NOT_FOUND on `field` for anything else (another user's id answers exactly like a missing one). `seen`
    is that read when the request made it with its caller (ledger.selectors.user_for_write): nothing is read again.

    Raw SQL, prepared on PostgreSQL (storage.connections): it runs before every create, and composing the equivalent
    ORM query (a filter and a Subquery annotation) cost more than its round trip.
    """
    if seen is not None:
        return seen
    which = account_choice(account_id)
    if which is None:
        raise not_found(field, "account")
    condition, params = which
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {ACCOUNT_FOR_WRITE_COLUMNS} FROM ledger_account a "  # noqa: S608 (no client input)
            f"LEFT JOIN ledger_balanceversion v ON v.user_id = a.user_id WHERE a.user_id = %s AND {condition}",
            [Account._meta.get_field("user").get_db_prep_value(user.pk, connection), *params],
        )
        found = cursor.fetchone()
    seen = account_for_write_from_row(found)
    if seen is None:
        if account_id is None:
            ensure_default_account(user=user)
            return account_for_write(user, None, field=field)
        raise not_found(field, "account")
    return seen


def account_choice(account_id: object) -> tuple[str, list[object]] | None:
    """The SQL condition on `a` (ledger_account) that picks the account a write names (the default account when
    `account_id` is None) and its parameters; None for an id that names no account (malformed)."""
    if account_id is None:
        return "a.is_default", []
    pk = parse_transaction_id(account_id)
    if pk is None:
        return None
    return "a.id = %s", [Account._meta.pk.get_db_prep_value(pk, connection)]


def account_for_write_from_row(values: Sequence[object] | None) -> AccountForWrite | None:
    """What ACCOUNT_FOR_WRITE_COLUMNS read (None, or NULLs from an outer join: no such account)."""
    if values is None or values[0] is None:
        return None
    *account, version_seen = values
    return AccountForWrite(account_from_row(account), version_seen)


def account_from_row(values: Sequence[object]) -> Account:
    """An Account from the values of `a.<column>` for each of its columns in model order (SQL that selects
    ACCOUNT_COLUMNS)."""
    return model_from_row(Account, _ACCOUNT_ATTNAMES, values)


_ACCOUNT_ATTNAMES = [account_field.attname for account_field in Account._meta.concrete_fields]
ACCOUNT_COLUMNS = ", ".join(f"a.{account_field.column}" for account_field in Account._meta.concrete_fields)
# What account_for_write reads: the account's columns, then the version from `v` (ledger_balanceversion, outer-joined).
ACCOUNT_FOR_WRITE_COLUMNS = f"{ACCOUNT_COLUMNS}, COALESCE(v.version, 0)"


def confirm_account(user: User, seen: AccountForWrite, new_version: int, *, field: str = "account_id") -> Account:
    """The account as it is under this write's version lock. Every write bumps the version, so when the bump moved it
    by exactly one, nothing (an archive, a delete) changed since `seen` was read and it is returned as is; otherwise it
    is read again (NOT_FOUND on `field` when it was deleted meanwhile). Saves a statement on every create without a
    window for races."""
    if new_version == seen.version_seen + 1:
        return seen.account
    account = Account.objects.owned_by(user).filter(pk=seen.account.pk).first()
    if account is None:
        raise not_found(field, "account")
    if account.currency != seen.account.currency:
        # An account without entries may change its currency: the amount was read in the old one's digits.
        raise invalid(
            field,
            f"The account's currency changed to {account.currency} meanwhile: send the amount again in it.",
            error_codes.CURRENCY_MISMATCH,
        )
    return account


def refuse_archived(account: Account, *, field: str) -> None:
    if account.archived:
        raise invalid(
            field,
            f'The account "{account.name}" is archived: it keeps its entries but takes no new ones.',
            error_codes.ACCOUNT_ARCHIVED,
        )


MAIN_ACCOUNT_NAME = "Main"


def ensure_default_account(*, user: User, currency: str | None = None) -> Account:
    """The user's default account, created ("Main", checking, `currency` or DEFAULT_CURRENCY) when they have none.

    Registration creates it; this also covers users made any other way (createsuperuser, scripts). Creating it does
    not bump the balance version: it changes no figure (no entries, opening balance 0), and cached figures never
    lack it, because computing them (ledger.selectors.figures) calls this first. It is a change all the same (an
    ACCOUNT CREATED row: a client syncing accounts must see it), so it takes the user's version row lock first, as
    every write does, and its sequence number from that row without bumping the version.
    """
    existing = Account.objects.owned_by(user).filter(is_default=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            # The lock before the insert: the order of every other write (a default account inserted first could
            # deadlock with an account_set_default holding the lock and waiting on the one-default index).
            lock_change_sequence(user.pk)
            name = MAIN_ACCOUNT_NAME
            if Account.objects.owned_by(user).filter(name_key=account_name_key(name)).exists():
                name = f"{MAIN_ACCOUNT_NAME} ({(currency or default_currency())})"
            account = Account.objects.create(
                user=user, name=name, kind="checking", currency=currency or default_currency(), is_default=True
            )
            record_change(user.pk, account, ChangeOperation.CREATED)
            return account
    except IntegrityError:  # a concurrent request created it first
        return Account.objects.owned_by(user).get(is_default=True)
