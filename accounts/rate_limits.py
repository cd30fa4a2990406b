"""Fixed-window attempt counters in Redis for logins, registrations, password changes and password-reset requests.

Login failures are counted per (username, client address), and all login attempts per client address. Keying the
failure limit on the pair, not on the username alone, means an attacker who hammers a victim's username locks only
their own address out: the victim can still log in from theirs. Windows start with their first attempt and expire
by themselves (no permanent lockout); attempts refused while limited do not extend the window.

Count before the work: every attempt is counted, and checked against the limit, by one atomic Redis script before
any password is hashed. So concurrent requests, or aliases in one document, can never evaluate more guesses (or run
more hashes) than the limit allows. A success takes the failure count back (`*_succeeded`).

The window's clock is this process's `time.time()`, handed to the script, so tests can move time instead of
sleeping. If Redis is unreachable the limiter fails open (and logs): an outage of the cache never locks everyone out.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.http import HttpRequest
from django_redis import get_redis_connection

from storage.cache import REDIS_OUTAGE_ERRORS, cache_key

logger = logging.getLogger(__name__)

_REGISTRATION_WINDOW_SECONDS = 3600
_PASSWORD_RESET_WINDOW_SECONDS = 3600

# KEYS[1]: the counter; ARGV: now and the window, in milliseconds. Returns {count including this attempt, start}.
_COUNT_ATTEMPT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local start = tonumber(redis.call('HGET', KEYS[1], 'start'))
if start == nil or now >= start + window then
  start = now
  redis.call('HSET', KEYS[1], 'start', ARGV[1], 'count', 0)
  redis.call('PEXPIRE', KEYS[1], window + 1000)
end
return {redis.call('HINCRBY', KEYS[1], 'count', 1), start}
"""


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


def login_attempt(*, username: str, address: str) -> None:
    """Count a login attempt for the address and, until it succeeds, as a failure of (username, address)."""
    window = settings.LOGIN_WINDOW_SECONDS
    _count_attempt(_key("login-address", address), settings.LOGIN_ATTEMPTS_PER_ADDRESS, window)
    _count_attempt(_login_failures_key(username, address), settings.LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS, window)


def login_succeeded(*, username: str, address: str) -> None:
    _forget(_login_failures_key(username, address))


def registration_attempt(*, address: str) -> None:
    _count_attempt(_key("register", address), settings.REGISTRATIONS_PER_ADDRESS, _REGISTRATION_WINDOW_SECONDS)


def password_change_attempt(*, user_id: object) -> None:
    """Count a password change as a failure until it succeeds: a stolen access token cannot guess on forever."""
    _count_attempt(
        _password_change_key(user_id), settings.PASSWORD_CHANGE_FAILURES_PER_USER, settings.LOGIN_WINDOW_SECONDS
    )


def password_change_succeeded(*, user_id: object) -> None:
    _forget(_password_change_key(user_id))


def password_reset_attempt(*, address: str) -> None:
    _count_attempt(
        _key("password-reset", address), settings.PASSWORD_RESETS_PER_ADDRESS, _PASSWORD_RESET_WINDOW_SECONDS
    )


def _count_attempt(key: str, limit: int, window_seconds: int) -> None:
    """Count the attempt; raise RateLimited when it is over the limit of its window."""
    now, window = int(time.time() * 1000), window_seconds * 1000
    try:
        count, start = get_redis_connection("default").eval(_COUNT_ATTEMPT, 1, key, now, window)
    except REDIS_OUTAGE_ERRORS as error:
        logger.warning("rate limiter unavailable, allowing: %s", error)
        return
    if int(count) > limit:
        raise RateLimited(retry_after=max(1, math.ceil((int(start) + window - now) / 1000)))


def _forget(key: str) -> None:
    try:
        get_redis_connection("default").delete(key)
    except REDIS_OUTAGE_ERRORS as error:
        logger.warning("rate limiter unavailable: %s", error)


def _login_failures_key(username: str, address: str) -> str:
    return _key("login-failures", username.lower(), address)


def _password_change_key(user_id: object) -> str:
    return _key("password-change", str(user_id))


def _key(kind: str, *parts: str) -> str:
    # Hashed so that arbitrary usernames and addresses make bounded, safe keys.
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return cache_key("rate", kind, digest)
