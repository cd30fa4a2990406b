"""Writes of transfers: money moved between two of a user's ledger accounts, both legs in one row and one database
transaction (with its change row, ledger.changes). They move account balances and net worth, never income or expense."""

from django.db import transaction

from accounts.models import User
from ledger import clock, error_codes
from ledger.balance_cache import add_volume, bump_balance_version
from ledger.changes import record_change
from ledger.currencies import currency_digits
from ledger.models import Account, ChangeOperation, Transfer
from ledger.money import parse_minor
from ledger.services.bookkeeping import (
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
from ledger.validation import (
    ErrorCollector,
    clean_description,
    invalid,
    merged_errors,
    parse_transaction_date,
)


def transfer_create(
    *,
    user: User,
    from_account_id: object,
    to_account_id: object,
    amount: object,
    to_amount: object = None,
    date: object = None,
    description: object = None,
    idempotency_key: object = None,
) -> Transfer:
    """Move `amount` out of one of the user's accounts and `to_amount` into another (equal to `amount`, and may be
    omitted, when the currencies match; required when they differ). Idempotent like every create."""
    with merged_errors() as errors:
        with errors.collect():
            source = account_for_write(user, from_account_id, field="from_account_id")
        with errors.collect():
            target = account_for_write(user, to_account_id, field="to_account_id")
        if errors.ok and source.account.pk == target.account.pk:
            with errors.collect():
                raise invalid("to_account_id", "A transfer needs two different accounts.", error_codes.INVALID_TRANSFER)
        fields = _clean_common(
            errors,
            date=clock.today() if date is None else date,
            description="" if description is None else description,
        )
        if idempotency_key is not None:
            with errors.collect():
                idempotency_key = clean_idempotency_key(idempotency_key)
        if errors.ok:
            # With a key the archive check waits for the retry lookup (below, under the lock): a retry of a create
            # that succeeded before an account was archived answers with the first transfer.
            for leg, field in ((source, "from_account_id"), (target, "to_account_id")):
                if idempotency_key is None:
                    with errors.collect():
                        refuse_archived(leg.account, field=field)
            amounts = _amounts(errors, source.account, target.account, amount, to_amount)
    amount_minor, to_amount_minor = amounts
    fingerprint = None
    if idempotency_key is not None:
        fingerprint = input_fingerprint(
            source.account.pk.hex,
            target.account.pk.hex,
            amount_minor,
            to_amount_minor,
            fields["date"].isoformat() if date is not None else "",
            fields["description"],
        )
    volume = amount_minor + to_amount_minor
    with transaction.atomic(), volume_guard("amount"):
        version = bump_balance_version(user.pk, volume_change=0 if idempotency_key is not None else volume)
        existing = earlier_create(
            Transfer.objects.filter(user_id=user.pk), idempotency_key, fingerprint, what="transfer"
        )
        if existing is not None:
            return existing
        # Both accounts as they are under the lock: the second confirmation reads again when the first had to.
        from_account = confirm_account(user, source, version, field="from_account_id")
        to_account = confirm_account(user, target, version, field="to_account_id")
        refuse_archived(from_account, field="from_account_id")
        refuse_archived(to_account, field="to_account_id")
        if idempotency_key is not None:
            add_volume(user.pk, volume)
        created = Transfer.objects.create(
            user=user,
            from_account=from_account,
            to_account=to_account,
            amount_minor=amount_minor,
            to_amount_minor=to_amount_minor,
            idempotency_key=idempotency_key,
            idempotency_fingerprint=fingerprint,
            **fields,
        )
        mark_buckets_dirty(user.pk, [fields["date"]])
        record_change(user.pk, created, ChangeOperation.CREATED)
    return created


def transfer_update(
    *,
    user: User,
    transfer_id: object,
    amount: object = None,
    to_amount: object = None,
    date: object = None,
    description: object = None,
) -> Transfer:
    """Change the given fields (None keeps a value). Between accounts of one currency the two amounts stay equal: a
    new `amount` is also the new `toAmount` (which, when given too, must equal it)."""
    given = {name: value for name, value in {"date": date, "description": description}.items() if value is not None}
    with transaction.atomic(), volume_guard("amount"):
        bump_balance_version(user.pk)
        transfer = _owned_for_update(user, transfer_id)
        old_date, old_volume = transfer.date, transfer.amount_minor + transfer.to_amount_minor
        with merged_errors() as errors:
            fields = _clean_common(errors, **given)
            if amount is not None or to_amount is not None:
                amounts = _amounts(
                    errors,
                    transfer.from_account,
                    transfer.to_account,
                    amount,
                    to_amount,
                    current=(transfer.amount_minor, transfer.to_amount_minor),
                )
        if amount is not None or to_amount is not None:
            transfer.amount_minor, transfer.to_amount_minor = amounts
        for name, value in fields.items():
            setattr(transfer, name, value)
        transfer.save()
        volume = transfer.amount_minor + transfer.to_amount_minor
        if volume != old_volume:
            add_volume(user.pk, volume - old_volume)
        mark_buckets_dirty(user.pk, [old_date, transfer.date])
        record_change(user.pk, transfer, ChangeOperation.UPDATED)
    return transfer


def transfer_delete(*, user: User, transfer_id: object) -> str:
    """Delete one of the user's transfers (both legs); returns its id."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        transfer = _owned_for_update(user, transfer_id)
        deleted_id = str(transfer.pk)
        record_change(user.pk, transfer, ChangeOperation.DELETED)  # before delete(), which forgets the id
        transfer.delete()
        add_volume(user.pk, -(transfer.amount_minor + transfer.to_amount_minor))
        mark_buckets_dirty(user.pk, [transfer.date])
    return deleted_id


def _amounts(
    errors: ErrorCollector,
    source: Account,
    target: Account,
    amount: object,
    to_amount: object,
    *,
    current: tuple[int, int] | None = None,
) -> tuple[int, int]:
    """(amount, toAmount) in minor units of each account's currency. `current`: the stored pair an update starts
    from (None for a create, where `amount` is required)."""
    source_digits, target_digits = currency_digits(source.currency), currency_digits(target.currency)
    amount_minor = None if current is None else current[0]
    to_amount_minor = None if current is None else current[1]
    if amount is not None or current is None:
        with errors.collect():
            amount_minor = parse_minor(amount, digits=source_digits)
    if to_amount is not None:
        with errors.collect():
            to_amount_minor = parse_minor(to_amount, field="to_amount", digits=target_digits)
    if source.currency == target.currency:
        if to_amount is None:
            to_amount_minor = amount_minor
        elif amount_minor is not None and to_amount_minor is not None and amount_minor != to_amount_minor:
            with errors.collect():
                raise invalid(
                    "to_amount",
                    f"Both accounts are in {source.currency}: toAmount must equal amount (or be omitted).",
                    error_codes.INVALID_AMOUNT,
                )
    elif current is None and to_amount is None:
        with errors.collect():
            raise invalid(
                "to_amount",
                f"The accounts are in {source.currency} and {target.currency}: give toAmount, what arrives in "
                f"{target.currency}.",
                error_codes.INVALID_AMOUNT,
            )
    return amount_minor, to_amount_minor


def _clean_common(errors: ErrorCollector, **raw: object) -> dict[str, object]:
    cleaned: dict[str, object] = {}
    if "date" in raw:
        with errors.collect():
            cleaned["date"] = parse_transaction_date(raw["date"])
    if "description" in raw:
        with errors.collect():
            cleaned["description"] = clean_description(raw["description"])
    return cleaned


def _owned_for_update(user: User, transfer_id: object) -> Transfer:
    rows = Transfer.objects.filter(user_id=user.pk).select_related("from_account", "to_account")
    return owned_for_update(rows, transfer_id, what="transfer")
