"""The live hub's decisions (schema/live_hub.py) and the after-commit publish (storage/live.py), through their public
functions, with real Redis and the real database: who is woken, when a connection is closed and why."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections, transaction
from django_redis import get_redis_connection

from accounts.models import User
from accounts.tokens import revoke_all_sessions
from ledger.changes import allocate_sequence
from schema.live_hub import TOKEN_EXPIRED, TOKEN_REVOKED, LiveConnection, LiveHub
from storage.live import live_channel, publish_after_commit
from tests.conftest import make_user

WAIT = 5.0


class Closes:
    """The reasons a connection was closed with, in order (what the socket would have sent)."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.at: list[float] = []

    async def __call__(self, reason: str) -> None:
        self.reasons.append(reason)
        self.at.append(time.time())


def connection_of(user: User, closes: Closes, *, expires_in: float = 300) -> LiveConnection:
    return LiveConnection(
        user_id=user.pk, token_version=user.token_version, expires_at=time.time() + expires_in, close=closes
    )


async def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def with_hub(scenario: Callable[[LiveHub], Awaitable[None]]) -> None:
    """Run `scenario` with a started hub (a poll too slow to matter, so only what the scenario does wakes anyone)."""

    async def run() -> None:
        hub = LiveHub(redis_url=settings.REDIS_URL, poll_seconds=3600)
        hub.start()
        try:
            await scenario(hub)
        finally:
            await hub.stop()
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    asyncio.run(run())


@pytest.fixture
def alice(transactional_db: None) -> User:
    return make_user("alice")


@pytest.fixture
def bob(transactional_db: None) -> User:
    return make_user("bob")


def test_an_expiring_token_closes_its_connection_at_exp_not_before() -> None:
    closes = Closes()

    async def scenario() -> None:
        live = LiveConnection(user_id=None, token_version=0, expires_at=time.time() + 0.3, close=closes)
        live.schedule_expiry()
        await asyncio.sleep(0.15)
        assert closes.reasons == []
        await until(lambda: closes.reasons)
        assert live.closed

    started = time.time()
    asyncio.run(scenario())
    assert closes.reasons == [TOKEN_EXPIRED]
    assert closes.at[0] - started >= 0.3


def test_a_token_already_expired_closes_at_once() -> None:
    closes = Closes()

    async def scenario() -> None:
        LiveConnection(user_id=None, token_version=0, expires_at=time.time() - 5, close=closes).schedule_expiry()
        await until(lambda: closes.reasons)

    asyncio.run(scenario())
    assert closes.reasons == [TOKEN_EXPIRED]


def test_a_connection_gone_before_its_exp_is_not_closed_again() -> None:
    closes = Closes()

    async def scenario() -> None:
        live = LiveConnection(user_id=None, token_version=0, expires_at=time.time() + 0.1, close=closes)
        live.schedule_expiry()
        live.forget()  # the client left
        await asyncio.sleep(0.3)

    asyncio.run(scenario())
    assert closes.reasons == []


def test_a_publish_wakes_the_users_connections_only(alice: User, bob: User) -> None:
    async def scenario(hub: LiveHub) -> None:
        alices, bobs = connection_of(alice, Closes()), connection_of(bob, Closes())
        await hub.add(alices)
        await hub.add(bobs)
        with alices.wakeups() as alice_woken, bobs.wakeups() as bob_woken:
            await until(lambda: _subscribers(live_channel(alice.pk)) == 1)
            await asyncio.to_thread(publish_after_commit, alice.pk, "7")  # outside a transaction: at once
            await asyncio.wait_for(alice_woken.wait(), WAIT)
            await asyncio.sleep(0.1)
            assert not bob_woken.is_set()

    with_hub(scenario)


def test_users_connecting_at_once_are_all_woken_by_their_publishes(transactional_db: None) -> None:
    users = [make_user(f"crowd{number}") for number in range(10)]

    async def scenario(hub: LiveHub) -> None:
        crowd = [connection_of(user, Closes()) for user in users for _ in range(3)]
        await asyncio.gather(*(hub.add(connection) for connection in crowd))  # as sockets arriving together do
        with contextlib.ExitStack() as stack:
            woken = [stack.enter_context(connection.wakeups()) for connection in crowd]
            await until(lambda: all(_subscribers(live_channel(user.pk)) == 1 for user in users))
            for user in users:
                await asyncio.to_thread(publish_after_commit, user.pk, "1")
            await asyncio.wait_for(asyncio.gather(*(event.wait() for event in woken)), WAIT)

    with_hub(scenario)


