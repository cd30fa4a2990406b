"""Writes of ledger accounts (checking, savings, a card...), and registration, which gives every new user their
default account in the same database transaction. Each write bumps the user's balance version (account balances and
net worth are cached under it, ledger.balance_cache) and appends a change row per account it changed
(ledger.changes; the default account made by ensure_default_account is one too)."""

from django.db import IntegrityError, transaction

from accounts import services as identity_services
from accounts.models import User
from ledger import error_codes
from ledger.balance_cache import add_volume, bump_balance_version
from ledger.changes import change_of, record_change, record_changes
from ledger.currencies import currency_digits, default_currency, parse_currency
from ledger.models import (
    Account,
    AccountKind,
    ChangeOperation,
    RecurringRule,
    Transaction,
    Transfer,
    account_name_key,
)
from ledger.money import from_minor, parse_minor, to_minor
from ledger.services.bookkeeping import (
    clean_idempotency_key,
    earlier_create,
    ensure_default_account,
    input_fingerprint,
    owned_for_update,
    refuse_archived,
    volume_guard,
)
from ledger.validation import clean_text, invalid, merged_errors


def user_register(
    *, username: object, email: object, password: object, address: str = "unknown", currency: object = None
) -> User:
    """Create an active user and their default ledger account ("Main", checking, in `currency` or DEFAULT_CURRENCY),
    both or neither. Every problem (the currency's too) is reported in one answer."""
    with merged_errors() as errors, transaction.atomic():
        with errors.collect():
            code = default_currency() if currency is None else parse_currency(currency)
        with errors.collect():
            user = identity_services.user_register(username=username, email=email, password=password, address=address)
        if errors.ok:
            ensure_default_account(user=user, currency=code)
        else:
            transaction.set_rollback(True)
    return user


def account_create(
    *,
    user: User,
    name: object,
    kind: object,
    currency: object = None,
    opening_balance: object = None,
    idempotency_key: object = None,
) -> Account:
    """A new ledger account; `currency` defaults to the default account's. Names are unique per user in any case."""
    with merged_errors() as errors:
        with errors.collect():
            name = _clean_name(name)
        with errors.collect():
            kind = _parse_kind(kind)
        with errors.collect():
            code = ensure_default_account(user=user).currency if currency is None else parse_currency(currency)
        opening = 0
        if opening_balance is not None and errors.ok:
            with errors.collect():
                opening = _parse_opening(opening_balance, code)
        if idempotency_key is not None:
            with errors.collect():
                idempotency_key = clean_idempotency_key(idempotency_key)
    fingerprint = None
    if idempotency_key is not None:
        fingerprint = input_fingerprint(name, kind, "" if currency is None else code, opening)
    try:
        with transaction.atomic(), volume_guard("opening_balance"):
            bump_balance_version(user.pk, volume_change=0 if idempotency_key is not None else abs(opening))
            existing = earlier_create(Account.objects.owned_by(user), idempotency_key, fingerprint, what="account")
            if existing is not None:
                return existing
            if idempotency_key is not None:
                add_volume(user.pk, abs(opening))
            _refuse_taken_name(user, name, except_id=None)
            account = Account.objects.create(
                user=user,
                name=name,
                kind=kind,
                currency=code,
                opening_balance_minor=opening,
                idempotency_key=idempotency_key,
                idempotency_fingerprint=fingerprint,
            )
            record_change(user.pk, account, ChangeOperation.CREATED)
            return account
    except IntegrityError:  # a concurrent create took the name between the check and the insert
        raise _taken_name() from None


def account_update(
    *,
    user: User,
    account_id: object,
    name: object = None,
    kind: object = None,
    opening_balance: object = None,
    archived: object = None,
    currency: object = None,
) -> Account:
    """Change the given fields (None keeps a value). The default account cannot be archived. The
    currency can change only while the account has no entries (ACCOUNT_NOT_EMPTY); the opening balance keeps its
    value, and must then be given again when the new currency has too few digits for it (INVALID_AMOUNT)."""
    try:
        with transaction.atomic(), volume_guard("opening_balance"):
            bump_balance_version(user.pk)
            account = _owned_for_update(user, account_id)
            old_opening = account.opening_balance_minor
            with merged_errors() as errors:
                if name is not None:
                    with errors.collect():
                        account.name = _clean_name(name)
                        _refuse_taken_name(user, account.name, except_id=account.pk)
                if kind is not None:
                    with errors.collect():
                        account.kind = _parse_kind(kind)
                if currency is not None:
                    with errors.collect():
                        _change_currency(account, parse_currency(currency), reopen=opening_balance is not None)
                if opening_balance is not None:
                    with errors.collect():
                        account.opening_balance_minor = _parse_opening(opening_balance, account.currency)
                if archived is not None:
                    with errors.collect():
                        if archived and account.is_default:
                            raise _default_account_error("archived")
                    account.archived = bool(archived)
            account.save()
            if abs(account.opening_balance_minor) != abs(old_opening):
                add_volume(user.pk, abs(account.opening_balance_minor) - abs(old_opening))
            record_change(user.pk, account, ChangeOperation.UPDATED)
            return account
    except IntegrityError:
        raise _taken_name() from None


