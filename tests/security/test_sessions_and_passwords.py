"""Logout and password change end every session; the reset flow answers alike for unknown emails, and its emailed
token expires and works once."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from graphql_jwt.refresh_token.models import RefreshToken

from accounts.models import User
from tests.conftest import GraphQLClient
from tests.schema.test_auth_tokens import ME, REFRESH, REVOKE, login

CHANGE = """
mutation Change($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new) { token refreshToken errors { field code } }
}
"""
REQUEST_RESET = "mutation($email: String!) { requestPasswordReset(email: $email) { accepted errors { code } } }"
RESET = """
mutation Reset($token: String!, $password: String!) {
  resetPassword(token: $token, newPassword: $password) { token errors { field code } }
}
"""


def unauthenticated(client: GraphQLClient, token: str) -> bool:
    body = client.post(ME, token=token)
    return body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_logout_revokes_every_refresh_and_access_token(anonymous: GraphQLClient, alice: User) -> None:
    laptop, phone = login(anonymous), login(anonymous)
    assert anonymous.data(REVOKE, {"refreshToken": laptop["refreshToken"]})["revokeToken"]["revoked"] is True
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 0
    for session in (laptop, phone):
        assert unauthenticated(anonymous, session["token"])
        refreshed = anonymous.data(REFRESH, {"refreshToken": session["refreshToken"]})["refreshToken"]
        assert refreshed["errors"][0]["code"] == "INVALID_REFRESH_TOKEN"


def test_password_change_ends_other_sessions_and_keeps_this_one(anonymous: GraphQLClient, alice: User) -> None:
    other, this = login(anonymous), login(anonymous)
    payload = anonymous.data(CHANGE, {"old": "correct horse 9", "new": "a brand new passphrase"}, token=this["token"])[
        "changePassword"
    ]
    assert payload["errors"] == []
    assert unauthenticated(anonymous, other["token"]) and unauthenticated(anonymous, this["token"])
    assert anonymous.data(ME, token=payload["token"])["me"]["username"] == "alice"
    assert anonymous.data(REFRESH, {"refreshToken": other["refreshToken"]})["refreshToken"]["errors"]
    assert login(anonymous, password="a brand new passphrase")["token"]


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("wrong", "a brand new passphrase", ("oldPassword", "WRONG_PASSWORD")),
        ("correct horse 9", "short", ("newPassword", "INVALID_PASSWORD")),
    ],
)
def test_bad_password_changes_change_nothing(anonymous: GraphQLClient, alice: User, old: str, new: str, error) -> None:
    session = login(anonymous)
    payload = anonymous.data(CHANGE, {"old": old, "new": new}, token=session["token"])["changePassword"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [error]
    assert payload["token"] is None
    assert anonymous.data(ME, token=session["token"])["me"]["username"] == "alice"
    assert User.objects.get().check_password("correct horse 9")


def test_password_change_needs_a_login(anonymous: GraphQLClient, alice: User) -> None:
    body = anonymous.post(CHANGE, {"old": "correct horse 9", "new": "a brand new passphrase"})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def reset_token_from_mail() -> str:
    [message] = mail.outbox
    return re.search(r"token=([\w.:-]+)", message.body).group(1)


def test_reset_request_answers_the_same_for_unknown_emails(anonymous: GraphQLClient, alice: User) -> None:
    known = anonymous.post(REQUEST_RESET, {"email": "ALICE@example.com"})
    unknown = anonymous.post(REQUEST_RESET, {"email": "nobody@example.com"})
    assert known == unknown == {"data": {"requestPasswordReset": {"accepted": True, "errors": []}}}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]


def test_reset_token_works_once_and_ends_every_session(anonymous: GraphQLClient, alice: User) -> None:
    session = login(anonymous)
    anonymous.post(REQUEST_RESET, {"email": "alice@example.com"})
    token = reset_token_from_mail()
    done = anonymous.data(RESET, {"token": token, "password": "recovered passphrase 1"})["resetPassword"]
    assert done["errors"] == [] and done["token"]
    assert unauthenticated(anonymous, session["token"])
    again = anonymous.data(RESET, {"token": token, "password": "another passphrase 22"})["resetPassword"]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("token", "INVALID_RESET_TOKEN")]
    assert User.objects.get().check_password("recovered passphrase 1")


@pytest.mark.parametrize(
    ("seconds_later", "codes", "password"),
    [
        (-1, [], "recovered passphrase 1"),  # still valid one second before PASSWORD_RESET_TIMEOUT runs out
        (+1, ["INVALID_RESET_TOKEN"], "correct horse 9"),
    ],
)
def test_reset_token_expires(
    anonymous: GraphQLClient, alice: User, settings, seconds_later: int, codes: list[str], password: str
) -> None:
    anonymous.post(REQUEST_RESET, {"email": "alice@example.com"})
    token = reset_token_from_mail()
    # The clock moves, not the test: Django's token generator reads datetime.now().
    later = datetime.now(UTC) + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + seconds_later)
    with time_machine.travel(later, tick=False):
        payload = anonymous.data(RESET, {"token": token, "password": "recovered passphrase 1"})["resetPassword"]
    assert [e["code"] for e in payload["errors"]] == codes
    assert User.objects.get().check_password(password)


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "Zm9v.bar", "x" * 300])
def test_forged_reset_tokens_are_refused(anonymous: GraphQLClient, alice: User, token: str) -> None:
    payload = anonymous.data(RESET, {"token": token, "password": "recovered passphrase 1"})["resetPassword"]
    assert [e["code"] for e in payload["errors"]] == ["INVALID_RESET_TOKEN"]


def test_reset_requests_are_rate_limited_per_address(db, settings) -> None:
    settings.PASSWORD_RESETS_PER_ADDRESS = 2
    client = GraphQLClient(http=Client(REMOTE_ADDR="10.1.1.1"))
    codes = [
        (client.post(REQUEST_RESET, {"email": f"x{n}@example.com"}).get("errors") or [{"extensions": {"code": "OK"}}])[
            0
        ]["extensions"]["code"]
        for n in range(3)
    ]
    assert codes == ["OK", "OK", "RATE_LIMITED"]


@pytest.mark.parametrize("secret", ["abc-\ud800", "\ud800", "zz-zz", "-", "1-" + "f" * 65])
def test_a_malformed_reset_token_is_invalid_not_a_crash(anonymous: GraphQLClient, alice: User, secret: str) -> None:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    token = f"{urlsafe_base64_encode(force_bytes(alice.pk))}.{secret}"
    payload = anonymous.data(RESET, {"token": token, "password": "a brand new passphrase"})["resetPassword"]
    assert payload == {"token": None, "errors": [{"field": "token", "code": "INVALID_RESET_TOKEN"}]}
