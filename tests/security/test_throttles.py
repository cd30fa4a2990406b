"""Costly mutations are throttled and counted before the password is hashed: registrations per address,
wrong current passwords in changePassword per user, and concurrent login guesses (one atomic count-and-check)."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from accounts.models import User
from tests.conftest import GraphQLClient, make_user, run_together
from tests.schema.test_auth_tokens import LOGIN

REGISTER = """
mutation($username: String!) {
  register(username: $username, email: "$EMAIL", password: "a long passphrase 9") { user { username } errors { code } }
}
"""
CHANGE = """
mutation($old: String!) {
  changePassword(oldPassword: $old, newPassword: "a brand new passphrase") { token errors { field code } }
}
"""


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how often a password is hashed (to create or to check it)."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def hashes(settings) -> type[CountingHasher]:
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def _codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def register(address: str, username: str) -> dict:
    query = REGISTER.replace("$EMAIL", f"{username}@example.com")
    return GraphQLClient(http=Client(REMOTE_ADDR=address)).post(query, {"username": username})


def test_registrations_per_address_are_limited(db, settings) -> None:
    settings.REGISTRATIONS_PER_ADDRESS = 3
    answers = [register("10.1.0.1", f"user{n}") for n in range(4)]
    assert [a["data"]["register"]["user"]["username"] for a in answers[:3]] == ["user0", "user1", "user2"]
    assert answers[3]["data"] is None
    [error] = answers[3]["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 3590 < error["extensions"]["retryAfter"] <= 3600
    assert not User.objects.filter(username="user3").exists()
    assert register("10.1.0.2", "user3")["data"]["register"]["user"]  # another address is not affected


def test_aliased_registrations_hash_no_more_than_the_limit(db, settings, hashes) -> None:
    # The default limit: 10 an hour. 15 aliases in one document used to create 15 users (15 slow hashes).
    aliased = " ".join(
        f'r{n}: register(username: "bulk{n}", email: "bulk{n}@example.com", password: "a long passphrase 9") '
        "{ user { username } errors { code } }"
        for n in range(15)
    )
    body = GraphQLClient(http=Client(REMOTE_ADDR="10.1.0.3")).post(f"mutation {{ {aliased} }}")
    assert _codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["path"] == ["r10"]
    assert User.objects.filter(username__startswith="bulk").count() == 10
    assert hashes.calls == 10


def test_wrong_current_passwords_are_limited_per_user(db, settings, hashes) -> None:
    settings.PASSWORD_CHANGE_FAILURES_PER_USER = 3
    alice = make_user("alice")  # hashed by the counting hasher
    as_alice = GraphQLClient(http=Client(), token=_token(alice))
    for _ in range(3):
        payload = as_alice.data(CHANGE, {"old": "a guess"})["changePassword"]
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("oldPassword", "WRONG_PASSWORD")]
    checks = hashes.calls
    refused = as_alice.post(CHANGE, {"old": "correct horse 9"})  # even the right one, until the window ends
    assert _codes(refused) == ["RATE_LIMITED"]
    assert hashes.calls == checks  # refused before hashing
    alice.refresh_from_db()
    assert alice.check_password("correct horse 9")
    other = GraphQLClient(http=Client(), token=_token(make_user("carol")))
    assert other.data(CHANGE, {"old": "correct horse 9"})["changePassword"]["errors"] == []


def test_a_successful_change_clears_the_failures(alice: User, settings) -> None:
    settings.PASSWORD_CHANGE_FAILURES_PER_USER = 2
    as_alice = GraphQLClient(http=Client(), token=_token(alice))
    as_alice.data(CHANGE, {"old": "a guess"})
    new = as_alice.data(CHANGE, {"old": "correct horse 9"})["changePassword"]
    assert new["errors"] == []
    again = GraphQLClient(http=Client(), token=new["token"])
    for _ in range(2):  # a fresh count: the earlier failure was forgotten
        assert again.data(CHANGE, {"old": "a guess"})["changePassword"]["errors"][0]["code"] == "WRONG_PASSWORD"
    assert _codes(again.post(CHANGE, {"old": "a guess"})) == ["RATE_LIMITED"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_logins_evaluate_no_more_guesses_than_the_limit(settings, hashes) -> None:
    make_user("dave")
    checks_before = hashes.calls

    def guess() -> list[str]:
        body = GraphQLClient(http=Client(REMOTE_ADDR="10.1.0.9")).post(
            LOGIN, {"username": "dave", "password": "wrong password"}
        )
        return _codes(body) or [e["code"] for e in body["data"]["login"]["errors"]]

    answers = sorted(code for codes in run_together(guess, 12) for code in codes)
    assert answers == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"] * 7
    assert hashes.calls - checks_before == 5


def _token(user: User) -> str:
    from accounts.tokens import issue_token_pair

    return issue_token_pair(user).token
