"""One hub per ASGI process (issue 14): it knows the process's open websocket connections, wakes a user's
subscriptions when their change log moves, and closes a connection whose token was revoked.

Two ways to learn of a change, so that none is missed:
- Redis pub/sub (storage.live): one redis.asyncio connection subscribed to the channel of each locally connected
  user, subscribed when their first connection arrives and unsubscribed when their last one leaves.
- A poll every LIVE_POLL_SECONDS: ONE query over all locally connected users (their change sequence, token version
  and whether they are still active) wakes those whose sequence moved and closes revoked connections. It catches
  what pub/sub cannot: messages lost while Redis restarted, and writers that do not publish (the Go binary).

A wake-up only says "read again": subscriptions read the log from their own position (schema/subscriptions.py), so
a spurious wake-up costs one empty read and a lost one delays delivery until the next poll.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from ledger.selectors.live import LiveState, live_states
from storage.cache import REDIS_OUTAGE_ERRORS
from storage.live import REVOKED, live_channel

logger = logging.getLogger("schema.live")

T = TypeVar("T")

TOKEN_EXPIRED = "Token expired"
TOKEN_REVOKED = "Token revoked"


async def database_read(read: Callable[..., T], *args: object, **kwargs: object) -> T:
    """`read(*args, **kwargs)` on Django's thread for sync code (asgiref, thread_sensitive). First, as Django does at
    each request, the thread's database connection is dropped if it broke or outlived CONN_MAX_AGE: this process has
    no requests, so without it a database restart would fail every later read."""
    return await sync_to_async(_read_with_a_sound_connection, thread_sensitive=True)(read, *args, **kwargs)


def _read_with_a_sound_connection(read: Callable[..., T], *args: object, **kwargs: object) -> T:
    close_old_connections()
    return read(*args, **kwargs)


class LiveConnection:
    """One authenticated websocket connection: its subscriptions' wake-ups and how it ends (the token expires, or is
    revoked). `close(reason)` closes the socket with 4403 and that reason."""

    def __init__(
        self,
        *,
        user_id: uuid.UUID,
        token_version: object,
        expires_at: float,
        close: Callable[[str], Awaitable[None]],
    ) -> None:
        self.user_id = user_id
        self.token_version = token_version
        self.expires_at = expires_at
        self.closed = False
        self._close = close
        self._wakeups: set[asyncio.Event] = set()
        self._expiry: asyncio.TimerHandle | None = None
        self._ending: asyncio.Task | None = None

    def schedule_expiry(self) -> None:
        """Close the connection with TOKEN_EXPIRED at the token's `exp` (at once if it has passed)."""
        loop = asyncio.get_running_loop()
        delay = max(0.0, self.expires_at - time.time())
        self._expiry = loop.call_later(delay, self.end, TOKEN_EXPIRED)

    @contextlib.contextmanager
    def wakeups(self) -> Iterator[asyncio.Event]:
        """An event `wake` sets, for one subscription while it runs. Clear it before reading, wait on it after."""
        event = asyncio.Event()
        self._wakeups.add(event)
        try:
            yield event
        finally:
            self._wakeups.discard(event)

    def wake(self) -> None:
        for event in self._wakeups:
            event.set()

    def end(self, reason: str) -> None:
        """Close the socket (once). Subscriptions stop yielding first (they check `closed`), so nothing is sent after
        the close frame."""
        if self.closed:
            return
        self.closed = True
        self.forget()
        self._ending = asyncio.get_running_loop().create_task(self._close(reason))

    def forget(self) -> None:
        """The socket is gone: no expiry to schedule any more."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None


class LiveHub:
    """The process's connections by user, the Redis subscription and the poll (see the module's docstring)."""

    def __init__(self, *, redis_url: str, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self._redis = redis.asyncio.Redis.from_url(redis_url, socket_connect_timeout=1)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._connections: dict[uuid.UUID, set[LiveConnection]] = {}
        self._channels: dict[str, uuid.UUID] = {}
        self._sequences: dict[uuid.UUID, int] = {}  # the last change sequence seen, per user
        self._wakes: dict[uuid.UUID, int] = {}  # how many times each user's connections were woken
        # redis-py's asyncio PubSub loses subscriptions when (un)subscribe calls overlap (measured: of 10 concurrent
        # subscribes, one channel received its messages), as they do when many sockets connect at once.
        self._subscribing = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._poll())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(*REDIS_OUTAGE_ERRORS):
            await self._pubsub.aclose()
        await self._redis.aclose()

    async def add(self, connection: LiveConnection) -> None:
        """Follow `connection`'s user (subscribing to their channel if it is the first of theirs here)."""
        user = connection.user_id
        first = user not in self._connections
        self._connections.setdefault(user, set()).add(connection)
        if first:
            channel = live_channel(user)
            self._channels[channel] = user
            try:
                async with self._subscribing:
                    await self._pubsub.subscribe(channel)
            except REDIS_OUTAGE_ERRORS:
                logger.warning("live: cannot subscribe to %s (Redis unavailable); the poll covers it", channel)

    async def remove(self, connection: LiveConnection) -> None:
        connection.forget()
        user = connection.user_id
        mine = self._connections.get(user)
        if mine is None:
            return
        mine.discard(connection)
        if not mine:
            del self._connections[user]
            self._sequences.pop(user, None)
            self._wakes.pop(user, None)
            channel = live_channel(user)
            self._channels.pop(channel, None)
            with contextlib.suppress(*REDIS_OUTAGE_ERRORS):
                async with self._subscribing:
                    await self._pubsub.unsubscribe(channel)

    def users(self) -> list[uuid.UUID]:
        return list(self._connections)

    async def check(self, users: list[uuid.UUID]) -> None:
        """ONE query over `users`: wake those whose change sequence moved; close connections whose token is no
        longer valid (revoked: the token version moved; the user deactivated or deleted)."""
        if not users:
            return
        states = await database_read(live_states, users)
        for user in users:
            state = states.get(user)
            for connection in list(self._connections.get(user, ())):
                if not _still_valid(connection, state):
                    connection.end(TOKEN_REVOKED)
            if state is not None and self._sequences.get(user) != state.change_sequence:
                self._sequences[user] = state.change_sequence
                self._wake(user)

    def wake_count(self, user: uuid.UUID) -> int:
        """How many times the user's connections have been woken: reads started at the same count see the same
        commits (schema.subscriptions shares them)."""
        return self._wakes.get(user, 0)

    def _wake(self, user: uuid.UUID) -> None:
        self._wakes[user] = self._wakes.get(user, 0) + 1
        for connection in self._connections.get(user, ()):
            connection.wake()

    async def _on_message(self, channel: str, data: str) -> None:
        user = self._channels.get(channel)
        if user is None:
            return
        if data == REVOKED:
            await self.check([user])
            return
        if data.isdigit():
            self._sequences[user] = max(self._sequences.get(user, 0), int(data))
        self._wake(user)

    async def _listen(self) -> None:
        while True:
            try:
                if self._pubsub.connection is None:  # nothing subscribed yet
                    await asyncio.sleep(0.05)
                    continue
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None and message["type"] == "message":
                    await self._on_message(_text(message["channel"]), _text(message["data"]))
            except REDIS_OUTAGE_ERRORS:
                logger.warning("live: Redis pub/sub connection lost; reconnecting (the poll covers the gap)")
                await self._resubscribe()
            except Exception:  # one bad message must not stop the hub
                logger.exception("live: unexpected error in the pub/sub listener")
                await asyncio.sleep(1)

    async def _resubscribe(self) -> None:
        with contextlib.suppress(*REDIS_OUTAGE_ERRORS):
            await self._pubsub.aclose()
        await asyncio.sleep(1)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        channels = list(self._channels)
        if channels:
            try:
                async with self._subscribing:
                    await self._pubsub.subscribe(*channels)
            except REDIS_OUTAGE_ERRORS:
                return  # the next round tries again
        # Whatever was published while the connection was down is found by reading: wake everyone.
        self._sequences.clear()
        await self.check(self.users())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.check(self.users())
            except Exception:  # a database hiccup: try again next round
                logger.exception("live: poll failed")


def _still_valid(connection: LiveConnection, state: LiveState | None) -> bool:
    return state is not None and state.is_active and state.token_version == connection.token_version


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


_hub: LiveHub | None = None


def live_hub() -> LiveHub:
    """The process's hub, started on first use (in the ASGI server's event loop)."""
    global _hub  # noqa: PLW0603
    if _hub is None:
        _hub = LiveHub(redis_url=settings.REDIS_URL, poll_seconds=settings.LIVE_POLL_SECONDS)
        _hub.start()
    return _hub


async def stop_live_hub() -> None:
    """At server shutdown: stop the hub's tasks and close its Redis connections."""
    global _hub  # noqa: PLW0603
    if _hub is not None:
        hub, _hub = _hub, None
        await hub.stop()
