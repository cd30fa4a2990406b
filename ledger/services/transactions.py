"""Writes of income and expense transactions. Each is one short database transaction that bumps the user's balance
version (the cache invalidation), marks the affected rollup buckets dirty for the Go aggregator and appends its
change row (ledger.changes)."""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from accounts.models import User
from ledger import clock, error_codes
from ledger.balance_cache import add_volume, bump_balance_version
from ledger.categories import remember_names
from ledger.changes import record_change
from ledger.currencies import currency_digits
from ledger.models import DEFAULT_CATEGORY, Account, ChangeOperation, Transaction
from ledger.money import parse_minor
from ledger.services.bookkeeping import (
    AccountForWrite,
    account_for_write,
    clean_idempotency_key,
    confirm_account,
    earlier_create,
    input_fingerprint,
    mark_buckets_dirty,
    owned_for_update,
    refuse_archived,
    volume_guard,
)
from ledger.services.single_statement import insert_in_one_statement
from ledger.services.write_targets import WriteTarget, forget_target, remember_target, remembered_target
from ledger.validation import (
    clean_all,
    clean_category,
    clean_description,
    invalid,
    merged_errors,
    not_found,
    parse_transaction_date,
    parse_transaction_id,
    parse_transaction_type,
)


def transaction_create(
    *,
    user: User,
    amount: object,
    type: str,
    description: object = None,
    category: object = None,
    date: object = None,
    idempotency_key: object = None,
    account_id: object = None,
    account_seen: AccountForWrite | None = None,
) -> Transaction:
    """Record an income or expense in one of the user's ledger accounts (their default account when `account_id` is
    None), in that account's currency. A retry with the same `idempotency_key` and the same input returns the first
    transaction; the same key with other input is refused (IDEMPOTENCY_KEY_REUSED).

    `account_seen`: that account as account_for_write reads it, when the caller read it already (with the user:
    ledger.selectors.user_for_write). Either way the write checks it again under the version lock (confirm_account,
    or the one statement's own snapshot)."""
    with merged_errors() as errors:
        with errors.collect():
            target = account_for_write(user, account_id, field="account_id", seen=account_seen)
        digits = currency_digits(target.account.currency) if errors.ok else 2
        with errors.collect():
            fields = _clean_create_input(
                digits,
                amount=amount,
                type=type,
                description=description,
                category=category,
                date=date,
                idempotency_key=idempotency_key,
            )
        # With a key the archive check waits for the retry lookup (below, under the lock): a retry of a create that
        # succeeded before the account was archived answers with the first transaction.
        if errors.ok and idempotency_key is None:
            with errors.collect():
                refuse_archived(target.account, field="account_id")
    row = _new_row(user.pk, target.account.pk, fields, date=date, account_id=account_id)
    row.user = user
    if not target.account.archived and insert_in_one_statement(
        row, currency=target.account.currency, default_account=account_id is None
    ):
        _remember(user.pk, account_id, row.account)
        return row
    # Otherwise (SQLite; on PostgreSQL when the statement above could not vouch for the write, and wrote nothing) the
    # statement sequence, which answers every case.
    key, fingerprint = row.idempotency_key, row.idempotency_fingerprint
    with transaction.atomic(), volume_guard("amount"):
        # The bump comes first: on PostgreSQL its row lock serializes this user's writes, so two retries with one
        # idempotency key cannot both miss the lookup. Without a key the bump also adds the amount to the volume (one
        # statement); with one, the volume waits for the lookup, so a retry of a write that filled the last room is
        # answered with that write instead of being refused.
        version = bump_balance_version(user.pk, volume_change=0 if key is not None else fields["amount_minor"])
        account = confirm_account(user, target, version)
        existing = earlier_create(Transaction.objects.owned_by(user), key, fingerprint, what="transaction")
        if existing is not None:
            return existing
        refuse_archived(account, field="account_id")
        if key is not None:
            add_volume(user.pk, fields["amount_minor"])
        created = Transaction.objects.create(
            user=user, account=account, idempotency_key=key, idempotency_fingerprint=fingerprint, **fields
        )
        remember_names(user.pk, [fields["category"]])
        mark_buckets_dirty(user.pk, [fields["date"]])
        record_change(user.pk, created, ChangeOperation.CREATED)
    _remember(user.pk, account_id, account)  # not archived: refuse_archived above let it through
    return created


