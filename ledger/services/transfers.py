"""Writes of transfers: money moved between two of a user's ledger accounts, both legs in one row and one database
transaction. They move account balances and net worth, never income or expense."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from ledger import error_codes
from ledger.balance_cache import add_volume, bump_balance_version
from ledger.currencies import currency_digits
from ledger.models import Account, Transfer
from ledger.money import parse_amount, to_minor
from ledger.services.bookkeeping import (
    account_for_write,
    confirm_account,
    earlier_create,
    input_fingerprint,
    mark_buckets_dirty,
    refuse_archived,
    volume_guard,
)
from ledger.validation import (
    ErrorCollector,
    clean_text,
    invalid,
    merged_errors,
    parse_transaction_date,
    parse_transaction_id,
)

_UNSET = object()


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
            date=timezone.localdate() if date is None else date,
            description="" if description is None else description,
        )
        if idempotency_key is not None:
            with errors.collect():
                idempotency_key = clean_text(
                    idempotency_key,
                    field="idempotency_key",
                    code=error_codes.INVALID_IDEMPOTENCY_KEY,
                    min_length=1,
                    max_length=255,
                )
        if errors.ok:
            # With a key the archive check waits for the retry lookup (below, under the lock): a retry of a create
            # that succeeded before an account was archived answers with the first transfer.
            for leg, field in ((source, "from_account_id"), (target, "to_account_id")):
                if idempotency_key is None:
                    with errors.collect():
                        refuse_archived(leg.account, field=field)
            amounts = _amounts(
                errors, source.account, target.account, amount, to_amount, to_amount_given=to_amount is not None
            )
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
    return created


def transfer_update(
    *,
    user: User,
    transfer_id: object,
    amount: object = _UNSET,
    to_amount: object = _UNSET,
    date: object = _UNSET,
    description: object = _UNSET,
) -> Transfer:
    """Change the given fields. Between accounts of one currency the two amounts stay equal: a new `amount` is also
    the new `toAmount` (which, when given too, must equal it)."""
    given = {
        name: value
        for name, value in {"date": date, "description": description}.items()
        if value is not _UNSET and value is not None
    }
    with transaction.atomic(), volume_guard("amount"):
        bump_balance_version(user.pk)
        transfer = _owned_for_update(user, transfer_id)
        old_date, old_volume = transfer.date, transfer.amount_minor + transfer.to_amount_minor
        new_amount = None if amount is _UNSET else amount
        new_to_amount = None if to_amount is _UNSET else to_amount
        with merged_errors() as errors:
            fields = _clean_common(errors, **given)
            if new_amount is not None or new_to_amount is not None:
                amounts = _amounts(
                    errors,
                    transfer.from_account,
                    transfer.to_account,
                    new_amount,
                    new_to_amount,
                    to_amount_given=new_to_amount is not None,
                    current=(transfer.amount_minor, transfer.to_amount_minor),
                )
        if new_amount is not None or new_to_amount is not None:
            transfer.amount_minor, transfer.to_amount_minor = amounts
        for name, value in fields.items():
            setattr(transfer, name, value)
        transfer.save()
        volume = transfer.amount_minor + transfer.to_amount_minor
        if volume != old_volume:
            add_volume(user.pk, volume - old_volume)
        mark_buckets_dirty(user.pk, [old_date, transfer.date])
    return transfer


def transfer_delete(*, user: User, transfer_id: object) -> str:
    """Delete one of the user's transfers (both legs); returns its id."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        transfer = _owned_for_update(user, transfer_id)
        deleted_id = str(transfer.pk)
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
    to_amount_given: bool,
    current: tuple[int, int] | None = None,
) -> tuple[int, int]:
    """(amount, toAmount) in minor units of each account's currency. `current`: the stored pair an update starts
    from (None for a create, where `amount` is required)."""
    source_digits, target_digits = currency_digits(source.currency), currency_digits(target.currency)
    amount_minor = None if current is None else current[0]
    to_amount_minor = None if current is None else current[1]
    if amount is not None or current is None:
        with errors.collect():
            amount_minor = to_minor(parse_amount(amount, digits=source_digits), source_digits)
    if to_amount_given:
        with errors.collect():
            to_amount_minor = to_minor(parse_amount(to_amount, field="to_amount", digits=target_digits), target_digits)
    if source.currency == target.currency:
        if not to_amount_given:
            to_amount_minor = amount_minor
        elif amount_minor is not None and to_amount_minor is not None and amount_minor != to_amount_minor:
            with errors.collect():
                raise invalid(
                    "to_amount",
                    f"Both accounts are in {source.currency}: toAmount must equal amount (or be omitted).",
                    error_codes.INVALID_AMOUNT,
                )
    elif current is None and not to_amount_given:
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
            cleaned["description"] = clean_text(
                raw["description"], field="description", code=error_codes.INVALID_DESCRIPTION, max_length=255
            )
    return cleaned


def _owned_for_update(user: User, transfer_id: object) -> Transfer:
    pk = parse_transaction_id(transfer_id)
    transfer = (
        None
        if pk is None
        else Transfer.objects.filter(user_id=user.pk)
        .select_for_update(of=("self",))
        .select_related("from_account", "to_account")
        .filter(pk=pk)
        .first()
    )
    if transfer is None:
        raise invalid("id", "No transfer with this id.", error_codes.NOT_FOUND)
    return transfer
