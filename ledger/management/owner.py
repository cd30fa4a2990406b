"""The `--user USERNAME` argument of the data commands."""

from django.core.management.base import CommandError

from accounts.models import User


def user_by_username(username: str) -> User:
    """The user with this username (any case, as login treats it), or a CommandError naming it."""
    try:
        return User.objects.with_username(username).get()
    except User.DoesNotExist:
        raise CommandError(f"no user named {username!r}") from None