def transaction_create_for_token(
    *, user_id: object, token_version: object, account_id: object = None, **given: object
) -> Transaction | None:
    """transaction_create for the holder of a verified access token whose user has not been read, in one round trip:
    the account is the one this user's last create to `account_id` went to (ledger.services.write_targets), and the
    statement that writes checks the caller (active, of this token generation) and the account in its own snapshot.
    `given`: transaction_create's other input (amount, type, and the optional description, category, date and
    idempotency_key).

    None, having written nothing, whenever that cannot answer exactly as transaction_create would: no remembered
    account, any input error, any check that failed, SQLite. The caller then authenticates as usual and calls
    transaction_create, which answers every case (UNAUTHENTICATED first)."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return None
    target = remembered_target(user_id, account_id)
    if target is None:
        return None
    try:
        fields = _clean_create_input(currency_digits(target.currency), **given)
    except ValidationError:
        return None
    row = _new_row(user_id, target.account_pk, fields, date=given.get("date"), account_id=account_id)
    if insert_in_one_statement(
        row, currency=target.currency, token_version=token_version, default_account=account_id is None
    ):
        return row
    forget_target(user_id, account_id)
    return None


def _clean_create_input(digits: int, *, amount: object, type: object, **optional: object) -> dict[str, object]:
    """A create's input cleaned (ValidationError with every problem); `optional`: description, category, date and
    idempotency_key, each None when omitted (then defaulted, but the key)."""
    raw = {"amount": amount, "type": type, "description": "", "category": DEFAULT_CATEGORY}
    raw.update((name, value) for name, value in optional.items() if value is not None)
    if "date" not in raw:
        raw["date"] = clock.today()
    return _clean_fields(digits, **raw)


def _new_row(
    user_id: object, account_pk: object, fields: dict[str, object], *, date: object, account_id: object
) -> Transaction:
    """The unsaved transaction of a create's cleaned fields, with its idempotency key's fingerprint (`date` and
    `account_id` as given, None when omitted). Takes the key out of `fields`, which then hold the row's other columns
    (the statement sequence creates the row from them)."""
    key = fields.pop("idempotency_key", None)
    fingerprint = None
    if key is not None:
        fingerprint = input_fingerprint(
            fields["amount_minor"],
            fields["type"],
            fields["description"],
            fields["category"],
            fields["date"].isoformat() if date is not None else "",
            # The account joins the input only when named: keys stored before accounts existed still match.
            *([] if account_id is None else [account_pk.hex]),
        )
    return Transaction(
        user_id=user_id, account_id=account_pk, idempotency_key=key, idempotency_fingerprint=fingerprint, **fields
    )


def _remember(user_id: object, account_id: object, account: Account) -> None:
    remember_target(user_id, account_id, WriteTarget(account.pk, account.currency))


def transaction_update(
    *,
    user: User,
    transaction_id: object,
    amount: object = None,
    type: object = None,
    description: object = None,
    category: object = None,
    date: object = None,
    account_id: object = None,
) -> Transaction:
    """Change the given fields of one of the user's transactions; fields left None keep their value. It may
    move to another of the user's accounts of the same currency (CURRENCY_MISMATCH otherwise)."""
    given = {
        name: value
        for name, value in {"type": type, "description": description, "category": category, "date": date}.items()
        if value is not None
    }
    with transaction.atomic(), volume_guard("amount"):
        bump_balance_version(user.pk)
        txn = _owned_for_update(user, transaction_id)
        old_date, old_amount = txn.date, txn.amount_minor
        account = txn.account
        with merged_errors() as errors:
            with errors.collect():
                fields = clean_all(given, _FIELD_PARSERS)
            if account_id is not None:
                with errors.collect():
                    account = _move_target(user, account_id, txn.account)
            if amount is not None:
                with errors.collect():
                    digits = currency_digits(account.currency)
                    fields["amount_minor"] = parse_minor(amount, digits=digits)
        txn.account = account
        for name, value in fields.items():
            setattr(txn, name, value)
        txn.save()
        if txn.amount_minor != old_amount:  # after the save: a recount (see add_volume) must see the new amount
            add_volume(user.pk, txn.amount_minor - old_amount)
        if "category" in fields:
            remember_names(user.pk, [fields["category"]])
        mark_buckets_dirty(user.pk, [old_date, txn.date])
        record_change(user.pk, txn, ChangeOperation.UPDATED)
    return txn


def transaction_delete(*, user: User, transaction_id: object) -> str:
    """Delete one of the user's transactions; returns its id."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        txn = _owned_for_update(user, transaction_id)
        deleted_id = str(txn.pk)
        record_change(user.pk, txn, ChangeOperation.DELETED)  # before delete(), which forgets the id
        txn.delete()
        add_volume(user.pk, -txn.amount_minor)
        mark_buckets_dirty(user.pk, [txn.date])
    return deleted_id


def _move_target(user: User, account_id: object, current: Account) -> Account:
    pk = parse_transaction_id(account_id)
    if pk == current.pk:
        return current
    target = None if pk is None else Account.objects.owned_by(user).filter(pk=pk).first()
    if target is None:
        raise not_found("account_id", "account")
    refuse_archived(target, field="account_id")
    if target.currency != current.currency:
        raise invalid(
            "account_id",
            f"A {current.currency} transaction can only move to another {current.currency} account "
            f'("{target.name}" is in {target.currency}).',
            error_codes.CURRENCY_MISMATCH,
        )
    return target


def _owned_for_update(user: User, transaction_id: object) -> Transaction:
    rows = Transaction.objects.owned_by(user).select_related("account")
    return owned_for_update(rows, transaction_id, what="transaction")


def _clean_fields(digits: int, **raw: object) -> dict[str, object]:
    """Validate every given field at once, so the client sees all problems in one answer."""
    parsers = {**_FIELD_PARSERS, "amount": lambda value: parse_minor(value, digits=digits)}
    cleaned = clean_all(raw, parsers)
    if "amount" in cleaned:
        cleaned["amount_minor"] = cleaned.pop("amount")
    return cleaned  # Transaction.save() derives category_key from the category


_FIELD_PARSERS = {
    "type": parse_transaction_type,
    "description": clean_description,
    "category": clean_category,
    "date": parse_transaction_date,
    "idempotency_key": clean_idempotency_key,
}
