"""accounts.tokens called directly, on the real database: refresh-token rotation and replay, logout, and the
access-token checks on a request. Time moves with time_machine, never with sleep."""

import datetime
import hashlib

import jwt
import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone
from graphql_jwt.refresh_token.models import RefreshToken

from accounts import error_codes
from accounts.models import User
from accounts.tokens import (
    AccessClaims,
    AuthenticationFailed,
    RefreshTokenRejected,
    TokenPair,
    access_claims,
    issue_token_pair,
    revoke_all_sessions,
    revoke_refresh_token,
    rotate_refresh_token,
    token_holder,
)

REUSE = datetime.timedelta(seconds=settings.REFRESH_TOKEN_REUSE_INTERVAL)


def _row(secret: str) -> RefreshToken:
    return RefreshToken.objects.select_related("lineage").get(token=hashlib.sha256(secret.encode()).hexdigest())


def _live(user: User) -> int:
    return RefreshToken.objects.filter(user=user, revoked__isnull=True).count()


def _rejected(secret: object, code: str = error_codes.INVALID_REFRESH_TOKEN) -> None:
    with pytest.raises(RefreshTokenRejected) as raised:
        rotate_refresh_token(secret)
    [(field, [error])] = raised.value.error_dict.items()
    assert (field, error.code) == ("refresh_token", code)


def _request(authorization: str | None) -> object:
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return RequestFactory().post("/graphql/", **headers)


def _claims(pair: TokenPair) -> AccessClaims:
    return access_claims(_request(f"Bearer {pair.token}"))


