"""accounts.services called directly, on the real database and Redis: registration, login, password change and
reset. A password change or reset ends every session: the token version moves and every refresh token is revoked."""

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from graphql_jwt.refresh_token.models import RefreshToken

from accounts import error_codes
from accounts.models import User
from accounts.rate_limits import RateLimited
from accounts.services import (
    password_reset_confirm,
    password_reset_request,
    user_change_password,
    user_login,
    user_register,
)
from accounts.tokens import (
    AuthenticationFailed,
    RefreshTokenRejected,
    TokenPair,
    access_claims,
    issue_token_pair,
    rotate_refresh_token,
    token_holder,
)
from tests.conftest import make_user

GOOD_PASSWORD = "s3cret-enough!"
OLD_PASSWORD = "correct horse 9"  # make_user's


def _errors(raised: pytest.ExceptionInfo[ValidationError]) -> set[tuple[object, str]]:
    return {(field, error.code) for field, errors in raised.value.error_dict.items() for error in errors}


def _sessions(user: User) -> tuple[int, int]:
    """(token version, live refresh tokens) as stored."""
    version = User.objects.values_list("token_version", flat=True).get(pk=user.pk)
    return version, RefreshToken.objects.filter(user=user, revoked__isnull=True).count()


def _access_token_works(pair: TokenPair) -> bool:
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {pair.token}")
    claims = access_claims(request)
    try:
        token_holder(claims, User.objects.filter(pk=claims.user_id).first())
    except AuthenticationFailed:
        return False
    return True


@pytest.mark.django_db
def test_register_creates_an_active_user_with_a_hashed_password() -> None:
    user = user_register(username="  carol ", email="Carol@Example.COM", password=GOOD_PASSWORD)
    stored = User.objects.get(pk=user.pk)
    assert (stored.username, stored.email, stored.is_active, stored.token_version) == (
        "carol",
        "Carol@example.com",
        True,
        0,
    )
    assert stored.password != GOOD_PASSWORD and stored.check_password(GOOD_PASSWORD)


@pytest.mark.parametrize(
    ("username", "email", "expected"),
    [
        ("ALICE", "new@example.com", {("username", error_codes.DUPLICATE_USERNAME)}),
        ("someone", "ALICE@EXAMPLE.COM", {("email", error_codes.DUPLICATE_EMAIL)}),
        (
            "Alice",
            "alice@EXAMPLE.com",
            {("username", error_codes.DUPLICATE_USERNAME), ("email", error_codes.DUPLICATE_EMAIL)},
        ),
    ],
)
def test_usernames_and_emails_are_unique_without_regard_to_case(
    alice: User, username: str, email: str, expected: set
) -> None:
    with pytest.raises(ValidationError) as raised:
        user_register(username=username, email=email, password=GOOD_PASSWORD)
    assert _errors(raised) == expected
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


@pytest.mark.django_db
def test_every_invalid_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as raised:
        user_register(username="da ve!", email="not-an-email", password="short")
    assert _errors(raised) == {
        ("username", error_codes.INVALID_USERNAME),
        ("email", error_codes.INVALID_EMAIL),
        ("password", error_codes.INVALID_PASSWORD),
    }
    assert all(error.message for errors in raised.value.error_dict.values() for error in errors)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_registrations_are_limited_per_address_even_when_refused() -> None:
    for _ in range(settings.REGISTRATIONS_PER_ADDRESS):
        with pytest.raises(ValidationError):
            user_register(username="x", email="bad", password="short", address="10.0.0.1")
    with pytest.raises(RateLimited):
        user_register(username="dave", email="dave@example.com", password=GOOD_PASSWORD, address="10.0.0.1")
    user_register(username="dave", email="dave@example.com", password=GOOD_PASSWORD, address="10.0.0.2")
    assert list(User.objects.values_list("username", flat=True)) == ["dave"]


def test_login_finds_the_user_without_regard_to_case(alice: User) -> None:
    assert user_login(username="ALICE", password=OLD_PASSWORD) == alice


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", OLD_PASSWORD), ("inactive", OLD_PASSWORD), (None, 42)],
)
def test_login_gives_one_answer_for_every_failure(alice: User, username: object, password: object) -> None:
    make_user("inactive")
    User.objects.filter(username="inactive").update(is_active=False)
    with pytest.raises(ValidationError) as raised:
        user_login(username=username, password=password)
    [(field, [error])] = raised.value.error_dict.items()
    assert (field, error.code, error.message) == (
        None,
        error_codes.INVALID_CREDENTIALS,
        "Unable to log in with the provided credentials.",
    )


