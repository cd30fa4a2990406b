"""The `--user USERNAME` and `--account NAME` arguments of the data commands."""

from django.core.management.base import CommandError

from accounts.models import User
from ledger.models import Account, account_name_key


def user_by_username(username: str) -> User:
    """The user with this username (any case, as login treats it), or a CommandError naming it."""
    try:
        return User.objects.with_username(username).get()
    except User.DoesNotExist:
        raise CommandError(f"no user named {username!r}") from None


def ledger_account_by_name(user: User, name: str) -> Account:
    """The user's ledger account with this name (any case, as names are unique), or a CommandError naming it."""
    account = Account.objects.owned_by(user).filter(name_key=account_name_key(name)).first()
    if account is None:
        raise CommandError(f"{user.username} has no account named {name!r}")
    return account