def test_a_rotation_revokes_the_presented_token_and_continues_its_family(alice: User) -> None:
    first = issue_token_pair(alice)
    second = rotate_refresh_token(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.user == alice
    assert _row(first.refresh_token).revoked is not None
    assert _row(second.refresh_token).revoked is None
    assert _row(second.refresh_token).lineage.family == _row(first.refresh_token).lineage.family
    assert _live(alice) == 1


def test_a_replay_within_the_reuse_interval_gets_the_same_successor(alice: User) -> None:
    first = issue_token_pair(alice)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        second = rotate_refresh_token(first.refresh_token)
        clock.shift(REUSE)
        replayed = rotate_refresh_token(first.refresh_token)
    assert replayed.refresh_token == second.refresh_token
    assert _claims(replayed).user_id == alice.pk
    assert _live(alice) == 1
    assert _row(second.refresh_token).revoked is None


def test_a_replay_after_the_reuse_interval_revokes_the_whole_family(alice: User) -> None:
    other_session = issue_token_pair(alice)
    first = issue_token_pair(alice)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        second = rotate_refresh_token(first.refresh_token)
        clock.shift(REUSE + datetime.timedelta(seconds=1))
        _rejected(first.refresh_token)
        _rejected(second.refresh_token)
    assert _live(alice) == 1
    assert _row(other_session.refresh_token).revoked is None


def test_a_replay_after_the_successor_was_used_revokes_the_family_at_once(alice: User) -> None:
    first = issue_token_pair(alice)
    with time_machine.travel(timezone.now(), tick=False):
        second = rotate_refresh_token(first.refresh_token)
        third = rotate_refresh_token(second.refresh_token)
        _rejected(first.refresh_token)
    assert _row(third.refresh_token).revoked is not None
    assert _live(alice) == 0


def test_an_expired_refresh_token_is_refused(alice: User) -> None:
    pair = issue_token_pair(alice)
    lifetime = datetime.timedelta(seconds=settings.REFRESH_TOKEN_LIFETIME)
    with time_machine.travel(timezone.now() + lifetime + datetime.timedelta(seconds=1), tick=False):
        _rejected(pair.refresh_token, error_codes.REFRESH_TOKEN_EXPIRED)
    assert _row(pair.refresh_token).revoked is None


def test_an_inactive_users_refresh_token_is_refused(alice: User) -> None:
    pair = issue_token_pair(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    _rejected(pair.refresh_token)
    assert _live(alice) == 1


@pytest.mark.parametrize("secret", ["", "never-issued", "x" * 256, None, 42, "\udcff"])
def test_an_unknown_refresh_token_is_refused(alice: User, secret: object) -> None:
    issue_token_pair(alice)
    _rejected(secret)
    assert _live(alice) == 1


def test_logout_ends_every_session_of_that_user_only(alice: User, bob: User) -> None:
    sessions = [issue_token_pair(alice), issue_token_pair(alice)]
    theirs = issue_token_pair(bob)
    revoke_refresh_token(sessions[0].refresh_token)
    assert (_live(alice), _live(bob)) == (0, 1)
    assert User.objects.get(pk=alice.pk).token_version == 1
    for pair in sessions:
        with pytest.raises(AuthenticationFailed):
            token_holder(_claims(pair), User.objects.get(pk=alice.pk))
    assert token_holder(_claims(theirs), User.objects.get(pk=bob.pk)) == bob


def test_logging_out_with_a_spent_token_is_refused_and_revokes_its_family(alice: User) -> None:
    first = issue_token_pair(alice)
    second = rotate_refresh_token(first.refresh_token)
    with pytest.raises(RefreshTokenRejected):
        revoke_refresh_token(first.refresh_token)
    assert _row(second.refresh_token).revoked is not None
    assert User.objects.get(pk=alice.pk).token_version == 0


def test_the_claims_of_a_bearer_token_name_the_user_and_the_token_version(alice: User) -> None:
    revoke_all_sessions(alice)
    claims = _claims(issue_token_pair(alice))
    assert claims == AccessClaims(user_id=alice.pk, token_version=1)
    assert token_holder(claims, alice) == alice


def test_a_request_without_authorization_has_no_claims() -> None:
    assert access_claims(_request(None)) is None


@pytest.mark.parametrize("shape", ["JWT {token}", "Bearer", "Bearer {token} extra", "Bearer {token}x", "{token}"])
def test_a_malformed_or_altered_authorization_is_refused(alice: User, shape: str) -> None:
    token = issue_token_pair(alice).token
    with pytest.raises(AuthenticationFailed) as raised:
        access_claims(_request(shape.format(token=token)))
    assert raised.value.code == error_codes.UNAUTHENTICATED


def test_an_expired_access_token_is_refused(alice: User) -> None:
    pair = issue_token_pair(alice)
    later = timezone.now() + datetime.timedelta(seconds=settings.ACCESS_TOKEN_LIFETIME + 1)
    with time_machine.travel(later, tick=False), pytest.raises(AuthenticationFailed) as raised:
        _claims(pair)
    assert "expired" in raised.value.message


def test_a_signed_token_without_expiry_is_refused(alice: User) -> None:
    key, algorithm = settings.GRAPHQL_JWT["JWT_SECRET_KEY"], settings.GRAPHQL_JWT["JWT_ALGORITHM"]
    token = jwt.encode({"username": "alice", "uid": str(alice.pk), "ver": 0}, key, algorithm=algorithm)
    with pytest.raises(AuthenticationFailed) as raised:
        access_claims(_request(f"Bearer {token}"))
    assert "no expiry" in raised.value.message


def test_a_token_is_refused_after_logout_for_an_inactive_user_and_for_a_deleted_one(alice: User) -> None:
    claims = _claims(issue_token_pair(alice))
    inactive = User.objects.get(pk=alice.pk)
    inactive.is_active = False
    for user in (inactive, None):
        with pytest.raises(AuthenticationFailed):
            token_holder(claims, user)
    revoke_all_sessions(alice)
    with pytest.raises(AuthenticationFailed):
        token_holder(claims, User.objects.get(pk=alice.pk))


def _seals() -> int:
    from accounts.models import RefreshTokenLineage

    return RefreshTokenLineage.objects.exclude(successor_sealed=None).count()


def test_a_seal_is_cleared_once_its_successor_is_used(alice: User) -> None:
    first = issue_token_pair(alice).refresh_token
    second = rotate_refresh_token(first).refresh_token
    assert _seals() == 1
    rotate_refresh_token(second)
    assert _seals() == 1  # only the newest rotation keeps its seal: the chain back to old tokens is gone


def test_a_seal_is_cleared_after_the_interval_and_by_logout(alice: User) -> None:
    first = issue_token_pair(alice).refresh_token
    rotate_refresh_token(first)
    with time_machine.travel(datetime.timedelta(seconds=6)):
        with pytest.raises(ValidationError):
            rotate_refresh_token(first)
    assert _seals() == 0
    other = rotate_refresh_token(issue_token_pair(alice).refresh_token).refresh_token
    assert _seals() == 1
    revoke_refresh_token(other)
    assert _seals() == 0


def test_a_seal_needs_the_server_key_as_well_as_the_old_token(alice: User, settings) -> None:
    first = issue_token_pair(alice).refresh_token
    rotate_refresh_token(first)
    # Under another server key the seal does not open, so the replay is plain reuse (and revokes the family).
    settings.GRAPHQL_JWT = {**settings.GRAPHQL_JWT, "JWT_SECRET_KEY": "another server key, 40 characters long!!"}
    with pytest.raises(ValidationError):
        rotate_refresh_token(first)
    assert RefreshToken.objects.filter(user=alice, revoked__isnull=True).count() == 0


def test_a_token_is_verified_once_and_its_expiry_checked_on_every_use(alice: User, monkeypatch) -> None:
    from accounts import tokens

    pair = issue_token_pair(alice)
    checked = []
    real = tokens.get_payload
    monkeypatch.setattr(tokens, "get_payload", lambda token: checked.append(token) or real(token))
    first, second = _claims(pair), _claims(pair)
    assert first == second
    assert checked == [pair.token]  # the signature was checked once
    later = timezone.now() + datetime.timedelta(seconds=settings.ACCESS_TOKEN_LIFETIME + 1)
    with time_machine.travel(later, tick=False), pytest.raises(AuthenticationFailed) as raised:
        _claims(pair)  # remembered, and expired all the same
    assert "expired" in raised.value.message


def test_a_token_accepted_under_one_key_is_checked_again_under_another(alice: User, settings) -> None:
    pair = issue_token_pair(alice)
    _claims(pair)
    settings.GRAPHQL_JWT = {**settings.GRAPHQL_JWT, "JWT_SECRET_KEY": "another server key, 40 characters long!!"}
    with pytest.raises(AuthenticationFailed) as raised:
        _claims(pair)
    assert "not valid" in raised.value.message
