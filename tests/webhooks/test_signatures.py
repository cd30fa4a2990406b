"""Standard Webhooks signatures: the specification's published test vector, and every way verify refuses."""

import base64

import pytest

from webhooks.signatures import InvalidSignature, new_secret, sign, verify

# The Standard Webhooks reference libraries' test vector (their sign tests, e.g. the PHP library's
# testSignFunctionWorks): a receiver's existing library accepts what we send only if this reproduces exactly.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(signature: str = SIGNATURE, timestamp: int = TIMESTAMP, message_id: str = MESSAGE_ID) -> dict[str, str]:
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_sign_reproduces_the_reference_test_vector() -> None:
    assert sign(SECRET, MESSAGE_ID, TIMESTAMP, BODY) == SIGNATURE


def test_verify_accepts_the_test_vector_within_the_tolerance() -> None:
    verify(SECRET, headers(), BODY, now=TIMESTAMP)
    verify(SECRET, headers(), BODY, now=TIMESTAMP + 300)
    verify(SECRET, headers(), BODY, now=TIMESTAMP - 300)


def test_header_names_are_read_in_any_case() -> None:
    verify(SECRET, {name.title(): value for name, value in headers().items()}, BODY, now=TIMESTAMP)


def test_any_matching_entry_of_several_is_enough() -> None:
    """A sender rotating its secret signs with both: the list is space-separated."""
    verify(SECRET, headers(f"v1,bm9wZQ== {SIGNATURE}"), BODY, now=TIMESTAMP)


@pytest.mark.parametrize(
    ("changed", "problem"),
    [
        ({"body": b'{"test": 2432232315}'}, "No webhook-signature entry matches the body."),
        ({"headers": headers(message_id="msg_other")}, "No webhook-signature entry matches the body."),
        ({"headers": headers(timestamp=TIMESTAMP + 1)}, "No webhook-signature entry matches the body."),
        ({"headers": headers("v2," + SIGNATURE[3:])}, "No webhook-signature entry matches the body."),
        ({"headers": headers("")}, "No webhook-signature entry matches the body."),
        ({"secret": new_secret()}, "No webhook-signature entry matches the body."),
        ({"now": TIMESTAMP + 301}, "webhook-timestamp is more than 300 seconds from now."),
        ({"now": TIMESTAMP - 301}, "webhook-timestamp is more than 300 seconds from now."),
        ({"headers": {**headers(), "webhook-timestamp": "soon"}}, "webhook-timestamp is not unix seconds."),
        ({"headers": {"webhook-id": MESSAGE_ID, "webhook-timestamp": "1"}}, "Missing header webhook-signature."),
        ({"secret": "whsec_not base64!"}, "The secret is not whsec_ followed by base64."),
    ],
)
def test_verify_refuses(changed: dict, problem: str) -> None:
    given = {"secret": SECRET, "headers": headers(), "body": BODY, "now": TIMESTAMP, **changed}
    with pytest.raises(InvalidSignature) as refused:
        verify(given["secret"], given["headers"], given["body"], now=given["now"])
    assert str(refused.value) == problem


def test_the_tolerance_is_a_parameter() -> None:
    verify(SECRET, headers(), BODY, tolerance_seconds=3600, now=TIMESTAMP + 3600)
    with pytest.raises(InvalidSignature):
        verify(SECRET, headers(), BODY, tolerance_seconds=10, now=TIMESTAMP + 11)


def test_new_secrets_are_32_random_bytes_in_base64() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_a_fresh_signature_round_trips() -> None:
    secret = new_secret()
    signature = sign(secret, "d6f1a1e2-0000-4000-8000-000000000001", 1_800_000_000, b"{}")
    verify(secret, headers(signature, 1_800_000_000, "d6f1a1e2-0000-4000-8000-000000000001"), b"{}", now=1_800_000_000)
