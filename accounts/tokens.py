"""Access and refresh tokens, built on django-graphql-jwt's token functions and refresh-token model.

- Access tokens: graphql_jwt's HS256 JWTs (`get_token`), verified (signature, algorithm, expiry) by its
  `get_payload`; the `uid` claim names the account and the `ver` claim dies with logout and password changes.
- Refresh tokens: rows of graphql_jwt's `refresh_token.RefreshToken`. The library stores whatever string it is
  given in `token`; we give it the SHA-256 digest of a random secret and hand the secret to the client once, so a
  leaked database does not leak usable refresh tokens.
- Rotation: each refresh revokes the presented token and issues a successor in the same `RefreshTokenLineage`
  family. Presenting a revoked token (a replay) revokes the whole family, except within
  REFRESH_TOKEN_REUSE_INTERVAL seconds of its rotation while the successor is live: then it gets that successor.
"""

import datetime
import functools
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from graphql_jwt.exceptions import JSONWebTokenError, JSONWebTokenExpired
from graphql_jwt.refresh_token.models import RefreshToken
from graphql_jwt.settings import jwt_settings
from graphql_jwt.shortcuts import get_token
from graphql_jwt.utils import get_payload

from accounts import error_codes
from accounts.models import RefreshTokenLineage, User
from storage.live import REVOKED, publish_after_commit


class AuthenticationFailed(Exception):
    """A request carried credentials that do not identify an active user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = error_codes.UNAUTHENTICATED


class RefreshTokenRejected(ValidationError):
    """A refresh token that cannot be used: a ValidationError on the `refresh_token` argument."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__({"refresh_token": ValidationError(message, code=code)})


