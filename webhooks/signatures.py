"""Standard Webhooks signatures (https://www.standardwebhooks.com), for receivers and tests; the Go delivery worker
signs the same way. A request carries `webhook-id` (the delivery's id, the same on every retry),
`webhook-timestamp` (unix seconds of the attempt) and `webhook-signature`: space-separated `v1,<signature>` entries,
each base64 (standard alphabet) of HMAC-SHA256 keyed with the secret's bytes over `<id>.<timestamp>.<body>`. The
secret is "whsec_" + base64 of those bytes."""

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
DEFAULT_TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    """The request was not signed with this secret, or not recently: answer it 400/401 and ignore it."""


def new_secret() -> str:
    """A webhook's secret: "whsec_" + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one attempt: "v1,<base64 HMAC-SHA256>"."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Check a delivery's headers (names in any case) against its raw body; InvalidSignature when the headers are
    missing, the timestamp is further than `tolerance_seconds` from `now` (replays), or no `v1` signature matches."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        message_id, raw_timestamp, signatures = (
            lowered[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        )
    except KeyError as missing:
        raise InvalidSignature(f"Missing header {missing.args[0]}.") from None
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise InvalidSignature("webhook-timestamp is not unix seconds.") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise InvalidSignature(f"webhook-timestamp is more than {tolerance_seconds} seconds from now.")
    expected = sign(secret, message_id, timestamp, body).encode()
    # Compare with every entry (a sender rotating its secret sends several), each in constant time.
    matches = [hmac.compare_digest(expected, entry.encode()) for entry in signatures.split(" ") if entry]
    if not any(matches):
        raise InvalidSignature("No webhook-signature entry matches the body.")


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature("The secret is not whsec_ followed by base64.") from None
