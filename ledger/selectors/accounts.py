"""Reads of ledger accounts and transfers, scoped to their owner (another user's id answers like a missing one)."""

from dataclasses import dataclass

from django.db.models.functions import Lower

from accounts.models import User
from ledger import error_codes
from ledger.currencies import parse_currency
from ledger.models import Account, Transfer
from ledger.services.bookkeeping import ensure_default_account
from ledger.validation import invalid, not_found, parse_transaction_id


def account_list(*, user: User, include_archived: bool = False) -> list[Account]:
    """The user's accounts by name (without regard to case)."""
    accounts = list(Account.objects.owned_by(user).order_by("name_key", Lower("name"), "id"))
    if not any(account.is_default for account in accounts):  # a user made without one (createsuperuser, scripts)
        ensure_default_account(user=user)
        return account_list(user=user, include_archived=include_archived)
    return [account for account in accounts if include_archived or not account.archived]


def account_get(*, user: User, account_id: object) -> Account | None:
    pk = parse_transaction_id(account_id)
    return None if pk is None else Account.objects.owned_by(user).filter(pk=pk).first()


def owned_account(*, user: User, account_id: object, field: str = "account_id") -> Account:
    """account_get, or NOT_FOUND on `field` (for arguments that must name one of the caller's accounts)."""
    account = account_get(user=user, account_id=account_id)
    if account is None:
        raise not_found(field, "account")
    return account


def default_account(*, user: User) -> Account:
    return ensure_default_account(user=user)


def accounts_by_id(*, user: User) -> dict[object, Account]:
    """Every account of the user by primary key: one query serves any number of transactions' `account` fields."""
    return {account.pk: account for account in Account.objects.owned_by(user)}


def transfer_get(*, user: User, transfer_id: object) -> Transfer | None:
    pk = parse_transaction_id(transfer_id)
    transfers = Transfer.objects.filter(user_id=user.pk).select_related("from_account", "to_account")
    return None if pk is None else transfers.filter(pk=pk).first()


@dataclass(frozen=True)
class AccountScope:
    """Which accounts a figure covers: one currency, and within it all accounts or one."""

    currency: str
    account_ids: list[object]


def account_scope(*, user: User, currency: object = None, account_id: object = None) -> AccountScope:
    """The accounts an analytics query covers: the named account, or every account in `currency`, or (neither given)
    every account in the default account's currency. NOT_FOUND for an account that is not the caller's;
    CURRENCY_MISMATCH when the account is in another currency than the one named."""
    code = None if currency is None else parse_currency(currency)
    if account_id is not None:
        account = owned_account(user=user, account_id=account_id)
        if code is not None and account.currency != code:
            raise invalid(
                "currency",
                f'The account "{account.name}" is in {account.currency}, not {code}.',
                error_codes.CURRENCY_MISMATCH,
            )
        return AccountScope(account.currency, [account.pk])
    # One query for the accounts and the default's currency; a user without an account gets one first.
    accounts = list(Account.objects.owned_by(user).values_list("pk", "currency", "is_default"))
    if code is None:
        code = next((currency for _, currency, is_default in accounts if is_default), None)
        if code is None:
            code = ensure_default_account(user=user).currency
            accounts = list(Account.objects.owned_by(user).values_list("pk", "currency", "is_default"))
    return AccountScope(code, [pk for pk, currency, _ in accounts if currency == code])
