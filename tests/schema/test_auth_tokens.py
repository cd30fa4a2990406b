import datetime
import time

import jwt
import pytest
import time_machine
from django.conf import settings
from graphql_jwt.refresh_token.models import RefreshToken

from accounts.models import User
from tests.conftest import GraphQLClient

LOGIN = """
mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) {
    token refreshToken user { id username } errors { field message code }
  }
}
"""
REFRESH = """
mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) { token refreshToken user { username } errors { field message code } }
}
"""
REVOKE = "mutation Revoke($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) { revoked errors { field code } } }"
ME = "{ me { id username email } }"


def login(client: GraphQLClient, username: str = "alice", password: str = "correct horse 9") -> dict:
    return client.data(LOGIN, {"username": username, "password": password})["login"]


def codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


def test_login_returns_tokens_that_identify_the_user(anonymous: GraphQLClient, alice: User) -> None:
    payload = login(anonymous, "ALICE")  # usernames ignore case
    assert payload["errors"] == []
    assert payload["user"] == {"id": str(alice.pk), "username": "alice"}
    me = anonymous.data(ME, token=payload["token"])["me"]
    assert me == {"id": str(alice.pk), "username": "alice", "email": "alice@example.com"}


def test_access_tokens_are_short_lived_by_default(anonymous: GraphQLClient, alice: User) -> None:
    claims = jwt.decode(login(anonymous)["token"], options={"verify_signature": False})
    assert claims["exp"] - time.time() == pytest.approx(300, abs=5)


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password"), ("nobody", "correct horse 9")])
def test_bad_credentials_give_one_answer(anonymous: GraphQLClient, alice: User, username: str, password: str) -> None:
    payload = login(anonymous, username, password)
    assert (payload["token"], payload["refreshToken"], payload["user"]) == (None, None, None)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "INVALID_CREDENTIALS")]


def test_inactive_users_cannot_log_in_or_use_old_tokens(anonymous: GraphQLClient, alice: User) -> None:
    token = login(anonymous)["token"]
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert [e["code"] for e in login(anonymous)["errors"]] == ["INVALID_CREDENTIALS"]
    assert codes(anonymous.post(ME, token=token)) == ["UNAUTHENTICATED"]


def _forge(claims: dict, key: str = "", algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or settings.SECRET_KEY, algorithm=algorithm)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: "", id="empty"),
        pytest.param(lambda: "not.a.jwt", id="malformed"),
        pytest.param(lambda: _forge({"username": "alice", "exp": int(time.time()) - 5}), id="expired"),
        pytest.param(lambda: _forge({"username": "alice", "exp": int(time.time()) + 60}, key="x" * 40), id="wrong-key"),
        pytest.param(
            lambda: jwt.encode({"username": "alice", "exp": int(time.time()) + 60}, None, algorithm="none"),
            id="alg-none",
        ),
        pytest.param(
            lambda: _forge({"username": "alice", "exp": int(time.time()) + 60}, algorithm="HS512"), id="other-alg"
        ),
        pytest.param(lambda: _forge({"username": "ghost", "exp": int(time.time()) + 60}), id="unknown-user"),
        pytest.param(lambda: _forge({"exp": int(time.time()) + 60}), id="no-username"),
    ],
)
@pytest.mark.filterwarnings("ignore:The HMAC key is")  # the forged HS512 token uses a short key on purpose
def test_bad_access_tokens_are_unauthenticated(anonymous: GraphQLClient, alice: User, make_token) -> None:
    body = anonymous.post(ME, token=make_token())
    assert body["data"] is None
    assert codes(body) == ["UNAUTHENTICATED"]


def test_a_tampered_token_is_unauthenticated(anonymous: GraphQLClient, alice: User, bob: User) -> None:
    header, _, signature = login(anonymous)["token"].split(".")
    forged_claims = jwt.utils.base64url_encode(b'{"username":"bob","exp":9999999999}').decode()
    body = anonymous.post(ME, token=f"{header}.{forged_claims}.{signature}")
    assert codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("header", ["Basic YWxpY2U6cHc=", "Bearer", "Token abc", "Bearer a b"])
