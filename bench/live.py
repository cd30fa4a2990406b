"""`make bench-live` (also the last part of `make bench`): GraphQL subscriptions under load.

Starts its own PostgreSQL and Redis, the API (gunicorn) and the live server (the ASGI server) exactly as `make run`
starts them, with DEBUG off. Opens BENCH_SUBSCRIBERS (default 1,000) idle `changes` subscriptions over
graphql-transport-ws, BENCH_SUBSCRIBERS_PER_USER (default 10) per user, then records BENCH_LIVE_WRITES (default 300)
transactions one after another through the HTTP API, spread over the users, and measures for every delivery the
delay from the write's change time (taken in its database transaction, just before the commit) to its arrival at
the subscriber. Every subscriber must receive exactly its own user's changes, each once and in order: the run fails
otherwise.

Printed and written to bench/results/live-<timestamp>.json: the delay's p50/p99 (the first subscriber of a user to
get a change, and all of them), the same as ratios to the create mutation's own round trip measured in the same run
(the baseline), the time to open the subscriptions, and the live server's RSS with every subscriber connected.
"""

import asyncio
import datetime
import json
import os
import statistics
import time
import urllib.request
from dataclasses import dataclass, field

import psycopg
import websockets
from websockets.client import WebSocketClientProtocol

from bench.django_setup import setup_django
from bench.http.cases import CREATE, graphql_body
from bench.machine import machine_info, process_rss_mb
from bench.report import format_table, write_result
from bench.stack import (
    API_COMMAND,
    api_environment,
    backing_servers,
    create_database,
    log,
    scratch_dir,
    started_server,
)
from bench.users import insert_users
from devserver.run import live_server_command
from devserver.servers import free_port

SUBSCRIPTION = "subscription Live { changes { sequence at entityType entityId } }"


@dataclass
class Subscriber:
    user: int
    received: list[tuple[int, float, str]] = field(default_factory=list)  # (sequence, arrival, entity id)


def main() -> int:
    subscribers = int(os.environ.get("BENCH_SUBSCRIBERS", "1000"))
    per_user = int(os.environ.get("BENCH_SUBSCRIBERS_PER_USER", "10"))
    writes = int(os.environ.get("BENCH_LIVE_WRITES", "300"))
    users = -(-subscribers // per_user)
    machine = machine_info()
    with scratch_dir("finance-bench-live-") as workdir, backing_servers(workdir) as backing:
        database_url = create_database(backing.postgres, "bench_live")
        api_port, live_port = free_port(), free_port()
        env = api_environment(database_url, backing.redis.url, api_port, workdir)
        env["LIVE_PORT"] = str(live_port)
        # Redis alone delivers: a change whose wake-up got lost would miss the deadline and fail the run, instead
        # of arriving by the safety-net poll and passing as a slow delivery.
        env["LIVE_POLL_SECONDS"] = "3600"
        tokens = _tokens(database_url, env, users)
        with (
            started_server(API_COMMAND, env, api_port, workdir / "api.log"),
            started_server(live_server_command(env), env, live_port, workdir / "live.log") as live,
        ):
            figures = asyncio.run(
                _measure(
                    f"http://127.0.0.1:{api_port}/graphql/",
                    f"ws://127.0.0.1:{live_port}/graphql/",
                    tokens,
                    subscribers,
                    writes,
                    live.pid,
                )
            )
    summary = {"benchmark": "live", "machine": machine, **figures}
    print(_table(summary))
    print(f"\nwritten to {write_result('live', summary)}")
    return 0


def _tokens(database_url: str, env: dict[str, str], users: int) -> list[str]:
    """An access token per bench user, minted in this process with the servers' secret (logging in a thousand
    users through the API would measure password hashing)."""
    for name in ("SECRET_KEY", "ACCESS_TOKEN_LIFETIME"):
        os.environ[name] = env[name]
    setup_django(database_url)
    from accounts.models import User
    from accounts.tokens import issue_token_pair

    with psycopg.connect(database_url, autocommit=True) as conn:
        insert_users(conn, first="live0", prefix="live-", count=users - 1, password_hash="!")
    return [issue_token_pair(user).token for user in User.objects.order_by("username")[:users]]


async def _measure(api: str, live: str, tokens: list[str], subscribers: int, writes: int, live_pid: int) -> dict:
    started = time.monotonic()
    subs = [Subscriber(user=index % len(tokens)) for index in range(subscribers)]
    sockets = []
    for batch in range(0, subscribers, 100):  # 100 handshakes at a time: a burst of 1,000 is not what we measure
        sockets += await asyncio.gather(*(_subscribe(live, tokens[sub.user]) for sub in subs[batch : batch + 100]))
    opened_s = time.monotonic() - started
    log(f"{subscribers} subscriptions open in {opened_s:.1f}s")
    readers = [asyncio.create_task(_read(socket, sub)) for socket, sub in zip(sockets, subs, strict=True)]
    await asyncio.sleep(2)
    rss_mb = process_rss_mb(live_pid)
    round_trips, written = [], {user: [] for user in range(len(tokens))}
    loop = asyncio.get_running_loop()
    for number in range(writes):
        user = number % len(tokens)
        sent = time.monotonic()
        entity_id = await loop.run_in_executor(None, _create, api, tokens[user], number)
        round_trips.append(time.monotonic() - sent)
        written[user].append(entity_id)
    expected = sum(len(written[sub.user]) for sub in subs)
    deadline = time.monotonic() + 30
    while sum(len(sub.received) for sub in subs) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    first, every = _delays(subs, written)
    baseline = statistics.median(round_trips)
    return {
        "subscribers": subscribers,
        "users": len(tokens),
        "writes": writes,
        "open_s": round(opened_s, 2),
        "live_server_rss_mb": rss_mb,
        "create_round_trip_ms": {"p50": _ms(baseline), "p99": _ms(_percentile(round_trips, 99))},
        "delivery_delay_ms": {
            "first_subscriber": {"p50": _ms(_percentile(first, 50)), "p99": _ms(_percentile(first, 99))},
            "every_subscriber": {"p50": _ms(_percentile(every, 50)), "p99": _ms(_percentile(every, 99))},
        },
        "delivery_vs_create_round_trip": {
            "p50": _percentile(every, 50) / baseline,
            "p99": _percentile(every, 99) / baseline,
        },
    }


async def _subscribe(url: str, token: str) -> WebSocketClientProtocol:
    socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None, open_timeout=60)
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    ack = json.loads(await socket.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"subscription refused: {ack}")
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
    return socket


