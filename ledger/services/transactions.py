"""Writes of income and expense transactions. Each is one short database transaction that bumps the user's balance
version (the cache invalidation), marks the affected rollup buckets dirty for the Go aggregator and appends its
change row (ledger.changes)."""

from django.db import transaction

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
    given_key = {} if idempotency_key is None else {"idempotency_key": idempotency_key}
    with merged_errors() as errors:
        with errors.collect():
            target = account_for_write(user, account_id, field="account_id", seen=account_seen)
        digits = currency_digits(target.account.currency) if errors.ok else 2
        with errors.collect():
            fields = _clean_fields(
                digits,
                amount=amount,
                type=type,
                description="" if description is None else description,
                category=DEFAULT_CATEGORY if category is None else category,
                date=clock.today() if date is None else date,
                **given_key,
            )
        # With a key the archive check waits for the retry lookup (below, under the lock): a retry of a create that
        # succeeded before the account was archived answers with the first transaction.
        if errors.ok and idempotency_key is None:
            with errors.collect():
                refuse_archived(target.account, field="account_id")
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
            *([] if account_id is None else [target.account.pk.hex]),
        )
    row = Transaction(
        user=user, account=target.account, idempotency_key=key, idempotency_fingerprint=fingerprint, **fields
    )
    if not target.account.archived and insert_in_one_statement(row):
        return row
    # Otherwise (SQLite; on PostgreSQL when the statement above could not vouch for the write, and wrote nothing) the
    # statement sequence, which answers every case.
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
    return created


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
