"""Login brute force is limited per address and per (username, address), answers RATE_LIMITED with a retry time,
and cools off by itself; an attacker hammering a username does not lock its owner out."""

import datetime

import pytest
import time_machine
from django.test import Client

from tests.conftest import GraphQLClient
from tests.schema.test_auth_tokens import LOGIN


def attempt(address: str, username: str = "alice", password: str = "wrong password") -> dict:
    return GraphQLClient(http=Client(REMOTE_ADDR=address)).post(LOGIN, {"username": username, "password": password})


def test_failures_per_username_and_address_are_limited(alice) -> None:
    for _ in range(5):
        assert attempt("10.0.0.1")["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    limited = attempt("10.0.0.1", password="correct horse 9")  # even the right password, from this address
    assert limited["data"] is None
    [error] = limited["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < error["extensions"]["retryAfter"] <= 900


def test_the_owner_can_still_log_in_from_another_address(alice) -> None:
    for _ in range(6):
        attempt("10.0.0.66")  # the attacker
    mine = attempt("10.0.0.2", password="correct horse 9")["data"]["login"]
    assert mine["errors"] == [] and mine["token"]


def test_aliases_in_one_request_are_counted_one_by_one(alice) -> None:
    aliased = " ".join(
        f'a{n}: login(username: "alice", password: "guess{n}") {{ token errors {{ code }} }}' for n in range(8)
    )
    body = GraphQLClient(http=Client(REMOTE_ADDR="10.0.0.3")).post(f"mutation {{ {aliased} }}")
    # five guesses were answered (and failed); the sixth was refused, and a refusal of a non-null mutation field
    # ends the serial execution of the rest
    assert [error["extensions"]["code"] for error in body["errors"]] == ["RATE_LIMITED"]
    assert body["errors"][0]["path"] == ["a5"]
    assert body["data"] is None


def test_spraying_many_usernames_from_one_address_is_limited(db, settings) -> None:
    settings.LOGIN_ATTEMPTS_PER_ADDRESS = 10
    codes = []
    for n in range(12):
        body = attempt("10.0.0.4", username=f"user{n}")
        codes.append(body["errors"][0]["extensions"]["code"] if body.get("errors") else "ANSWERED")
    assert codes == ["ANSWERED"] * 10 + ["RATE_LIMITED"] * 2


def test_the_limit_cools_off_by_itself(alice) -> None:
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC), tick=False) as clock:
        for _ in range(5):
            attempt("10.0.0.5")
        clock.shift(899)
        limited = attempt("10.0.0.5")["errors"][0]["extensions"]
        assert (limited["code"], limited["retryAfter"]) == ("RATE_LIMITED", 1)  # refusals do not extend the window
        clock.shift(1)
        assert attempt("10.0.0.5", password="correct horse 9")["data"]["login"]["token"]


@pytest.mark.django_db
def test_forwarded_for_is_trusted_only_with_a_configured_proxy(alice, settings) -> None:
    def from_forwarded(chain: str) -> dict:
        client = GraphQLClient(http=Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=chain))
        return client.post(LOGIN, {"username": "alice", "password": "nope"})

    for n in range(5):
        from_forwarded(f"1.1.1.{n}")  # untrusted header: all count against 10.9.9.9
    assert from_forwarded("1.1.1.99")["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    settings.TRUSTED_PROXY_COUNT = 1
    assert from_forwarded("1.1.1.99")["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