def test_the_last_connection_of_a_user_unsubscribes_their_channel(alice: User) -> None:
    async def scenario(hub: LiveHub) -> None:
        first, second = connection_of(alice, Closes()), connection_of(alice, Closes())
        await hub.add(first)
        await hub.add(second)
        await until(lambda: _subscribers(live_channel(alice.pk)) == 1)  # one Redis subscription for both
        await hub.remove(first)
        assert hub.users() == [alice.pk]
        await hub.remove(second)
        assert hub.users() == []
        await until(lambda: _subscribers(live_channel(alice.pk)) == 0)

    with_hub(scenario)


def test_nothing_is_published_before_commit_nor_after_a_rollback(alice: User) -> None:
    listener = get_redis_connection("default").pubsub(ignore_subscribe_messages=True)
    listener.subscribe(live_channel(alice.pk))
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            publish_after_commit(alice.pk, "1")
            raise RuntimeError("the write fails")
        with transaction.atomic():
            publish_after_commit(alice.pk, "2")
            assert listener.get_message(timeout=0.2) is None  # not before the commit
        message = listener.get_message(timeout=WAIT)
        assert (message["channel"].decode(), message["data"]) == (live_channel(alice.pk), b"2")
        assert listener.get_message(timeout=0.2) is None
    finally:
        listener.close()


def test_the_poll_wakes_a_user_whose_log_moved_without_a_publish(alice: User, bob: User) -> None:
    async def scenario(hub: LiveHub) -> None:
        alices, bobs = connection_of(alice, Closes()), connection_of(bob, Closes())
        await hub.add(alices)
        await hub.add(bobs)
        await hub.check(hub.users())  # learns where each log is (a first look wakes: one harmless read)
        with alices.wakeups() as alice_woken, bobs.wakeups() as bob_woken:
            await sync_to_async(_move_log_without_publishing, thread_sensitive=True)(alice)
            await hub.check(hub.users())
            assert alice_woken.is_set()
            assert not bob_woken.is_set()
            alice_woken.clear()
            await hub.check(hub.users())  # nothing moved since
            assert not alice_woken.is_set()

    with_hub(scenario)


def test_revoked_and_deactivated_users_connections_are_closed_others_stay(alice: User, bob: User) -> None:
    carol = make_user("carol")
    closes = {name: Closes() for name in ("alice", "bob", "carol")}

    async def scenario(hub: LiveHub) -> None:
        live = {
            "alice": connection_of(alice, closes["alice"]),
            "bob": connection_of(bob, closes["bob"]),
            "carol": connection_of(carol, closes["carol"]),
        }
        for connection in live.values():
            await hub.add(connection)
        await sync_to_async(_revoke_and_deactivate, thread_sensitive=True)(alice, carol)
        await hub.check(hub.users())
        await until(lambda: closes["alice"].reasons and closes["carol"].reasons)
        assert live["alice"].closed and live["carol"].closed and not live["bob"].closed

    with_hub(scenario)
    assert {name: close.reasons for name, close in closes.items()} == {
        "alice": [TOKEN_REVOKED],
        "bob": [],
        "carol": [TOKEN_REVOKED],
    }


def test_a_revoked_message_closes_at_once_without_waiting_for_the_poll(alice: User) -> None:
    closes = Closes()

    async def scenario(hub: LiveHub) -> None:
        await hub.add(connection_of(alice, closes))
        await until(lambda: _subscribers(live_channel(alice.pk)) == 1)
        await sync_to_async(revoke_all_sessions, thread_sensitive=True)(alice)  # publishes "revoked" on commit
        await until(lambda: closes.reasons)

    with_hub(scenario)
    assert closes.reasons == [TOKEN_REVOKED]


def _subscribers(channel: str) -> int:
    return dict(get_redis_connection("default").pubsub_numsub(channel))[channel.encode()]


def _move_log_without_publishing(user: User) -> None:
    with transaction.atomic():
        allocate_sequence(user.pk, 1)


def _revoke_and_deactivate(revoked: User, deactivated: User) -> None:
    revoke_all_sessions(revoked)
    User.objects.filter(pk=deactivated.pk).update(is_active=False)
