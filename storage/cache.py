"""Redis as the domain apps use it: one key namespace, one list of what an outage raises."""

from django.conf import settings
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

# What a Redis outage raises through django-redis; callers fail open (rate limits) or fall back to the database
# (balances) on any of them.
REDIS_OUTAGE_ERRORS = (RedisError, ConnectionInterrupted, OSError)


def cache_key(*parts: object) -> str:
    """`<KEY_PREFIX>:part:part...`: every key of this app lives under the configured prefix."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return ":".join((prefix, *(str(part) for part in parts)))