def test_malformed_authorization_headers_are_unauthenticated(
    anonymous: GraphQLClient, alice: User, header: str
) -> None:
    body = anonymous.post(ME, headers={"HTTP_AUTHORIZATION": header})
    assert codes(body) == ["UNAUTHENTICATED"]


def test_a_bad_header_does_not_block_public_mutations(anonymous: GraphQLClient, alice: User) -> None:
    payload = anonymous.data(LOGIN, {"username": "alice", "password": "correct horse 9"}, token="garbage")["login"]
    assert payload["errors"] == [] and payload["token"]


def test_refresh_rotates_the_pair(anonymous: GraphQLClient, alice: User) -> None:
    first = login(anonymous)
    second = anonymous.data(REFRESH, {"refreshToken": first["refreshToken"]})["refreshToken"]
    assert second["errors"] == []
    assert second["refreshToken"] != first["refreshToken"]
    assert anonymous.data(ME, token=second["token"])["me"]["username"] == "alice"
    # the used token no longer works once the reuse interval is over
    with time_machine.travel(datetime.timedelta(seconds=6)):
        again = anonymous.data(REFRESH, {"refreshToken": first["refreshToken"]})["refreshToken"]
    assert again["token"] is None
    assert [e["code"] for e in again["errors"]] == ["INVALID_REFRESH_TOKEN"]


def test_reusing_a_rotated_token_revokes_its_successors(anonymous: GraphQLClient, alice: User) -> None:
    first = login(anonymous)
    second = anonymous.data(REFRESH, {"refreshToken": first["refreshToken"]})["refreshToken"]
    with time_machine.travel(datetime.timedelta(seconds=6)):
        anonymous.data(REFRESH, {"refreshToken": first["refreshToken"]})  # replay by a thief
    third = anonymous.data(REFRESH, {"refreshToken": second["refreshToken"]})["refreshToken"]
    assert [e["code"] for e in third["errors"]] == ["INVALID_REFRESH_TOKEN"]


def test_replay_does_not_touch_other_sessions(anonymous: GraphQLClient, alice: User) -> None:
    laptop, phone = login(anonymous), login(anonymous)
    anonymous.data(REFRESH, {"refreshToken": laptop["refreshToken"]})
    anonymous.data(REFRESH, {"refreshToken": laptop["refreshToken"]})
    assert anonymous.data(REFRESH, {"refreshToken": phone["refreshToken"]})["refreshToken"]["errors"] == []


def test_refresh_tokens_are_stored_as_digests(anonymous: GraphQLClient, alice: User) -> None:
    secret = login(anonymous)["refreshToken"]
    stored = list(RefreshToken.objects.values_list("token", flat=True))
    assert len(stored) == 1
    assert secret not in stored[0] and len(stored[0]) == 64


def test_expired_refresh_token_is_refused(anonymous: GraphQLClient, alice: User) -> None:
    secret = login(anonymous)["refreshToken"]
    RefreshToken.objects.update(created=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=8))
    payload = anonymous.data(REFRESH, {"refreshToken": secret})["refreshToken"]
    assert [e["code"] for e in payload["errors"]] == ["REFRESH_TOKEN_EXPIRED"]


def test_revoke_is_logout(anonymous: GraphQLClient, alice: User) -> None:
    secret = login(anonymous)["refreshToken"]
    assert anonymous.data(REVOKE, {"refreshToken": secret})["revokeToken"] == {"revoked": True, "errors": []}
    payload = anonymous.data(REFRESH, {"refreshToken": secret})["refreshToken"]
    assert [e["code"] for e in payload["errors"]] == ["INVALID_REFRESH_TOKEN"]


@pytest.mark.parametrize("secret", ["nope", "", "x" * 300])
def test_unknown_refresh_tokens_are_refused(anonymous: GraphQLClient, alice: User, secret: str) -> None:
    payload = anonymous.data(REFRESH, {"refreshToken": secret})["refreshToken"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("refreshToken", "INVALID_REFRESH_TOKEN")]
    revoked = anonymous.data(REVOKE, {"refreshToken": secret})["revokeToken"]
    assert revoked == {"revoked": False, "errors": [{"field": "refreshToken", "code": "INVALID_REFRESH_TOKEN"}]}


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_give_at_most_one_pair() -> None:
    from django.test import Client

    from tests.conftest import make_user, run_together

    make_user("alice")
    secret = login(GraphQLClient(http=Client()))["refreshToken"]
    results = run_together(
        lambda: GraphQLClient(http=Client()).data(REFRESH, {"refreshToken": secret})["refreshToken"], 4
    )
    assert len(results) == 4
    # one rotation: the losers get the winner's successor (the reuse interval), so the client stays logged in
    assert all(payload["errors"] == [] for payload in results)
    assert len({payload["refreshToken"] for payload in results}) == 1
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1


