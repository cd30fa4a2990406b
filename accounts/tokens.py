"""Access and refresh tokens, built on django-graphql-jwt's token functions, auth backend and refresh-token model.

- Access tokens: graphql_jwt's HS256 JWTs (`get_token`), verified with expiry by its `JSONWebTokenBackend`.
- Refresh tokens: rows of graphql_jwt's `refresh_token.RefreshToken`. The library stores whatever string it is
  given in `token`; we give it the SHA-256 digest of a random secret and hand the secret to the client once, so a
  leaked database does not leak usable refresh tokens. `get_refresh_token_by_digest` is configured as the
  library's JWT_GET_REFRESH_TOKEN_HANDLER.
- Rotation: each refresh revokes the presented token and issues a successor in the same `RefreshTokenLineage`
  family. Presenting a revoked token (a replay) revokes the whole family.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from graphql_jwt.backends import JSONWebTokenBackend
from graphql_jwt.exceptions import JSONWebTokenError
from graphql_jwt.refresh_token.models import RefreshToken
from graphql_jwt.shortcuts import get_token

from accounts import error_codes
from accounts.models import RefreshTokenLineage, User

_jwt_backend = JSONWebTokenBackend()


class AuthenticationFailed(Exception):
    """A request carried credentials that do not identify an active user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = error_codes.UNAUTHENTICATED


class RefreshTokenRejected(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class TokenPair:
    user: User
    token: str
    refresh_token: str


def user_from_request(request: HttpRequest) -> User | None:
    """The user named by the request's `Authorization: Bearer <token>`; None without that header.

    Raises AuthenticationFailed for a malformed, tampered, expired or wrongly signed token, or one whose user no
    longer exists or is inactive.
    """
    try:
        user = _jwt_backend.authenticate(request=request)
    except JSONWebTokenError as error:
        raise AuthenticationFailed(str(error)) from None
    if user is None and request.META.get("HTTP_AUTHORIZATION"):
        raise AuthenticationFailed("Invalid or unknown access token.")
    return user


def issue_token_pair(user: User, *, family: uuid.UUID | None = None) -> TokenPair:
    """A fresh access token and a new refresh token (a new family unless continuing one)."""
    secret = secrets.token_urlsafe(32)
    refresh = RefreshToken.objects.create(user=user, token=_digest(secret))
    RefreshTokenLineage.objects.create(refresh_token=refresh, family=family or uuid.uuid4())
    return TokenPair(user=user, token=get_token(user), refresh_token=secret)


def rotate_refresh_token(secret: object) -> TokenPair:
    """Trade a refresh token for a new pair; the presented token is revoked.

    Two concurrent refreshes with one token: the conditional UPDATE lets exactly one of them win.
    """
    presented = _find(secret)
    if presented is None:
        raise RefreshTokenRejected("Invalid refresh token.", error_codes.INVALID_REFRESH_TOKEN)
    family = presented.lineage.family if hasattr(presented, "lineage") else None
    if presented.revoked is not None:
        _revoke_family(presented, family)
        raise RefreshTokenRejected(
            "This refresh token was already used or revoked; its successors are revoked too.",
            error_codes.INVALID_REFRESH_TOKEN,
        )
    if presented.is_expired():
        raise RefreshTokenRejected("The refresh token has expired: log in again.", error_codes.REFRESH_TOKEN_EXPIRED)
    user = presented.user
    if not user.is_active:
        raise RefreshTokenRejected("Invalid refresh token.", error_codes.INVALID_REFRESH_TOKEN)
    with transaction.atomic():
        won = RefreshToken.objects.filter(pk=presented.pk, revoked__isnull=True).update(revoked=timezone.now())
        if not won:
            raise RefreshTokenRejected(
                "This refresh token was already used or revoked.", error_codes.INVALID_REFRESH_TOKEN
            )
        return issue_token_pair(user, family=family)


def revoke_refresh_token(secret: object) -> None:
    """Logout: revoke this refresh token (a no-op for one already revoked)."""
    presented = _find(secret)
    if presented is None:
        raise RefreshTokenRejected("Invalid refresh token.", error_codes.INVALID_REFRESH_TOKEN)
    RefreshToken.objects.filter(pk=presented.pk, revoked__isnull=True).update(revoked=timezone.now())


def get_refresh_token_by_digest(refresh_token_model: type, token: str, context: object = None) -> RefreshToken:
    """graphql_jwt's JWT_GET_REFRESH_TOKEN_HANDLER: look a presented secret up by its digest."""
    return refresh_token_model.objects.get(token=_digest(token), revoked__isnull=True)


def _find(secret: object) -> RefreshToken | None:
    if not isinstance(secret, str) or not secret or len(secret) > 255:
        return None
    return RefreshToken.objects.select_related("user", "lineage").filter(token=_digest(secret)).order_by("-id").first()


def _revoke_family(presented: RefreshToken, family: uuid.UUID | None) -> None:
    tokens = RefreshToken.objects.filter(revoked__isnull=True)
    if family is None:
        tokens = tokens.filter(pk=presented.pk)
    else:
        tokens = tokens.filter(lineage__family=family)
    tokens.update(revoked=timezone.now())


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