def _change_currency(account: Account, code: str, *, reopen: bool) -> None:
    """Switch an account without entries to `code`; the opening balance keeps its value in the new digits unless
    `reopen` (a new one is given in the same update)."""
    if code == account.currency:
        return
    if _has_entries(account):
        raise invalid(
            "currency",
            f'"{account.name}" has entries in {account.currency}: its currency is fixed. Open another account.',
            error_codes.ACCOUNT_NOT_EMPTY,
        )
    if not reopen:
        value = from_minor(account.opening_balance_minor, currency_digits(account.currency))
        try:
            account.opening_balance_minor = to_minor(value, currency_digits(code))
        except ValueError:
            raise invalid(
                "opening_balance",
                f"The opening balance {value} has more decimals than {code} has: give openingBalance in {code} too.",
                error_codes.INVALID_AMOUNT,
            ) from None
    account.currency = code


def _has_entries(account: Account) -> bool:
    return (
        Transaction.objects.filter(account=account).exists()
        or Transfer.objects.filter(from_account=account).exists()
        or Transfer.objects.filter(to_account=account).exists()
        # A rule's amount is in its account's digits, and the rule would record into a deleted account.
        or RecurringRule.objects.filter(account=account).exists()
    )


def account_delete(*, user: User, account_id: object) -> str:
    """Delete an account without entries (ACCOUNT_NOT_EMPTY otherwise); never the default one. Returns its id."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        account = _owned_for_update(user, account_id)
        if account.is_default:
            raise _default_account_error("id")
        if _has_entries(account):
            raise invalid(
                "id",
                f'"{account.name}" has entries or recurring rules: delete or move them first, '
                "or archive the account instead.",
                error_codes.ACCOUNT_NOT_EMPTY,
            )
        deleted_id = str(account.pk)
        record_change(user.pk, account, ChangeOperation.DELETED)  # before delete(), which forgets the id
        account.delete()
        add_volume(user.pk, -abs(account.opening_balance_minor))
    return deleted_id


def account_set_default(*, user: User, account_id: object) -> Account:
    """Make this account the user's default (where transactions without an account go, and whose currency balance and
    analytics use when asked for none)."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        account = _owned_for_update(user, account_id)
        refuse_archived(account, field="id")
        if not account.is_default:
            # Cleared first: at most one default per user is a unique index, checked per statement. Both accounts
            # change (two change rows), the former default first.
            changed = []
            for former in Account.objects.owned_by(user).filter(is_default=True).select_for_update():
                former.is_default = False
                former.save(update_fields=["is_default", "updated_at"])
                changed.append(change_of(former, ChangeOperation.UPDATED))
            account.is_default = True
            account.save(update_fields=["is_default", "updated_at"])
            record_changes(user.pk, [*changed, change_of(account, ChangeOperation.UPDATED)])
    return account


def _owned_for_update(user: User, account_id: object) -> Account:
    return owned_for_update(Account.objects.owned_by(user), account_id, what="account")


def _clean_name(raw: object) -> str:
    return clean_text(raw, field="name", code=error_codes.INVALID_ACCOUNT_NAME, min_length=1, max_length=100)


def _parse_kind(raw: object) -> str:
    try:
        return AccountKind(raw).value
    except ValueError:
        raise invalid("kind", "Not an account kind.", error_codes.INVALID_ACCOUNT_KIND) from None


def _parse_opening(raw: object, currency: str) -> int:
    digits = currency_digits(currency)
    return parse_minor(raw, field="opening_balance", digits=digits, signed=True)


def _refuse_taken_name(user: User, name: str, *, except_id: object) -> None:
    taken = Account.objects.owned_by(user).filter(name_key=account_name_key(name))
    if except_id is not None:
        taken = taken.exclude(pk=except_id)
    if taken.exists():
        raise _taken_name()


def _taken_name() -> Exception:
    return invalid(
        "name",
        "You already have an account of this name (names are compared without case).",
        error_codes.DUPLICATE_ACCOUNT_NAME,
    )


def _default_account_error(field: str) -> Exception:
    return invalid(
        field,
        "This is your default account: make another account the default first.",
        error_codes.DEFAULT_ACCOUNT,
    )