def test_a_password_change_ends_every_session_and_returns_a_fresh_one(alice: User) -> None:
    sessions = [issue_token_pair(alice), issue_token_pair(alice)]
    assert _sessions(alice) == (0, 2)
    fresh = user_change_password(user=alice, old_password=OLD_PASSWORD, new_password=GOOD_PASSWORD)
    assert _sessions(alice) == (1, 1)
    assert not any(_access_token_works(pair) for pair in sessions)
    assert _access_token_works(fresh)
    for pair in sessions:
        with pytest.raises(RefreshTokenRejected):
            rotate_refresh_token(pair.refresh_token)
    rotate_refresh_token(fresh.refresh_token)
    assert User.objects.get(pk=alice.pk).check_password(GOOD_PASSWORD)


@pytest.mark.parametrize(
    ("old_password", "new_password", "expected"),
    [
        ("wrong password", GOOD_PASSWORD, {("old_password", error_codes.WRONG_PASSWORD)}),
        (OLD_PASSWORD, "short", {("new_password", error_codes.INVALID_PASSWORD)}),
        (OLD_PASSWORD, "alice1234", {("new_password", error_codes.INVALID_PASSWORD)}),
    ],
)
def test_a_refused_password_change_changes_nothing(
    alice: User, old_password: str, new_password: str, expected: set
) -> None:
    session = issue_token_pair(alice)
    with pytest.raises(ValidationError) as raised:
        user_change_password(user=alice, old_password=old_password, new_password=new_password)
    assert _errors(raised) == expected
    assert _sessions(alice) == (0, 1)
    assert _access_token_works(session)
    assert User.objects.get(pk=alice.pk).check_password(OLD_PASSWORD)


def _reset_token(mailoutbox: list, email: str) -> str:
    password_reset_request(email=email)
    [message] = mailoutbox
    return re.search(r"token=(\S+)", message.body).group(1)


def test_a_password_reset_ends_every_session_and_works_once(alice: User, mailoutbox: list) -> None:
    session = issue_token_pair(alice)
    token = _reset_token(mailoutbox, "ALICE@example.com")
    fresh = password_reset_confirm(token=token, new_password=GOOD_PASSWORD)
    assert _sessions(alice) == (1, 1)
    assert (_access_token_works(session), _access_token_works(fresh)) == (False, True)
    assert user_login(username="alice", password=GOOD_PASSWORD) == alice
    with pytest.raises(ValidationError) as raised:
        password_reset_confirm(token=token, new_password="another-s3cret!")
    assert _errors(raised) == {("token", error_codes.INVALID_RESET_TOKEN)}
    assert _sessions(alice) == (1, 1)


@pytest.mark.parametrize("token", ["", "no-dot", "bm9ib2R5.1-abc", "x" * 201, None, "Zm9v.\udcff-1"])
def test_a_bad_reset_token_is_refused_and_changes_nothing(alice: User, token: object) -> None:
    session = issue_token_pair(alice)
    with pytest.raises(ValidationError) as raised:
        password_reset_confirm(token=token, new_password=GOOD_PASSWORD)
    assert _errors(raised) == {("token", error_codes.INVALID_RESET_TOKEN)}
    assert _sessions(alice) == (0, 1)
    assert _access_token_works(session)


def test_a_reset_with_a_bad_new_password_keeps_the_token_and_the_sessions(alice: User, mailoutbox: list) -> None:
    token = _reset_token(mailoutbox, "alice@example.com")
    issue_token_pair(alice)
    with pytest.raises(ValidationError) as raised:
        password_reset_confirm(token=token, new_password="short")
    assert _errors(raised) == {("new_password", error_codes.INVALID_PASSWORD)}
    assert _sessions(alice) == (0, 1)
    password_reset_confirm(token=token, new_password=GOOD_PASSWORD)
    assert _sessions(alice) == (1, 1)


@pytest.mark.django_db
def test_taken_names_are_reported_with_every_other_problem() -> None:
    make_user("alice")
    with pytest.raises(ValidationError) as raised:
        user_register(username="ALICE", email="Alice@Example.com", password="short")
    assert _errors(raised) == {
        ("username", error_codes.DUPLICATE_USERNAME),
        ("email", error_codes.DUPLICATE_EMAIL),
        ("password", error_codes.INVALID_PASSWORD),
    }
