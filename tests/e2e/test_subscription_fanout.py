"""Many subscriptions of one user, woken by Redis alone (the safety-net poll turned off): each gets every change,
once and in order, however the writes fall against their reads. The subscriptions of one user woken by one commit
share one read of the log (schema.subscriptions); a subscription must never take a page read before the commit that
woke it, or it would sit without that change until the next write."""

import asyncio
import json
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from tests.e2e.conftest import LiveStack, running_stack

pytestmark = pytest.mark.e2e

SUBSCRIPTION = "subscription { changes { sequence entityType entityId } }"
CREATE = """mutation($input: CreateTransactionInput!) {
  createTransaction(input: $input) { transaction { id } errors { code } }
}"""
SUBSCRIBERS = 12
WRITES = 40


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    with running_stack(Path(tmp_path_factory.mktemp("stack")), LIVE_POLL_SECONDS="3600") as live:
        yield live


async def subscribe(stack: LiveStack, token: str) -> websockets.WebSocketClientProtocol:
    socket = await websockets.connect(stack.live_url, subprotocols=["graphql-transport-ws"])
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
    return socket


async def received(socket: websockets.WebSocketClientProtocol, count: int) -> list[str]:
    """The entity ids of the next `count` TRANSACTION changes, checking sequences only grow."""
    ids, last = [], 0
    while len(ids) < count:
        change = json.loads(await socket.recv())["payload"]["data"]["changes"]
        assert int(change["sequence"]) > last
        last = int(change["sequence"])
        if change["entityType"] == "TRANSACTION":
            ids.append(change["entityId"])
    return ids


def test_every_subscription_of_a_user_gets_every_change_without_the_poll(stack: LiveStack) -> None:
    token = stack.sign_up("fan")
    # The default account first, so that every change below is a transaction.
    stack.graphql(CREATE, {"input": {"amount": "1.00", "type": "INCOME"}}, token)

    async def scenario() -> None:
        sockets = await asyncio.gather(*(subscribe(stack, token) for _ in range(SUBSCRIBERS)))
        await asyncio.sleep(0.5)  # every subscription has read its starting point
        written: list[str] = []
        lock = threading.Lock()

        def write(worker: int) -> None:
            rng = random.Random(worker)
            for number in range(WRITES // 2):
                created = stack.graphql(CREATE, {"input": {"amount": f"{number + 1}.00", "type": "EXPENSE"}}, token)
                with lock:
                    written.append(created["data"]["createTransaction"]["transaction"]["id"])
                threading.Event().wait(rng.uniform(0, 0.03))  # writes land anywhere against the reads

        await asyncio.gather(*(asyncio.to_thread(write, worker) for worker in range(2)))
        # The last write wakes everyone once more; with the poll off, a stale shared read would leave it out.
        got = await asyncio.wait_for(asyncio.gather(*(received(socket, WRITES) for socket in sockets)), 15)
        for ids in got:
            assert sorted(ids) == sorted(written)
            assert len(set(ids)) == WRITES
        await asyncio.gather(*(socket.close() for socket in sockets))

    asyncio.run(scenario())