async def _read(socket: WebSocketClientProtocol, sub: Subscriber) -> None:
    async for raw in socket:
        message = json.loads(raw)
        if message["type"] != "next":
            raise RuntimeError(f"unexpected message: {message}")
        change = message["payload"]["data"]["changes"]
        if change["entityType"] != "TRANSACTION":  # a user's first create also opens their default account
            continue
        at = datetime.datetime.fromisoformat(change["at"]).timestamp()
        sub.received.append((int(change["sequence"]), time.time() - at, change["entityId"]))


def _create(api: str, token: str, number: int) -> str:
    body = graphql_body(CREATE, {"input": {"amount": f"{number + 1}.25", "type": "EXPENSE", "category": "Live"}})
    request = urllib.request.Request(
        api, data=body.encode(), headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())["data"]["createTransaction"]
    if payload["errors"]:
        raise RuntimeError(f"createTransaction failed: {payload['errors']}")
    return payload["transaction"]["id"]


def _delays(subs: list[Subscriber], written: dict[int, list[str]]) -> tuple[list[float], list[float]]:
    """Checks every subscriber got exactly its user's changes, once and in order; returns the delays of the first
    arrival of each change and of every arrival."""
    first: dict[str, float] = {}
    every = []
    for sub in subs:
        sequences = [sequence for sequence, _, _ in sub.received]
        ids = [entity_id for _, _, entity_id in sub.received]
        if ids != written[sub.user] or sequences != sorted(set(sequences)):
            wanted = len(written[sub.user])
            raise RuntimeError(f"a subscriber of user {sub.user} got {len(ids)} changes, not its {wanted} in order")
        for _, delay, entity_id in sub.received:
            every.append(delay)
            first[entity_id] = min(delay, first.get(entity_id, delay))
    return list(first.values()), every


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _table(summary: dict) -> str:
    machine = summary["machine"]
    delay = summary["delivery_delay_ms"]
    ratio = summary["delivery_vs_create_round_trip"]
    rows = [
        ["commit -> delivery, first subscriber", delay["first_subscriber"]["p50"], delay["first_subscriber"]["p99"]],
        ["commit -> delivery, every subscriber", delay["every_subscriber"]["p50"], delay["every_subscriber"]["p99"]],
        ["createTransaction round trip (baseline)", *summary["create_round_trip_ms"].values()],
    ]
    title = (
        f"{machine['nproc']} x {machine['cpu_model']}, load before {machine['loadavg_before'][0]:.2f}; "
        f"{summary['subscribers']} idle subscribers of {summary['users']} users, {summary['writes']} writes"
    )
    return (
        title
        + "\n\n"
        + format_table(["", "p50 ms", "p99 ms"], rows)
        + f"\n\ndelivery vs the create round trip: p50 {ratio['p50']:.2f}x, p99 {ratio['p99']:.2f}x"
        + f"\nsubscriptions opened in {summary['open_s']} s; live server RSS {summary['live_server_rss_mb']} MB"
    )


if __name__ == "__main__":
    raise SystemExit(main())
