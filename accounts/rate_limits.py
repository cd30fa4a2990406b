"""Fixed-window attempt counters in Redis for login and password-reset requests.

Login failures are counted per (username, client address), and all login attempts per client address. Keying the
failure limit on the pair, not on the username alone, means an attacker who hammers a victim's username locks only
their own address out: the victim can still log in from theirs. Windows expire by themselves (no permanent
lockout), and attempts refused while limited do not extend the window. If Redis is unreachable the limiter fails
open (and logs), so an outage of the cache never locks everyone out.
"""

import hashlib
import logging

from django.conf import settings
from django.http import HttpRequest
from django_redis import get_redis_connection
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What a Redis outage raises through django-redis: the limiter fails open on any of them.
_REDIS_ERRORS = (RedisError, ConnectionInterrupted, OSError)


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; retry in {retry_after}s")
        self.retry_after = retry_after  # seconds until the window that refused the attempt ends


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address TRUSTED_PROXY_COUNT proxies back in X-Forwarded-For."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops > 0 and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "unknown")


def check_login_allowed(*, username: str, address: str) -> None:
    """Count this login attempt for the address; refuse if the address or the (username, address) pair is over."""
    window = settings.LOGIN_WINDOW_SECONDS
    _hit(_key("login-address", address), settings.LOGIN_ATTEMPTS_PER_ADDRESS, window)
    _check(_key("login-failures", username.lower(), address), settings.LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS)


def record_login_failure(*, username: str, address: str) -> None:
    _count(_key("login-failures", username.lower(), address), settings.LOGIN_WINDOW_SECONDS)


def clear_login_failures(*, username: str, address: str) -> None:
    try:
        get_redis_connection("default").delete(_key("login-failures", username.lower(), address))
    except _REDIS_ERRORS as error:
        logger.warning("rate limiter unavailable: %s", error)


def check_password_reset_allowed(*, address: str) -> None:
    _hit(_key("password-reset", address), settings.PASSWORD_RESETS_PER_ADDRESS, 3600)


def _hit(key: str, limit: int, window: int) -> None:
    """Refuse when the window is full, else count the attempt."""
    _check(key, limit)
    _count(key, window)


def _check(key: str, limit: int) -> None:
    try:
        client = get_redis_connection("default")
        count = client.get(key)
        if count is not None and int(count) >= limit:
            raise RateLimited(retry_after=max(1, client.ttl(key)))
    except _REDIS_ERRORS as error:
        logger.warning("rate limiter unavailable, allowing: %s", error)


def _count(key: str, window: int) -> None:
    try:
        client = get_redis_connection("default")
        with client.pipeline() as pipe:
            pipe.set(key, 0, ex=window, nx=True)  # the window starts with the first attempt and is never extended
            pipe.incr(key)
            pipe.execute()
    except _REDIS_ERRORS as error:
        logger.warning("rate limiter unavailable: %s", error)


def _key(kind: str, *parts: str) -> str:
    # Hashed so that arbitrary usernames and addresses make bounded, safe keys.
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:rate:{kind}:{digest}"
