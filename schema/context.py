"""Per-request context: the Bearer token is resolved to a user at most once, and only when a field needs one."""

from dataclasses import dataclass, field

import strawberry
from strawberry.django.context import StrawberryDjangoContext

from accounts.models import User
from accounts.tokens import AuthenticationFailed, user_from_request
from ledger.selectors import user_with_balance_version
from schema.errors import UnauthenticatedError

_UNRESOLVED = object()


@dataclass
class RequestContext(StrawberryDjangoContext):
    _user: object = field(default=_UNRESOLVED, init=False)
    _auth_error: AuthenticationFailed | None = field(default=None, init=False)

    def authenticated_user(self) -> User:
        """The caller, or an UNAUTHENTICATED GraphQL error (missing, malformed, expired or foreign token)."""
        if self._user is _UNRESOLVED:
            try:
                # The balance version rides along (a LEFT JOIN): a cached balance then costs this one query.
                self._user = user_from_request(self.request, find_user=user_with_balance_version)
            except AuthenticationFailed as error:
                self._user, self._auth_error = None, error
        if self._user is None:
            if self._auth_error is not None:
                raise UnauthenticatedError(self._auth_error.message)
            raise UnauthenticatedError()
        return self._user


def current_user(info: strawberry.Info) -> User:
    return info.context.authenticated_user()
