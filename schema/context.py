"""Per-request context: the Bearer token is resolved to a Principal at most once, and only when a field needs one."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import strawberry
from django.http import HttpResponse
from strawberry.django.context import StrawberryDjangoContext
from strawberry.django.views import TemporalHttpResponse

from accounts.models import User
from accounts.tokens import AccessClaims, AuthenticationFailed, access_claims, token_holder
from ledger.balance_cache import LedgerFigures, read_balance_version
from ledger.currencies import currency_digits
from ledger.models import Account, Transaction
from ledger.selectors import accounts_by_id, ledger_figures, user_for_request
from ledger.selectors.users import user_for_write
from schema.errors import UnauthenticatedError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ledger.services.bookkeeping import AccountForWrite


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of this request, and what was loaded with them in the same statement."""

    user: User
    # The committed balance version at authentication, or None when it was not loaded (fields that need it then
    # read it themselves). Valid for the whole request: queries do not write, and mutations do not read it.
    balance_version: int | None


@dataclass
class RequestContext(StrawberryDjangoContext):
    """`response` is the sub-response resolvers may set headers, cookies or a status on (Strawberry's): made on first
    use when the view passes None, so the operations that never touch it (all of this API's) skip building it."""

    _principal: Principal | None = field(default=None, init=False)
    _auth_error: str | None = field(default=None, init=False)  # why the token was refused
    _claims: AccessClaims | None = field(default=None, init=False)
    _accounts: dict[object, Account] | None = field(default=None, init=False)
    _figures: dict[int, LedgerFigures] = field(default_factory=dict, init=False)
    _digits: dict[object, int] = field(default_factory=dict, init=False)  # by account id: digits_of

    @property
    def response(self) -> HttpResponse:
        if self._response is None:
            self._response = TemporalHttpResponse()
        return self._response

    @response.setter
    def response(self, value: HttpResponse | None) -> None:
        self._response = value

    def response_if_used(self) -> HttpResponse | None:
        """The sub-response if anything asked for it (or the view passed one), else None."""
        return self._response

    def figures(self) -> LedgerFigures:
        """The caller's money figures (ledger.balance_cache), read once per request and version: a query's version
        is the one loaded with the caller (queries do not write); a mutation's payload reads the version again, so
        a second mutation of the same document never sees the figures from before its write."""
        principal = self.principal(with_balance_version=True)
        version = principal.balance_version
        if version is None:
            version = read_balance_version(principal.user.pk)
        if version not in self._figures:
            self._figures[version] = ledger_figures(user=principal.user, version=version)
        return self._figures[version]

    def account(self, account_id: object) -> Account:
        """One of the caller's ledger accounts: all of them are read once per request, on first use, so a page of
        transactions costs one query for their accounts and currencies."""
        account = None if self._accounts is None else self._accounts.get(account_id)
        if account is None:
            self._accounts = accounts_by_id(user=self.principal().user)
            account = self._accounts[account_id]
        return account

    def account_of(self, txn: Transaction) -> Account:
        """The transaction's ledger account: the one loaded with it when there is one (a mutation's answer), else from
        the request's map of the caller's accounts."""
        account = txn._state.fields_cache.get("account")
        return account if account is not None else self.account(txn.account_id)

    def digits_of(self, txn: Transaction) -> int:
        """The digits of the currency of account_of(txn), remembered per account for the request: each row of a page
        asks for them."""
        account = txn._state.fields_cache.get("account")  # as account_of: the one loaded with it first
        if account is not None:
            return currency_digits(account.currency)
        try:
            return self._digits[txn.account_id]
        except KeyError:
            digits = self._digits[txn.account_id] = currency_digits(self.account(txn.account_id).currency)
            return digits

    def account_if_any(self, account_id: object) -> Account | None:
        """As `account`, but None for an id the caller has no account with (one deleted since: the change log)."""
        try:
            return self.account(account_id)
        except KeyError:
            return None

    def principal_writing_to(self, account_id: object) -> tuple[Principal, "AccountForWrite | None"]:
        """The caller, with the ledger account a create names read in the same statement when this is the first field
        to ask for the caller (ledger.selectors.user_for_write); None for the account otherwise."""
        seen = None

        def load(claims: AccessClaims) -> Principal:
            nonlocal seen
            user, seen = user_for_write(claims.user_id, account_id=account_id)
            return Principal(user=token_holder(claims, user), balance_version=None)

        return self._authenticated(load), seen

    def principal(self, *, with_balance_version: bool = False) -> Principal:
        """The caller, or an UNAUTHENTICATED GraphQL error (missing, malformed, expired or foreign token).

        The first field to ask decides what is loaded with the user: `balance` asks for the version (a cached
        balance then costs this one query); writes do not pay for the join.
        """
        return self._authenticated(lambda claims: principal_of(claims, with_balance_version=with_balance_version))

    def verified_claims(self) -> AccessClaims | None:
        """What the request's access token says once its signature and expiry are checked, without reading its user:
        None without a token or with one refused (a field asking for the principal then answers UNAUTHENTICATED).
        Only for a write that checks the user itself (ledger.services.transactions.transaction_create_for_token)."""
        if self._auth_error is None and self._claims is None:
            try:
                self._claims = access_claims(self.request)
            except AuthenticationFailed as error:
                self._auth_error = error.message
        return self._claims

    def _authenticated(self, load: "Callable[[AccessClaims], Principal]") -> Principal:
        """The caller, loaded by `load` from the token's claims if no field asked before, or UNAUTHENTICATED."""
        if self._principal is None and self._auth_error is None:
            claims = self.verified_claims()
            if claims is not None:
                try:
                    self._principal = load(claims)
                except AuthenticationFailed as error:
                    self._auth_error = error.message
            elif self._auth_error is None:  # no token at all
                self._auth_error = UnauthenticatedError.DEFAULT_MESSAGE
        if self._auth_error is not None:
            raise UnauthenticatedError(self._auth_error)
        return self._principal


def principal_of(claims: AccessClaims | None, *, with_balance_version: bool = False) -> Principal:
    """The user a verified token names (accounts.tokens), or AuthenticationFailed: no token, or one whose user is
    gone, inactive or has logged out everywhere since. Shared by HTTP requests and websocket connections."""
    if claims is None:
        raise AuthenticationFailed(UnauthenticatedError.DEFAULT_MESSAGE)
    user, version = user_for_request(claims.user_id, with_balance_version=with_balance_version)
    return Principal(user=token_holder(claims, user), balance_version=version)


def current_principal(info: strawberry.Info, *, with_balance_version: bool = False) -> Principal:
    return info.context.principal(with_balance_version=with_balance_version)


def current_user(info: strawberry.Info) -> User:
    return info.context.principal().user


def account_of(info: strawberry.Info, txn: Transaction) -> Account:
    return info.context.account_of(txn)