@dataclass(frozen=True)
class TokenPair:
    user: User
    token: str
    refresh_token: str


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says: whose it is and which token generation it belongs to."""

    user_id: uuid.UUID
    token_version: object
    # The token's `exp` (Unix seconds): a subscription's socket closes then (issue 14).
    expires_at: int = field(default=0, compare=False)


def access_claims(request: HttpRequest) -> AccessClaims | None:
    """The verified claims of the request's `Authorization: Bearer <token>`; None without that header.

    Only the header is read: graphql_jwt would also accept a `JWT` cookie, which a cross-site form could replay, so
    cookies are ignored on purpose.
    """
    return authorization_claims(request.META.get("HTTP_AUTHORIZATION"))


def authorization_claims(header: str | None) -> AccessClaims | None:
    """The verified claims of an Authorization value (`Bearer <token>`), from an HTTP header or a websocket's
    connection_init payload; None without one.

    Raises AuthenticationFailed for a malformed, tampered, expired, wrongly signed or expiry-less token
    (graphql_jwt's get_payload checks signature, algorithm and expiry).
    """
    if header is None:
        return None
    if not isinstance(header, str):
        raise AuthenticationFailed("Send the access token as `Authorization: Bearer <token>`.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token or " " in token:
        raise AuthenticationFailed("Send the access token as `Authorization: Bearer <token>`.")
    try:
        payload = verified_payload(token)
    except JSONWebTokenExpired:
        raise AuthenticationFailed(
            "The access token has expired: get a new pair with the refreshToken mutation, or log in again."
        ) from None
    except JSONWebTokenError:
        raise AuthenticationFailed(
            "The access token is not valid (malformed, altered or not issued by this server): log in again."
        ) from None
    if not isinstance(payload.get("exp"), int):
        # PyJWT checks `exp` only when it is present: a correctly signed token without one would never expire.
        raise AuthenticationFailed("This access token has no expiry: log in again.")
    try:
        # `uid` pins the token to one account: a username freed by a deleted user and taken by a new one does not
        # inherit the old account's tokens.
        user_id = uuid.UUID(str(payload.get("uid")))
    except ValueError:
        raise AuthenticationFailed("This access token is no longer valid: log in again.") from None
    return AccessClaims(user_id=user_id, token_version=payload.get("ver"), expires_at=payload["exp"])


# Tokens whose signature this process has checked, with their payloads. Bounded: a client sends the same token on
# every request until it renews it, so the working set is about the number of active sessions.
VERIFIED_TOKENS = 4096


def verified_payload(token: str) -> dict:
    """graphql_jwt's get_payload (signature, algorithm, expiry), with each token it accepted remembered: a client sends
    the same token on every request, and checking and decoding it cost more than the rest of authentication (about
    70 us per request, bench.http.profile balance_plain). The same bytes under the same key and settings verify the
    same way, so only the expiry, which moves with the clock, is checked again on every use, exactly as PyJWT
    checks it. Revocation does not live in the token: the caller lookup checks it on every request."""
    payload = _accepted(
        token,
        jwt_settings.JWT_SECRET_KEY,
        jwt_settings.JWT_PUBLIC_KEY,
        jwt_settings.JWT_ALGORITHM,
        jwt_settings.JWT_VERIFY,
        jwt_settings.JWT_VERIFY_EXPIRATION,
        jwt_settings.JWT_AUDIENCE,
        jwt_settings.JWT_ISSUER,
    )
    expires_at = payload.get("exp")
    if jwt_settings.JWT_VERIFY_EXPIRATION and isinstance(expires_at, int) and expires_at <= time.time() - _leeway():
        raise JSONWebTokenExpired
    return payload


@functools.lru_cache(maxsize=VERIFIED_TOKENS)
def _accepted(token: str, *verification: object) -> dict:
    # What get_payload verifies with is part of the key: a token accepted under a rotated secret is checked again.
    return get_payload(token)


def _leeway() -> float:
    leeway = jwt_settings.JWT_LEEWAY
    return leeway.total_seconds() if isinstance(leeway, datetime.timedelta) else leeway


def token_holder(claims: AccessClaims, user: User | None) -> User:
    """`user` (loaded by claims.user_id) if it may use a token with these claims; else AuthenticationFailed: the
    account is gone or inactive, or the token was issued before the user's last logout or password change."""
    if user is None or not user.is_active or claims.token_version != user.token_version:
        raise AuthenticationFailed("This access token is no longer valid: log in again.")
    return user


def revoke_all_sessions(user: User) -> None:
    """Logout everywhere: revoke every refresh token and invalidate every access token of the user.

    The version bump comes first: it takes the user's row lock, which a rotation also takes before it issues a
    successor (rotate_refresh_token), so a refresh in flight either finishes before this (and its successor is
    revoked below, by a statement that sees it) or waits and then finds its token revoked.
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
        RefreshToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())
        RefreshTokenLineage.objects.filter(refresh_token__user=user).exclude(successor_sealed=None).update(
            successor_sealed=None
        )
        # Issue 14: open subscriptions of the user close once this commits.
        publish_after_commit(user.pk, REVOKED)
    user.refresh_from_db(fields=["token_version"])


def issue_token_pair(user: User, *, family: uuid.UUID | None = None) -> TokenPair:
    """A fresh access token and a new refresh token (a new family unless continuing one)."""
    secret = secrets.token_urlsafe(32)
    refresh = RefreshToken.objects.create(user=user, token=_digest(secret))
    RefreshTokenLineage.objects.create(refresh_token=refresh, family=family or uuid.uuid4())
    return TokenPair(user=user, token=_access_token(user), refresh_token=secret)


def _access_token(user: User) -> str:
    return get_token(user, ver=user.token_version, uid=str(user.pk))


def rotate_refresh_token(secret: object) -> TokenPair:
    """Trade a refresh token for a new pair; the presented token is revoked.

    Two concurrent refreshes with one token: the conditional UPDATE lets exactly one of them win, and the others
    (like any replay within REFRESH_TOKEN_REUSE_INTERVAL) get the winner's successor; a later replay revokes the
    family.
    """
    presented = _find(secret)
    if presented is None:
        raise RefreshTokenRejected("Invalid refresh token.", error_codes.INVALID_REFRESH_TOKEN)
    family = presented.lineage.family if hasattr(presented, "lineage") else None
    if presented.revoked is not None:
        pair = _successor_within_reuse_interval(presented, secret)
        if pair is not None:
            return pair
        _revoke_family(presented, family)
        raise RefreshTokenRejected(
            "This refresh token was already used or revoked; its successors are revoked too.",
            error_codes.INVALID_REFRESH_TOKEN,
        )
    if presented.is_expired():
        raise RefreshTokenRejected("The refresh token has expired: log in again.", error_codes.REFRESH_TOKEN_EXPIRED)
    if not presented.user.is_active:
        raise RefreshTokenRejected("Invalid refresh token.", error_codes.INVALID_REFRESH_TOKEN)
    with transaction.atomic():
        # The user's row lock first, as revoke_all_sessions takes it: a logout or password change never misses a
        # successor issued while it runs, and the pair below carries the token version as of this lock.
        # no_key: enough to serialize with revoke_all_sessions' UPDATE, without blocking foreign-key checks.
        user = User.objects.select_for_update(no_key=True).filter(pk=presented.user_id, is_active=True).first()
        if user is None:
            raise RefreshTokenRejected("Invalid refresh token.", error_codes.INVALID_REFRESH_TOKEN)
        now = timezone.now()
        won = RefreshToken.objects.filter(pk=presented.pk, revoked__isnull=True).update(revoked=now)
        if not won:
            # A concurrent refresh with this token committed first (this UPDATE waited for it): answer with its
            # successor when that is still allowed.
            pair = _successor_within_reuse_interval(presented, secret)
            if pair is not None:
                return pair
            raise RefreshTokenRejected(
                "This refresh token was already used or revoked.", error_codes.INVALID_REFRESH_TOKEN
            )
        pair = issue_token_pair(user, family=family)
        RefreshTokenLineage.objects.filter(pk=presented.pk).update(
            rotated_at=now, successor_sealed=_seal(pair.refresh_token, secret)
        )
        if family is not None:
            # The presented token was itself a sealed successor: once used, no replay may reach it (or, through a
            # chain of seals, this new token), so every older seal of the family goes.
            RefreshTokenLineage.objects.filter(family=family).exclude(pk=presented.pk).exclude(
                successor_sealed=None
            ).update(successor_sealed=None)
        return pair


def _successor_within_reuse_interval(presented: RefreshToken, secret: str) -> TokenPair | None:
    """The pair to answer a replay of `presented` with, when it was rotated moments ago and its successor is live."""
    interval = settings.REFRESH_TOKEN_REUSE_INTERVAL
    lineage = RefreshTokenLineage.objects.filter(pk=presented.pk).first()
    if interval <= 0 or lineage is None or lineage.rotated_at is None or lineage.successor_sealed is None:
        return None
    if timezone.now() - lineage.rotated_at > datetime.timedelta(seconds=interval):
        RefreshTokenLineage.objects.filter(pk=presented.pk).update(successor_sealed=None)  # no longer needed
        return None
    successor_secret = _unseal(bytes(lineage.successor_sealed), secret)
    successor = _find(successor_secret)
    if successor is None or successor.revoked is not None or not successor.user.is_active:
        return None  # the successor was used or revoked since: this is a replay like any other
    user = successor.user
    return TokenPair(user=user, token=_access_token(user), refresh_token=successor_secret)


def _seal(successor_secret: str, presented_secret: str) -> bytes:
    # A one-time key stream derived from the presented secret (256 random bits, stored only as a SHA-256 digest) and
    # the server's key: reading the successor back takes the presented token itself, which is what a replay holds
    # anyway, and a copy of the database alone (even with an old token) does not suffice. Seals are also cleared as
    # soon as they cannot be needed (the successor used, the interval over, a logout).
    plain = successor_secret.encode("ascii")
    return bytes(a ^ b for a, b in zip(plain, _key_stream(presented_secret, len(plain)), strict=True))


def _unseal(sealed: bytes, presented_secret: str) -> str:
    return bytes(a ^ b for a, b in zip(sealed, _key_stream(presented_secret, len(sealed)), strict=True)).decode(
        "ascii", errors="replace"
    )


def _key_stream(presented_secret: str, length: int) -> bytes:
    server_key = settings.GRAPHQL_JWT["JWT_SECRET_KEY"].encode("utf-8", "surrogatepass")
    material = hmac.new(server_key, presented_secret.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return hashlib.shake_256(b"refresh-successor\x00" + material).digest(length)


def revoke_refresh_token(secret: object) -> None:
    """Logout: the presented token proves who is leaving; every session of that user ends.

    A token that was already used or revoked is refused and, like a replay, revokes its family.
    """
    presented = _find(secret)
    if presented is None:
        raise RefreshTokenRejected("Invalid refresh token.", error_codes.INVALID_REFRESH_TOKEN)
    if presented.revoked is not None:
        _revoke_family(presented, presented.lineage.family if hasattr(presented, "lineage") else None)
        raise RefreshTokenRejected("This refresh token was already used or revoked.", error_codes.INVALID_REFRESH_TOKEN)
    revoke_all_sessions(presented.user)


def _find(secret: object) -> RefreshToken | None:
    if not isinstance(secret, str) or not secret or len(secret) > 255:
        return None
    return RefreshToken.objects.select_related("user", "lineage").filter(token=_digest(secret)).order_by("-id").first()


def _revoke_family(presented: RefreshToken, family: uuid.UUID | None) -> None:
    # The user's row lock first, as a rotation takes it: a successor being issued right now is either committed
    # before the UPDATE below (which then sees it) or waits and finds its token revoked.
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=presented.user_id).first()
        tokens = RefreshToken.objects.filter(revoked__isnull=True)
        if family is None:
            tokens = tokens.filter(pk=presented.pk)
        else:
            tokens = tokens.filter(lineage__family=family)
            RefreshTokenLineage.objects.filter(family=family).exclude(successor_sealed=None).update(
                successor_sealed=None
            )
        tokens.update(revoked=timezone.now())


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
