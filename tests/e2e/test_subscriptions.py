"""The `changes` subscription against the stack as `make run` starts it: gql's websockets transport speaking
graphql-transport-ws to the live server (uvicorn), writes over HTTP to gunicorn, real Redis pub/sub, a real database.

One stack for the module (starting one takes seconds); each test has users of its own.
"""

import asyncio
import base64
import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import jwt
import psycopg
import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import LiveStack, running_stack

pytestmark = pytest.mark.e2e

JWT_SECRET_KEY = "e2e-subscriptions-jwt-key-" + "k" * 32
# Long enough that a test's own wait (a few seconds) never meets it, short enough for the poll test to be quick.
POLL_SECONDS = "1"
WAIT = 10.0  # seconds: far above any expected delay (pub/sub: milliseconds; the poll: POLL_SECONDS)

CHANGES = gql("""
subscription Changes($after: String) {
  changes(after: $after) { sequence operation entityType entityId transaction { id amount } }
}
""")
CREATE = """
mutation Create($amount: Decimal!) {
  createTransaction(input: {amount: $amount, type: EXPENSE, category: "Live", date: "2026-03-01"}) {
    transaction { id } errors { code }
  }
}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    workdir = tmp_path_factory.mktemp("subscriptions")
    with running_stack(
        workdir, JWT_SECRET_KEY=JWT_SECRET_KEY, LIVE_POLL_SECONDS=POLL_SECONDS, REGISTRATIONS_PER_ADDRESS="100"
    ) as live:
        yield live


@dataclass
class Person:
    stack: LiveStack
    token: str
    refresh_token: str

    def create(self, amount: str) -> str:
        body = self.stack.graphql(CREATE, {"amount": amount}, self.token)["data"]["createTransaction"]
        assert body["errors"] == []
        return body["transaction"]["id"]

    async def create_async(self, amount: str) -> str:
        return await asyncio.to_thread(self.create, amount)

    def last_sequence(self) -> int:
        cursor = self.stack.graphql("{ changeCursor }", token=self.token)["data"]["changeCursor"]
        return int(base64.urlsafe_b64decode(cursor).decode().partition("|")[2])


def change_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"changes|{sequence}".encode()).decode()


def person(stack: LiveStack) -> Person:
    name = f"live{uuid.uuid4().hex[:10]}"
    register = stack.graphql(
        "mutation($u: String!, $e: String!) { register(username: $u, email: $e, password: $p) { errors { code } } }".replace(
            "$p", '"correct horse 9"'
        ),
        {"u": name, "e": f"{name}@example.com"},
    )
    assert register["data"]["register"]["errors"] == []
    login = stack.graphql(
        'mutation($u: String!) { login(username: $u, password: "correct horse 9") { token refreshToken } }', {"u": name}
    )["data"]["login"]
    return Person(stack=stack, token=login["token"], refresh_token=login["refreshToken"])


@asynccontextmanager
async def subscription(stack: LiveStack, init: dict, after: str | None = None) -> AsyncIterator[AsyncIterator]:
    transport = WebsocketsTransport(
        url=stack.live_url,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload=init,
        ping_interval=None,
    )
    async with Client(transport=transport) as session:
        results = session.subscribe(CHANGES, variable_values={"after": after})
        try:
            yield results
        finally:
            await results.aclose()


def bearer(token: str, key: str = "Authorization") -> dict:
    return {key: f"Bearer {token}"}


async def take(results: AsyncIterator, count: int) -> list[dict]:
    changes = []
    for _ in range(count):
        changes.append((await asyncio.wait_for(results.__anext__(), WAIT))["changes"])
    return changes


async def nothing_more(results: AsyncIterator, seconds: float) -> None:
    """Nothing arrives for `seconds` (then the subscription is stopped)."""
    pending = asyncio.ensure_future(results.__anext__())
    done, _ = await asyncio.wait([pending], timeout=seconds)
    assert not done, pending.result()
    pending.cancel()
    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
        await pending


def run(coroutine: object) -> object:
    return asyncio.run(coroutine)


def sequences(changes: list[dict]) -> list[str]:
    return [change["sequence"] for change in changes]


def transaction_ids(changes: list[dict]) -> list[str]:
    return [change["entityId"] for change in changes]


async def closed_with(results: AsyncIterator) -> tuple[int, str]:
    """Wait for the server to close the socket; its close code and reason."""
    try:
        while True:
            await asyncio.wait_for(results.__anext__(), WAIT)
    except ConnectionClosed as closed:
        return closed.rcvd.code, closed.rcvd.reason


def test_live_changes_then_a_reconnect_with_after_gets_exactly_the_missed_ones(stack: LiveStack) -> None:
    alice = person(stack)
    start = alice.last_sequence()  # her default ledger account's creation

    async def scenario() -> None:
        async with subscription(stack, bearer(alice.token), after=str(start)) as results:
            first = [await alice.create_async("1.00"), await alice.create_async("2.00")]
            received = await take(results, 2)
            assert sequences(received) == [str(start + 1), str(start + 2)]
            assert transaction_ids(received) == first
            assert [change["transaction"]["amount"] for change in received] == ["1.00", "2.00"]
            assert {(change["operation"], change["entityType"]) for change in received} == {("CREATED", "TRANSACTION")}
        missed = [alice.create("3.00"), alice.create("4.00"), alice.create("5.00")]
        # The lower-case key is accepted too; `after` is the sequence of the last change received.
        async with subscription(stack, bearer(alice.token, "authorization"), after=received[-1]["sequence"]) as again:
            replayed = await take(again, 3)
            assert sequences(replayed) == [str(start + 3), str(start + 4), str(start + 5)]
            assert transaction_ids(replayed) == missed
            live = await alice.create_async("6.00")
            assert await take(again, 1) == [
                {
                    "sequence": str(start + 6),
                    "operation": "CREATED",
                    "entityType": "TRANSACTION",
                    "entityId": live,
                    "transaction": {"id": live, "amount": "6.00"},
                }
            ]
            await nothing_more(again, 0.5)

    run(scenario())


def test_a_cursor_from_the_changes_query_resumes_too(stack: LiveStack) -> None:
    alice = person(stack)
    cursor = stack.graphql("{ changeCursor }", token=alice.token)["data"]["changeCursor"]
    created = alice.create("7.00")

    async def scenario() -> None:
        async with subscription(stack, bearer(alice.token), after=cursor) as results:
            assert transaction_ids(await take(results, 1)) == [created]

    run(scenario())


def test_without_after_only_changes_from_then_on_arrive(stack: LiveStack) -> None:
    alice = person(stack)
    alice.create("1.00")
    before = alice.last_sequence()

    async def scenario() -> None:
        async with subscription(stack, bearer(alice.token)) as results:
            # The subscription starts at her latest change when the server gets it: write until one arrives.
            pending = asyncio.ensure_future(results.__anext__())
            written = []
            while not pending.done():
                written.append(await alice.create_async("1.00"))
                await asyncio.wait([pending], timeout=0.2)
            first = pending.result()["changes"]
            assert int(first["sequence"]) > before
            assert first["entityId"] in written
            # From there on, each later write exactly once, in order.
            later = [await alice.create_async("2.00"), await alice.create_async("3.00")]
            rest = written[written.index(first["entityId"]) + 1 :] + later
            received = await take(results, len(rest))
            assert transaction_ids(received) == rest
            assert sequences(received) == [str(int(first["sequence"]) + n) for n in range(1, len(rest) + 1)]

    run(scenario())


def test_another_users_changes_never_arrive(stack: LiveStack) -> None:
    alice, bob = person(stack), person(stack)

    async def scenario() -> None:
        async with subscription(stack, bearer(bob.token), after=str(bob.last_sequence())) as results:
            for amount in ("1.00", "2.00", "3.00"):
                await alice.create_async(amount)
            own = await bob.create_async("9.00")
            received = await take(results, 1)
            assert transaction_ids(received) == [own]
            assert sequences(received) == ["2"]  # his own numbering: his account, then this
            await nothing_more(results, 0.5)

    run(scenario())


@pytest.mark.parametrize(
    ("after", "code"),
    # 999: ahead of her log (as a sequence, and as the cursor the changes query would take)
    [("not-a-cursor", "INVALID_CURSOR"), ("999", "CURSOR_EXPIRED"), (change_cursor(999), "CURSOR_EXPIRED")],
)
def test_a_bad_cursor_gets_the_coded_error_of_the_changes_query(stack: LiveStack, after: str, code: str) -> None:
    alice = person(stack)

    async def scenario() -> list[dict]:
        async with subscription(stack, bearer(alice.token), after=after) as results:
            with pytest.raises(TransportQueryError) as refused:
                await asyncio.wait_for(results.__anext__(), WAIT)
        return refused.value.errors

    errors = run(scenario())
    as_cursor = change_cursor(int(after)) if after.isdigit() else after
    query = stack.graphql("query($a: String) { changes(after: $a) { cursor } }", {"a": as_cursor}, alice.token)
    assert len(errors) == len(query["errors"]) == 1
    assert errors[0]["extensions"]["code"] == query["errors"][0]["extensions"]["code"] == code
    assert errors[0]["message"] == query["errors"][0]["message"]


@pytest.mark.parametrize(
    "init",
    [{"Authorization": "Bearer not-a-token"}, {}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": 7}],
    ids=["malformed", "missing", "not-bearer", "not-a-string"],
)
def test_a_bad_token_at_init_is_closed_with_4403(stack: LiveStack, init: dict) -> None:
    async def scenario() -> None:
        with pytest.raises(ConnectionClosed) as closed:
            async with subscription(stack, init) as results:
                await asyncio.wait_for(results.__anext__(), WAIT)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")

    run(scenario())


def test_an_expiring_token_is_disconnected_with_4403_when_it_expires(stack: LiveStack) -> None:
    alice = person(stack)
    claims = jwt.decode(alice.token, options={"verify_signature": False})
    expires_at = int(time.time()) + 2
    short_lived = jwt.encode({**claims, "exp": expires_at}, JWT_SECRET_KEY, algorithm="HS256")

    async def scenario() -> None:
        async with subscription(stack, bearer(short_lived), after=str(alice.last_sequence())) as results:
            created = await alice.create_async("1.00")
            assert transaction_ids(await take(results, 1)) == [created]  # it works until then
            assert await closed_with(results) == (4403, "Token expired")
            assert time.time() >= expires_at

    run(scenario())


def test_logout_everywhere_disconnects_with_4403(stack: LiveStack) -> None:
    alice = person(stack)

    async def scenario() -> None:
        async with subscription(stack, bearer(alice.token), after=str(alice.last_sequence())) as results:
            created = await alice.create_async("1.00")
            assert transaction_ids(await take(results, 1)) == [created]
            revoked = await asyncio.to_thread(
                stack.graphql,
                "mutation($r: String!) { revokeToken(refreshToken: $r) { errors { code } } }",
                {"r": alice.refresh_token},
            )
            assert revoked["data"]["revokeToken"]["errors"] == []
            assert await closed_with(results) == (4403, "Token revoked")

    run(scenario())
    with pytest.raises(ConnectionClosed):  # and the token no longer connects
        run(_first(stack, bearer(alice.token)))


async def _first(stack: LiveStack, init: dict) -> dict:
    async with subscription(stack, init) as results:
        return await asyncio.wait_for(results.__anext__(), WAIT)


def test_a_change_committed_without_a_publish_arrives_through_the_poll(stack: LiveStack) -> None:
    """The Go binary's recorder writes changes and publishes nothing: the live server's poll finds them."""
    alice = person(stack)
    created = alice.create("1.00")
    start = alice.last_sequence()

    async def scenario() -> None:
        async with subscription(stack, bearer(alice.token), after=str(start)) as results:
            await asyncio.to_thread(record_change_without_publishing, stack.database_url, created)
            started = time.monotonic()
            received = await take(results, 1)
            assert sequences(received) == [str(start + 1)]
            assert (received[0]["operation"], received[0]["entityId"]) == ("UPDATED", created)
            assert time.monotonic() - started < float(POLL_SECONDS) + 2

    run(scenario())


def record_change_without_publishing(database_url: str, transaction_id: str) -> None:
    """An UPDATED change of the transaction, written as ledger/changes.py's contract tells writers outside Django: the
    version bump, the sequence allocation, the row, commit (no Redis)."""
    if database_url.startswith("sqlite:"):
        connection = sqlite3.connect(Path(database_url.removeprefix("sqlite:///")), isolation_level=None)
        placeholder, entity_id = "?", uuid.UUID(transaction_id).hex
    else:
        connection = psycopg.connect(database_url)
        placeholder, entity_id = "%s", transaction_id
    try:
        with connection if not isinstance(connection, sqlite3.Connection) else _sqlite_transaction(connection):
            cursor = connection.cursor()
            sql = _statements(placeholder)
            cursor.execute(sql["change"], (entity_id,))
            user_id, snapshot = cursor.fetchone()
            cursor.execute(sql["bump"], (user_id,))
            cursor.execute(sql["allocate"], (user_id,))
            (sequence,) = cursor.fetchone()
            at = "2026-03-01 12:00:00.000000" if placeholder == "?" else "2026-03-01T12:00:00+00:00"
            snapshot_text = snapshot if isinstance(snapshot, str) else json.dumps(snapshot)
            cursor.execute(sql["insert"], (user_id, sequence, entity_id, at, snapshot_text))
    finally:
        connection.close()


class _sqlite_transaction:  # noqa: N801 - used as `with`, like psycopg's connection
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.connection.execute("COMMIT" if kind is None else "ROLLBACK")


def _statements(p: str) -> dict[str, str]:
    return {
        "change": f"SELECT user_id, snapshot FROM ledger_change WHERE entity_id = {p} ORDER BY sequence DESC LIMIT 1",
        "bump": "UPDATE ledger_balanceversion SET version = version + 1 WHERE user_id = " + p,
        "allocate": (
            "INSERT INTO ledger_balanceversion (user_id, version, volume_minor, change_sequence) "
            f"VALUES ({p}, 0, 0, 1) ON CONFLICT (user_id) DO UPDATE "
            "SET change_sequence = ledger_balanceversion.change_sequence + excluded.change_sequence "
            "RETURNING change_sequence"
        ),
        "insert": (
            "INSERT INTO ledger_change (user_id, sequence, entity_type, entity_id, operation, at, snapshot) "
            f"VALUES ({p}, {p}, 'TRANSACTION', {p}, 'UPDATED', {p}, {p})"
        ),
    }