def test_a_replay_within_the_reuse_interval_gets_the_same_successor(anonymous: GraphQLClient, alice: User) -> None:
    first = login(anonymous)["refreshToken"]
    with time_machine.travel(datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.UTC), tick=False) as clock:
        second = anonymous.data(REFRESH, {"refreshToken": first})["refreshToken"]
        clock.shift(5)
        retried = anonymous.data(REFRESH, {"refreshToken": first})["refreshToken"]
        assert retried["errors"] == [] and retried["refreshToken"] == second["refreshToken"]
        assert anonymous.data(ME, token=retried["token"])["me"]["username"] == "alice"
        clock.shift(1)  # past REFRESH_TOKEN_REUSE_INTERVAL (5 s): a replay again, and the family is revoked
        late = anonymous.data(REFRESH, {"refreshToken": first})["refreshToken"]
        assert [e["code"] for e in late["errors"]] == ["INVALID_REFRESH_TOKEN"]
        burnt = anonymous.data(REFRESH, {"refreshToken": second["refreshToken"]})["refreshToken"]
        assert [e["code"] for e in burnt["errors"]] == ["INVALID_REFRESH_TOKEN"]


def test_no_successor_is_handed_out_once_it_was_used(anonymous: GraphQLClient, alice: User) -> None:
    first = login(anonymous)["refreshToken"]
    second = anonymous.data(REFRESH, {"refreshToken": first})["refreshToken"]["refreshToken"]
    assert anonymous.data(REFRESH, {"refreshToken": second})["refreshToken"]["errors"] == []
    replay = anonymous.data(REFRESH, {"refreshToken": first})["refreshToken"]  # within the interval, but too late
    assert [e["code"] for e in replay["errors"]] == ["INVALID_REFRESH_TOKEN"]
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 0


def test_the_reuse_interval_can_be_turned_off(anonymous: GraphQLClient, alice: User, settings) -> None:
    settings.REFRESH_TOKEN_REUSE_INTERVAL = 0
    first = login(anonymous)["refreshToken"]
    anonymous.data(REFRESH, {"refreshToken": first})
    replay = anonymous.data(REFRESH, {"refreshToken": first})["refreshToken"]
    assert [e["code"] for e in replay["errors"]] == ["INVALID_REFRESH_TOKEN"]


def test_the_successor_is_stored_sealed(anonymous: GraphQLClient, alice: User) -> None:
    from accounts.models import RefreshTokenLineage

    first = login(anonymous)["refreshToken"]
    second = anonymous.data(REFRESH, {"refreshToken": first})["refreshToken"]["refreshToken"]
    sealed = bytes(RefreshTokenLineage.objects.exclude(successor_sealed=None).get().successor_sealed)
    assert len(sealed) == len(second) and second.encode() not in sealed


def test_a_signed_token_without_expiry_is_unauthenticated(anonymous: GraphQLClient, alice: User) -> None:
    claims = {"username": "alice", "uid": str(alice.pk), "ver": alice.token_version}
    assert anonymous.post(ME, token=_forge({**claims, "exp": int(time.time()) + 60}))["data"]["me"]
    body = anonymous.post(ME, token=_forge(claims))
    assert body["data"] is None and codes(body) == ["UNAUTHENTICATED"]
    assert "expiry" in body["errors"][0]["message"]


def test_a_token_does_not_pass_to_a_new_account_with_the_same_username(anonymous: GraphQLClient, alice: User) -> None:
    token = login(anonymous)["token"]
    alice.delete()
    User.objects.create_user(username="alice", email="new-alice@example.com", password="another passphrase 1")
    body = anonymous.post(ME, token=token)
    assert codes(body) == ["UNAUTHENTICATED"]
