"""Live updates' fan-out (issue 14): after a write commits, one Redis PUBLISH tells the subscription servers which
user's log or tokens moved. The message is only a wake-up: subscribers read the change log itself (from their own
position), so a lost message delays delivery until the servers' poll (LIVE_POLL_SECONDS), and never loses a change.

Channel: `<CACHE KEY_PREFIX>:live:<user_id>`; message: the user's last change sequence (a decimal string) or
"revoked" (their tokens were revoked: the servers check which connections that ends).
"""

import logging
import uuid

from storage.cache import RedisCommand, cache_key, send_after_commit

logger = logging.getLogger("storage.live")

REVOKED = "revoked"


def live_channel(user_id: object) -> str:
    """The user's channel. A UUID's canonical text (with dashes), whatever the database stores."""
    return cache_key("live", uuid.UUID(str(user_id)))


def publish_after_commit(user_id: object, message: str) -> None:
    """PUBLISH `message` on the user's channel once the current transaction commits (at once outside one); nothing
    when it rolls back. Fails open: a Redis outage is logged, and the servers' poll delivers the change instead."""
    send_after_commit(publication(user_id, message))


def publication(user_id: object, message: str) -> RedisCommand:
    """The PUBLISH publish_after_commit sends, for a write that sends it with other commands (storage.cache)."""
    channel = live_channel(user_id)
    return RedisCommand(
        ("PUBLISH", channel, message), logger, f"live update not published on {channel}; the poll will deliver it"
    )
